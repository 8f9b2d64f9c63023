"""``rapport-ops rebuild``: a service's read model from the event log, with progress and ETA.

The service's own settings (its ``RAPPORT_<SERVICE>_…`` environment) say where its MongoDB
database, Kafka and topic prefix are. Without ``--switch`` the rebuilt collections are left beside
the live ones for inspection; with it they replace them and a catch-up pass follows.
"""

from __future__ import annotations

import importlib
import time

from aiokafka import TopicPartition
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from rapport_kit.mongo import build_mongo_client
from rapport_kit.rebuild import ReadModel, Rebuild, rebuilt_name
from rapport_kit.settings import ServiceSettings


def service_read_models(service: str) -> tuple[ServiceSettings, dict[str, ReadModel]]:
    module = importlib.import_module(f"rapport_{service}.read_models")
    loaded: tuple[ServiceSettings, dict[str, ReadModel]] = module.from_environment()
    return loaded


async def rebuild_read_model(service: str, name: str, console: Console, *, switch: bool) -> str:
    """Rebuild; return the tag naming the rebuilt (with ``switch``: retired) collections."""
    settings, models = service_read_models(service)
    if name not in models:
        raise SystemExit(f"{service} has no read model {name!r}; it has: {', '.join(models)}")
    model = models[name]
    tag = time.strftime("%Y%m%d%H%M%S")
    client = build_mongo_client(settings, service=f"ops-rebuild-{service}")
    try:
        job = Rebuild(client[settings.mongo_database], settings.kafka_bootstrap, model, tag=tag)
        names = [settings.topic(topic) for topic in model.topics]
        snapshot = await job.snapshot(names)
        await _fold_with_progress(job, {}, snapshot, console, "rebuilding")
        for projection in model.projections:
            console.print(
                f"rebuilt {projection.collection} → {rebuilt_name(projection.collection, tag)}"
            )
        if switch:
            retired = await job.switch()
            caught_up = await _fold_with_progress(
                job, snapshot, await job.snapshot(names), console, "catching up"
            )
            console.print(
                f"switched; retired {', '.join(retired) or 'nothing'}; caught up {caught_up} events"
            )
    finally:
        await client.close()
    return tag


async def _fold_with_progress(
    job: Rebuild,
    start: dict[TopicPartition, int],
    end: dict[TopicPartition, int],
    console: Console,
    label: str,
) -> int:
    total = sum(end.values()) - sum(start.get(p, 0) for p in end)
    columns = (
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(label, total=max(total, 0))
        return await job.fold(start, end, lambda n: progress.advance(task, n))

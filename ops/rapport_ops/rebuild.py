"""``rapport-ops rebuild``: a service's read model from the event log, with progress and ETA.

A service is rebuildable when it declares its read models in ``rapport_<service>.read_models``
(``from_environment()`` → its settings and ``{name: ReadModel}``, and ``read_models(settings)``
building them for the settings with this tool's overrides); nothing else is needed here. A read
model is a kit ``ReadModel`` (projections) or ``PipelineReadModel`` (the service's own batch step,
e.g. metrics' KPI pipeline, with a hook run after the switch).
The service's own variables (``RAPPORT_<SERVICE>_…``) say where its MongoDB database, Kafka (with
its SASL/TLS settings) and topic prefix are; ``--bootstrap`` and ``--topic-prefix`` override them.
Without ``--switch`` the rebuilt collections are left beside the live ones for inspection. With it,
they are caught up to the log's end, switched in (journaled: a switch a crash interrupted is
completed by the next ``rebuild … --switch``), and caught up once more.
"""

from __future__ import annotations

import importlib
import importlib.util
import time
from typing import Any

from aiokafka import TopicPartition
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from rapport_kit.mongo import build_mongo_client
from rapport_kit.rebuild import AnyReadModel, Rebuild, interrupted_switch, rebuilt_name
from rapport_kit.settings import ServiceSettings
from rapport_ops.connection import Target

SERVICES = ("contacts", "feedback", "notifications", "metrics")


class NotRebuildable(LookupError):
    pass


def service_read_models(service: str) -> tuple[ServiceSettings, dict[str, AnyReadModel]]:
    loaded: tuple[ServiceSettings, dict[str, AnyReadModel]] = _module(service).from_environment()
    return loaded


def _module(service: str) -> Any:
    if not _declares_read_models(service):
        raise NotRebuildable(f"{service} declares no read model to rebuild; {_rebuildable()}")
    return importlib.import_module(f"rapport_{service}.read_models")


def _declares_read_models(service: str) -> bool:
    try:
        return importlib.util.find_spec(f"rapport_{service}.read_models") is not None
    except ModuleNotFoundError:  # the service itself is not installed here
        return False


def _rebuildable() -> str:
    found = [
        f"{service} {name}"
        for service in SERVICES
        if _declares_read_models(service)
        for name in service_read_models(service)[1]
    ]
    return f"rebuildable here: {', '.join(found)}" if found else "nothing is rebuildable here"


async def rebuild_read_model(
    service: str,
    name: str,
    console: Console,
    *,
    switch: bool,
    bootstrap: str | None = None,
    topic_prefix: str | None = None,
) -> str:
    """Rebuild; return the tag naming the rebuilt (with ``switch``: retired) collections."""
    settings, models = service_read_models(service)
    if name not in models:
        raise NotRebuildable(f"{service} has no read model {name!r}; it has: {', '.join(models)}")
    target = Target.of(settings, bootstrap=bootstrap, topic_prefix=topic_prefix)
    models = _module(service).read_models(target.settings)  # publishing where the target says
    model, tag = models[name], time.strftime("%Y%m%d%H%M%S")
    client = build_mongo_client(target.settings, service=f"ops-rebuild-{service}")
    try:
        db = client[target.settings.mongo_database]
        job = Rebuild(db, target.bootstrap, model, tag=tag, security=target.security)
        names = [target.topic(topic) for topic in model.topics]
        if switch and (interrupted := await interrupted_switch(db, model.consumer)):
            console.print(f"completing the switch to {interrupted} a crash interrupted")
            job = Rebuild(db, target.bootstrap, model, tag=interrupted, security=target.security)
            await job.complete_interrupted_switch()
            live = Rebuild(
                db,
                target.bootstrap,
                model,
                tag=interrupted,
                security=target.security,
                into_live=True,
            )
            # Where the interrupted run had got to is unknown: fold the whole log again (what is
            # folded already is skipped by the watermarks).
            caught_up = await _fold_with_progress(
                live, {}, await live.snapshot(names), console, "catching up"
            )
            console.print(f"switched; {caught_up} events checked")
            return interrupted
        snapshot = await job.snapshot(names)
        await _fold_with_progress(job, {}, snapshot, console, "rebuilding")
        rebuilt = job.live_collections(await db.list_collection_names())
        prefixes = getattr(model, "prefixes", ())
        console.print(_rebuilt_summary(rebuilt, prefixes, tag))
        if switch:
            later = await job.snapshot(names)
            await _fold_with_progress(job, snapshot, later, console, "catching up")
            retired = await job.switch()
            live = Rebuild(
                db, target.bootstrap, model, tag=tag, security=target.security, into_live=True
            )
            caught_up = await _fold_with_progress(
                live, later, await live.snapshot(names), console, "catching up"
            )
            kept = _listed(retired, prefixes) or ["nothing"]
            console.print(f"switched; kept the old ones as <name>__old_{tag}: {', '.join(kept)}")
            console.print(f"caught up {caught_up} events")
    finally:
        await client.close()
    return tag


def _rebuilt_summary(collections: list[str], prefixes: tuple[str, ...], tag: str) -> str:
    """One line: a KPI pipeline rebuilds ~150 collections, so those of a prefix are counted."""
    suffix = rebuilt_name("", tag)
    listed = ", ".join(_listed(collections, prefixes))
    return f"rebuilt {len(collections)} collections (as <name>{suffix}): {listed}"


def _listed(collections: list[str], prefixes: tuple[str, ...]) -> list[str]:
    """Names, those of a prefix counted (a KPI pipeline has ~250), any ``__`` tag cut off."""
    names = [c.split("__")[0] for c in collections]
    listed = [n for n in names if not n.startswith(prefixes)]
    for prefix in prefixes:
        if counted := sum(n.startswith(prefix) for n in names):
            listed.append(f"{counted} {prefix}*")
    return listed


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

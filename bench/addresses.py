"""Where the benchmark finds its servers: those ``make bench`` starts with ``deploy/local``, on
the ports ``RAPPORT_KAFKA_PORT`` / ``RAPPORT_MONGO_PORT`` give them, unless ``BENCH_KAFKA`` /
``BENCH_MONGO_URL`` name others."""

from __future__ import annotations

import os
from collections.abc import Mapping


def kafka_bootstrap(environ: Mapping[str, str] = os.environ) -> str:
    port = environ.get("RAPPORT_KAFKA_PORT", "9092")
    return environ.get("BENCH_KAFKA", f"127.0.0.1:{port}")


def mongo_url(environ: Mapping[str, str] = os.environ) -> str:
    """The local FerretDB has no retryable writes, hence ``retryWrites=false``."""
    port = environ.get("RAPPORT_MONGO_PORT", "27017")
    return environ.get("BENCH_MONGO_URL", f"mongodb://127.0.0.1:{port}/?retryWrites=false")

"""Prometheus instruments declared once: each service lists its counters, gauges and histograms
(name, help, labels) as class attributes of a ``MetricSet``; ``register`` creates them all in one
registry. Names and labels are what dashboards and alerts query, so they are written only here.
"""

from __future__ import annotations

from typing import Any, Generic, Self, TypeVar, cast, overload

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

Instrument = TypeVar("Instrument", Counter, Gauge, Histogram)


class Declared(Generic[Instrument]):
    """One instrument of a ``MetricSet``; on an instance, the registered instrument itself."""

    def __init__(
        self, kind: type[Instrument], name: str, documentation: str, labels: tuple[str, ...]
    ) -> None:
        self.kind: type[Instrument] = kind
        self.name, self.documentation, self.labels = name, documentation, labels
        self.attribute = name

    def __set_name__(self, owner: type[MetricSet], attribute: str) -> None:
        self.attribute = attribute

    @overload
    def __get__(self, instance: None, owner: type[MetricSet]) -> Declared[Instrument]: ...

    @overload
    def __get__(self, instance: MetricSet, owner: type[MetricSet]) -> Instrument: ...

    def __get__(
        self, instance: MetricSet | None, owner: type[MetricSet]
    ) -> Declared[Instrument] | Instrument:
        if instance is None:
            return self
        return cast(Instrument, instance.instruments[self.attribute])

    def __set__(self, instance: MetricSet, value: object) -> None:
        raise AttributeError(f"{self.attribute} is declared, not assigned")

    def create(self, registry: CollectorRegistry) -> Instrument:
        created: Instrument = self.kind(
            self.name, self.documentation, self.labels, registry=registry
        )
        return created


def counter(name: str, documentation: str, *labels: str) -> Declared[Counter]:
    return Declared(Counter, name, documentation, labels)


def gauge(name: str, documentation: str, *labels: str) -> Declared[Gauge]:
    return Declared(Gauge, name, documentation, labels)


def histogram(name: str, documentation: str, *labels: str) -> Declared[Histogram]:
    return Declared(Histogram, name, documentation, labels)


class MetricSet:
    """Base of a service's instruments: subclasses declare them with ``counter``/``gauge``/
    ``histogram`` and add the methods that record domain facts on them."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.instruments: dict[str, Any] = {
            declared.attribute: declared.create(registry) for declared in self.declared()
        }

    @classmethod
    def declared(cls) -> list[Declared[Any]]:
        found: dict[str, Declared[Any]] = {}
        for klass in reversed(cls.__mro__):
            found.update((k, v) for k, v in vars(klass).items() if isinstance(v, Declared))
        return list(found.values())

    @classmethod
    def register(cls, registry: CollectorRegistry) -> Self:
        return cls(registry)

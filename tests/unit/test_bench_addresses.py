"""``make bench`` measures the servers it started: the port variables decide the addresses."""

from __future__ import annotations

from bench.addresses import kafka_bootstrap, mongo_url


def test_the_default_ports_without_any_variable() -> None:
    assert kafka_bootstrap({}) == "127.0.0.1:9092"
    assert mongo_url({}) == "mongodb://127.0.0.1:27017/?retryWrites=false"


def test_the_ports_the_local_servers_were_started_on() -> None:
    environ = {"RAPPORT_KAFKA_PORT": "19092", "RAPPORT_MONGO_PORT": "37017"}
    assert kafka_bootstrap(environ) == "127.0.0.1:19092"
    assert mongo_url(environ) == "mongodb://127.0.0.1:37017/?retryWrites=false"


def test_explicit_bench_addresses_win() -> None:
    environ = {
        "RAPPORT_KAFKA_PORT": "19092",
        "RAPPORT_MONGO_PORT": "37017",
        "BENCH_KAFKA": "kafka.example:9092",
        "BENCH_MONGO_URL": "mongodb://mongo.example:27017/",
    }
    assert kafka_bootstrap(environ) == "kafka.example:9092"
    assert mongo_url(environ) == "mongodb://mongo.example:27017/"

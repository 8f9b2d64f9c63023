"""The single-active assignor as the group leader runs it: all partitions to the senior member."""

from __future__ import annotations

from aiokafka.cluster import ClusterMetadata
from aiokafka.coordinator.protocol import ConsumerProtocolMemberMetadata

from rapport_kit.assignment import active_member, single_active_assignor


class Cluster(ClusterMetadata):
    def __init__(self, partitions: dict[str, set[int]]) -> None:
        super().__init__()
        self._known = partitions

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return self._known.get(topic)


def joined(started_ns: int, topics: list[str]) -> ConsumerProtocolMemberMetadata:
    return single_active_assignor(started_ns).metadata(topics)


def test_every_partition_goes_to_the_longest_running_member() -> None:
    members = {
        "m-new": joined(300, ["events", "kpis"]),
        "m-old": joined(100, ["events", "kpis"]),
        "m-mid": joined(200, ["events", "kpis"]),
    }
    cluster = Cluster({"events": {0, 1, 2}, "kpis": {0, 1}})
    assignment = single_active_assignor().assign(cluster, members)
    assert assignment["m-old"].assignment == [("events", [0, 1, 2]), ("kpis", [0, 1])]
    assert assignment["m-new"].assignment == [] and assignment["m-mid"].assignment == []


def test_a_member_that_announces_no_start_time_counts_as_the_newest_and_ties_go_by_id() -> None:
    foreign = ConsumerProtocolMemberMetadata(0, ["events"], b"")
    assert active_member({"a-foreign": foreign, "z-ours": joined(5, ["events"])}) == "z-ours"
    assert active_member({"m-2": joined(7, ["events"]), "m-1": joined(7, ["events"])}) == "m-1"


def test_each_subscription_is_senior_from_when_it_was_made() -> None:
    earlier, later = single_active_assignor(), single_active_assignor()
    assert earlier.name == later.name == "rapport-single-active"
    assert earlier.started_ns <= later.started_ns
    members = {"b": later.metadata(["events"]), "a": earlier.metadata(["events"])}
    assert active_member(members) == "a"

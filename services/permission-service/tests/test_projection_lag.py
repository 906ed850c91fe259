"""The authorizer's proof that the device projection is current: one proof covers every
command produced well before it began, so a backlog costs one offsets request, not one each."""

import time
from types import SimpleNamespace

from aiokafka import TopicPartition
from permission_service.handlers.projection_lag import ProjectionLag, proven_before

TP = TopicPartition("ssp.devices", 0)


class FakeBroker:
    """End offsets of `ssp.devices` and the device-view group's committed offsets."""

    def __init__(self, end: int, committed: int) -> None:
        self.end = end
        self.committed = committed
        self.end_offset_requests = 0

    async def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        self.end_offset_requests += 1
        return dict.fromkeys(partitions, self.end)

    async def list_consumer_group_offsets(self, _group: str, partitions: list[TopicPartition],
                                          ) -> dict[TopicPartition, SimpleNamespace]:
        return {tp: SimpleNamespace(offset=self.committed) for tp in partitions}


def lag_on(broker: FakeBroker, margin_s: float = 1.0) -> ProjectionLag:
    lag = ProjectionLag("unused:9092", "ssp.devices", "device-views", max_wait_s=0.2,
                        clock_margin_s=margin_s)
    lag._consumer = broker  # type: ignore[assignment]
    lag._admin = broker  # type: ignore[assignment]
    lag._partitions = [TP]
    return lag


def ms(seconds: float) -> int:
    return int(seconds * 1000)


async def test_commands_produced_before_a_proof_need_no_new_one() -> None:
    broker = FakeBroker(end=7, committed=7)
    lag = lag_on(broker)
    await lag.wait_caught_up(ms(time.time()))
    assert broker.end_offset_requests == 1
    for _ in range(100):  # a backlog produced long before the proof
        await lag.wait_caught_up(ms(time.time() - 5))
    assert broker.end_offset_requests == 1


async def test_a_command_newer_than_the_proof_or_without_a_time_gets_a_proof() -> None:
    broker = FakeBroker(end=7, committed=7)
    lag = lag_on(broker)
    await lag.wait_caught_up(ms(time.time()))
    await lag.wait_caught_up(ms(time.time()))  # within the clock margin of the proof
    await lag.wait_caught_up(None)
    assert broker.end_offset_requests == 3


async def test_no_proof_while_the_projection_is_behind() -> None:
    broker = FakeBroker(end=9, committed=7)
    lag = lag_on(broker)
    await _expect_timeout(lag, ms(time.time()))  # two snapshots behind: no decision
    requests = broker.end_offset_requests
    await _expect_timeout(lag, ms(time.time() - 60))  # an old command proves nothing either
    assert broker.end_offset_requests == requests + 1


async def _expect_timeout(lag: ProjectionLag, produced_at_ms: int) -> None:
    try:
        await lag.wait_caught_up(produced_at_ms)
    except TimeoutError:
        return
    raise AssertionError("no proof expected")


def test_proven_before_allows_for_clocks_that_disagree() -> None:
    began = 1_000.0
    assert proven_before(ms(998.9), began, clock_margin_s=1.0)
    assert not proven_before(ms(999.5), began, clock_margin_s=1.0)
    assert proven_before(ms(999.5), began, clock_margin_s=0.0)
    assert not proven_before(None, began, clock_margin_s=1.0)
    assert not proven_before(ms(1.0), None, clock_margin_s=1.0)

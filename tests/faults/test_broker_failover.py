"""A three-broker KRaft cluster (every topic on 3 replicas, min.insync.replicas=2, unclean
leader election off) loses one broker, SIGKILLed while commands flow; it stays down until the
end. The oracle must hold all the same. Long: `make test-faults` (marker `faults_long`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from ssp_contracts.topics import COMMANDS_STATUS, TOPICS, dlq_name
from ssp_devstack.cluster import ClusterConfig, KafkaCluster
from ssp_devstack.processes import free_port
from ssp_devstack.stack import StackConfig
from ssp_runtime.kafka import ensure_topics
from ssp_runtime.kafka_auth import kafka_options

from tests.faults.pipeline import running_pipeline
from tests.support.waiting import eventually

COMMANDS = 300
BROKERS = 3


@pytest.fixture
def kafka_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[KafkaCluster]:
    cluster = KafkaCluster(ClusterConfig(
        tmp_path / "cluster", StackConfig.from_env().cache,
        broker_ports=tuple(free_port() for _ in range(BROKERS)),
        controller_ports=tuple(free_port() for _ in range(BROKERS))))
    cluster.up()
    # Its own credentials: this test's clients as its admin, its services as themselves.
    for key, value in cluster.client_env().items():
        monkeypatch.setenv(key, value)
    try:
        yield cluster
    finally:
        cluster.down()


async def _replication(bootstrap: str, topic: str) -> tuple[int, str, str]:
    """(fewest replicas of a partition, min.insync.replicas, unclean.leader.election.enable)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_options())
    await admin.start()
    try:
        async def partitions() -> list[dict] | None:  # a new topic's metadata takes a moment
            [described] = await admin.describe_topics([topic])
            return described["partitions"] or None

        found = await eventually(partitions, 30, what=f"{topic}'s partitions")
        [resource] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic)])
        configs = {entry[0]: entry[1] for entry in resource.resources[0][4]}
        replicas = min(len(p["replicas"]) for p in found)
        return replicas, configs["min.insync.replicas"], configs["unclean.leader.election.enable"]
    finally:
        await admin.close()


@pytest.mark.faults_long
@pytest.mark.timeout(1200)
async def test_a_broker_killed_under_load_loses_nothing(kafka_cluster, services, mongo, run_id):
    # kafka_cluster first: fixtures stop in reverse, so the services stop while it still runs.
    bootstrap = kafka_cluster.bootstrap
    await ensure_topics(bootstrap, [*TOPICS, *(dlq_name(t) for t in TOPICS)],
                        replication_factor=BROKERS)
    assert await _replication(bootstrap, COMMANDS_STATUS) == (3, "2", "false")

    def on_cluster(module: str, **env: str):  # type: ignore[no-untyped-def]
        return services(module, KAFKA_BOOTSTRAP_SERVERS=bootstrap,
                        SSP_TOPIC_REPLICATION_FACTOR=str(BROKERS), **env)

    began = time.monotonic()
    async with running_pipeline(on_cluster, bootstrap, run_id) as pipeline:
        # Under load: a third sent and being worked on, the rest sent while the broker dies.
        await pipeline.request(COMMANDS // 3)
        sending = asyncio.create_task(pipeline.request(COMMANDS - COMMANDS // 3))
        await asyncio.to_thread(kafka_cluster.kill, 0)
        killed, killed_at = time.monotonic(), pipeline.sent
        await sending
        problems = await pipeline.verdict(mongo, timeout_s=600)
        print(f"\n{COMMANDS} commands, broker 1 of {BROKERS} killed after {killed_at}: "
              f"{dict(pipeline.oracle.summary())}; all terminal "
              f"{pipeline.oracle.last_terminal_at() - killed:.0f} s after the kill; test "
              f"{time.monotonic() - began:.0f} s")
        assert not problems, "\n".join(problems[:50])

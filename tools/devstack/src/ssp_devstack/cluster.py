"""A real N-broker Apache Kafka cluster (KRaft) on this machine, for failover tests.

Every node is broker and controller at once (the controllers form a static quorum), with its
own directory, ports, log and pid file; the same jars as the single-broker stack. Topics are
replicated to every node by default (at most 3), with `min.insync.replicas` = replicas - 1 and
unclean leader election off: a record acknowledged with acks=all survives any one node's death.
SASL and ACLs as on the single broker; every node shares `<dir>/credentials.json`.

    python -m ssp_devstack cluster up --brokers 3 --base-port 29092
    python -m ssp_devstack cluster kill 2      # SIGKILL node 2
    python -m ssp_devstack cluster start 2
    python -m ssp_devstack cluster down
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ssp_devstack import kafka_security
from ssp_devstack.stack import DevstackError, Stack, StackConfig, new_cluster_id


@dataclasses.dataclass(frozen=True)
class ClusterConfig:
    home: Path
    cache: Path
    broker_ports: tuple[int, ...]
    controller_ports: tuple[int, ...]
    kafka_heap: str = "384m"

    @classmethod
    def on_ports(cls, home: Path, cache: Path, brokers: int, base_port: int,
                 kafka_heap: str = "384m") -> ClusterConfig:
        """Node i listens on base_port + 2i (clients) and base_port + 2i + 1 (controller)."""
        return cls(home, cache, tuple(base_port + 2 * i for i in range(brokers)),
                   tuple(base_port + 2 * i + 1 for i in range(brokers)), kafka_heap)

    @property
    def replicas(self) -> int:
        return min(3, len(self.broker_ports))


class KafkaCluster:
    def __init__(self, config: ClusterConfig) -> None:
        if len(config.broker_ports) != len(config.controller_ports) or not config.broker_ports:
            raise DevstackError("a cluster needs one client and one controller port per node")
        self.cfg = config
        self.nodes = [Stack(self._node_config(i)) for i in range(len(config.broker_ports))]

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{port}" for port in self.cfg.broker_ports)

    def up(self) -> None:
        """Start every node that is not running, then wait until all of them are ready."""
        spawned = [node for node in self.nodes if node.pid("kafka") is None]
        for node in spawned:
            node.spawn_kafka()
        for node in spawned:
            node.wait_kafka(timeout=180)
        self.nodes[0].grant_acls(self.bootstrap)

    def client_env(self) -> dict[str, str]:
        """The cluster's address and its admin principal (same file for every node)."""
        return {"KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
                **kafka_security.client_env(self.cfg.home / "credentials.json")}

    def down(self) -> None:
        for node in self.nodes:
            node.stop("kafka")

    def kill(self, index: int) -> None:
        self.nodes[index].kill("kafka")

    def start(self, index: int) -> None:
        node = self.nodes[index]
        if node.pid("kafka") is None:
            node.spawn_kafka()
            node.wait_kafka(timeout=180)

    def describe(self) -> str:
        lines = []
        for i, node in enumerate(self.nodes):
            pid = node.pid("kafka")
            state = f"running (pid {pid})" if pid else "stopped"
            lines.append(f"node {i + 1}  {state:22} 127.0.0.1:{node.cfg.kafka_port}")
        return "\n".join(lines)

    def _node_config(self, index: int) -> StackConfig:
        c = self.cfg
        voters = ",".join(f"{i + 1}@127.0.0.1:{port}"
                          for i, port in enumerate(c.controller_ports))
        replicas = str(c.replicas)
        min_isr = str(max(1, c.replicas - 1))
        overrides = {
            "ssp.cluster.id": self._cluster_id(),
            "controller.quorum.bootstrap.servers": "",
            "controller.quorum.voters": voters,
            "default.replication.factor": replicas,
            "min.insync.replicas": min_isr,
            "unclean.leader.election.enable": "false",
            "offsets.topic.replication.factor": replicas,
            "transaction.state.log.replication.factor": replicas,
            "transaction.state.log.min.isr": min_isr,
            "share.coordinator.state.topic.replication.factor": replicas,
            "share.coordinator.state.topic.min.isr": min_isr,
        }
        return StackConfig(
            home=c.home / f"node{index + 1}", cache=c.cache,
            kafka_port=c.broker_ports[index], controller_port=c.controller_ports[index],
            mongo_port=0, external_kafka=None, external_mongo="(not part of a cluster)",
            kafka_heap=c.kafka_heap, node_id=index + 1,
            kafka_overrides=tuple(overrides.items()),
            credentials_file=c.home / "credentials.json")

    def _cluster_id(self) -> str:
        """Shared by every node; kept in the cluster's directory so restarts reuse it."""
        path = self.cfg.home / "cluster.id"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(new_cluster_id())
        return path.read_text().strip()

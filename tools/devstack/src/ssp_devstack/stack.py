"""A real single-node Apache Kafka (KRaft) and FerretDB, installed from package registries.

Kafka's jars come from Maven Central (resolved by ``tools/devstack/kafka/pom.xml``), FerretDB is
compiled from the Go module proxy (``tools/devstack/ferretdb``). Both are cached under
``$XDG_CACHE_HOME/ssp-devstack`` keyed by a hash of their build files, so a second ``up`` on the
same machine starts in seconds. Data, logs and pid files live under the stack directory
(``.devstack/`` by default, git-ignored).

When ``KAFKA_BOOTSTRAP_SERVERS`` or ``MONGODB_URL`` is set, that component is external and
nothing is started for it.

Kafka requires SASL/SCRAM and ACLs (``ssp_devstack.kafka_security``); ``client_env()`` hands
clients the admin principal's credentials, and service processes get their own.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from ssp_devstack import kafka_security, processes

COMPONENTS = ("kafka", "ferretdb")
_SECURED = "ssp-sasl"  # in Kafka's data directory: formatted with the SCRAM credentials
FERRETDB_MODULE = "github.com/FerretDB/FerretDB@v1.24.2"  # as required in ferretdb/go.mod
SOURCES = Path(__file__).resolve().parents[2]  # tools/devstack


class DevstackError(Exception):
    """Something the person running the stack must fix; the message says what."""


@dataclass(frozen=True)
class StackConfig:
    home: Path
    cache: Path
    kafka_port: int
    controller_port: int
    mongo_port: int
    external_kafka: str | None
    external_mongo: str | None
    kafka_heap: str
    # Cluster mode (ssp_devstack.cluster): this node's id and every node's extra settings.
    # The defaults are the single-broker stack, whose settings stay exactly the template's.
    node_id: int = 1
    kafka_overrides: tuple[tuple[str, str], ...] = ()
    # Every principal's Kafka password; a cluster's nodes share one file.
    credentials_file: Path | None = None

    @property
    def credentials(self) -> Path:
        return self.credentials_file or self.home / "kafka" / "credentials.json"

    @classmethod
    def from_env(cls) -> StackConfig:
        env = os.environ
        cache_root = Path(env.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        return cls(
            home=Path(env.get("SSP_DEVSTACK_DIR", ".devstack")).resolve(),
            cache=Path(env.get("SSP_DEVSTACK_CACHE", cache_root / "ssp-devstack")),
            kafka_port=int(env.get("SSP_DEVSTACK_KAFKA_PORT", "9092")),
            controller_port=int(env.get("SSP_DEVSTACK_CONTROLLER_PORT", "9093")),
            mongo_port=int(env.get("SSP_DEVSTACK_MONGO_PORT", "27017")),
            external_kafka=env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            external_mongo=env.get("MONGODB_URL") or None,
            kafka_heap=env.get("SSP_DEVSTACK_KAFKA_HEAP", "768m"),
        )


class Stack:
    def __init__(self, config: StackConfig, *, die_with_parent: bool = False) -> None:
        self.cfg = config
        # `make run` ties Kafka and FerretDB to itself; `up` leaves them running on purpose.
        self.die_with_parent = die_with_parent

    # -- public verbs -------------------------------------------------------------------------

    def up(self, *, fresh: bool = False) -> list[str]:
        """Start what is not running yet; returns the components this call started."""
        if fresh:
            self.down()
            for component in COMPONENTS:
                shutil.rmtree(self.cfg.home / component, ignore_errors=True)
        started = []
        for component in self._local_components():
            if self._pid(component) is None:
                self.start(component)
                started.append(component)
        if "kafka" in self._local_components() and "kafka" not in started:
            # Already running: the ACL table may have changed since it started.
            self.grant_acls(f"127.0.0.1:{self.cfg.kafka_port}")
        return started

    def down(self) -> None:
        for component in self._local_components():
            self.stop(component)

    def start(self, component: str) -> None:
        if self._pid(component):
            return
        if component == "kafka":
            self._start_kafka()
        else:
            self._start_ferretdb()

    def stop(self, component: str, timeout: float = 20.0) -> None:
        pid = self._pid(component)
        if pid is None:
            return
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
        self._pidfile(component).unlink(missing_ok=True)

    def pid(self, component: str) -> int | None:
        """The component's process id while it runs (started by this stack directory)."""
        return self._pid(component)

    def client_env(self) -> dict[str, str]:
        """Where the stack is, and (for its own Kafka) the admin principal's credentials; an
        external Kafka's credentials come from the caller's environment."""
        kafka = self.cfg.external_kafka or f"127.0.0.1:{self.cfg.kafka_port}"
        mongo = self.cfg.external_mongo or f"mongodb://127.0.0.1:{self.cfg.mongo_port}/"
        env = {"KAFKA_BOOTSTRAP_SERVERS": kafka, "MONGODB_URL": mongo}
        if not self.cfg.external_kafka:
            env.update(kafka_security.client_env(self.cfg.credentials))
        return env

    def describe(self) -> str:
        env = self.client_env()
        lines = []
        for component, address in (
            ("kafka", env["KAFKA_BOOTSTRAP_SERVERS"]),
            ("ferretdb", env["MONGODB_URL"]),
        ):
            if component not in self._local_components():
                state = "external"
            else:
                pid = self._pid(component)
                state = f"running (pid {pid})" if pid else "stopped"
            lines.append(f"{component:9} {state:22} {address}")
        if "kafka" in self._local_components():
            lines.append(f"kafka credentials (SASL/SCRAM, one principal per service): "
                         f"{self.cfg.credentials}")
        return "\n".join(lines)

    def tail_log(self, component: str, lines: int) -> str:
        log = self.cfg.home / component / f"{component}.log"
        if not log.exists():
            return f"(no log yet at {log})"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    # -- Kafka --------------------------------------------------------------------------------

    def _start_kafka(self) -> None:
        self.spawn_kafka()
        self.wait_kafka()
        self.grant_acls(f"127.0.0.1:{self.cfg.kafka_port}")

    def grant_acls(self, bootstrap: str) -> None:
        """The ACL table, once per cluster (remembered in the node's data directory)."""
        kafka_security.grant_acls(bootstrap, kafka_security.load_credentials(
            self.cfg.credentials), self.cfg.home / "kafka" / "data" / "ssp-acls.sha256")

    def spawn_kafka(self) -> None:
        """Format the storage (first time) and start the broker, without waiting for it: the
        nodes of a cluster only become ready together."""
        java = _require("java",
                        "a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)")
        _check_java_version(java)
        for port in (self.cfg.kafka_port, self.cfg.controller_port):
            _require_free_port(port, "SSP_DEVSTACK_KAFKA_PORT / SSP_DEVSTACK_CONTROLLER_PORT")
        libs = self._kafka_libs()
        home = self.cfg.home / "kafka"
        home.mkdir(parents=True, exist_ok=True)
        new_passwords = not self.cfg.credentials.exists()
        credentials = kafka_security.load_credentials(self.cfg.credentials)
        props = home / "server.properties"
        props.touch(mode=0o600)  # it holds the brokers' own passwords
        props.chmod(0o600)
        props.write_text(self._kafka_properties(home / "data", credentials))
        if (home / "data" / "meta.properties").exists() and (
                new_passwords or not (home / "data" / _SECURED).exists()):
            # Its metadata holds no credentials, or those of passwords that are gone.
            print("devstack: Kafka's data does not match its credentials file; starting it "
                  "afresh", flush=True)
            shutil.rmtree(home / "data")
        log_config = home / "log4j2.properties"
        log_config.write_text(_KAFKA_LOG4J)
        classpath = f"{libs}/*"
        if not (home / "data" / "meta.properties").exists():
            cluster_id = dict(self.cfg.kafka_overrides).get("ssp.cluster.id") or \
                new_cluster_id()
            # One node formats itself as the whole quorum; a cluster's nodes share voters.
            quorum = [] if self.cfg.kafka_overrides else ["--standalone"]
            _run(
                [java, "-cp", classpath, f"-Dlog4j2.configurationFile=file:{log_config}",
                 "kafka.tools.StorageTool", "format", *quorum, "-t", cluster_id,
                 "-c", str(props), "--ignore-formatted",
                 *kafka_security.scram_format_args(credentials)],
                "format Kafka's storage",
            )
            (home / "data" / _SECURED).touch()
        log = home / "kafka.log"
        self._spawn(
            "kafka",
            [java, "-Xms256m", f"-Xmx{self.cfg.kafka_heap}", "-XX:+UseG1GC",
             "-Djava.awt.headless=true", f"-Dkafka.logs.dir={home}",
             f"-Dlog4j2.configurationFile=file:{log_config}", "-cp", classpath,
             "kafka.Kafka", str(props)],
            log,
        )

    def wait_kafka(self, timeout: float = 120) -> None:
        self._wait_ready("kafka", self.cfg.kafka_port, self.cfg.home / "kafka" / "kafka.log",
                         ready_line="Kafka Server started", timeout=timeout)

    def kill(self, component: str) -> None:
        """SIGKILL, no shutdown: what a crashed machine does (fault tests)."""
        pid = self._pid(component)
        if pid is not None:
            os.killpg(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.05)
            self._pidfile(component).unlink(missing_ok=True)

    def _kafka_properties(self, data: Path, credentials: dict[str, str]) -> str:
        c = self.cfg
        text = _KAFKA_PROPERTIES.format(
            port=c.kafka_port, controller=c.controller_port, data=data
        )
        return _override(text, {"node.id": str(c.node_id),
                                **kafka_security.broker_properties(credentials),
                                **dict(c.kafka_overrides)})

    def _kafka_libs(self) -> Path:
        pom = SOURCES / "kafka" / "pom.xml"
        target = self.cfg.cache / f"kafka-{_digest(pom)}"
        if (target / ".complete").exists():
            return target
        mvn = _require("mvn", "Apache Maven (Debian: apt-get install maven)")
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        print(f"devstack: resolving Apache Kafka from Maven Central into {target} ...", flush=True)
        _run(
            [mvn, "-B", "-q", "-f", str(pom), "dependency:copy-dependencies",
             "-DincludeScope=runtime", f"-DoutputDirectory={target}"],
            "resolve Kafka's jars with Maven",
        )
        (target / ".complete").touch()
        return target

    # -- FerretDB -----------------------------------------------------------------------------

    def _start_ferretdb(self) -> None:
        _require_free_port(self.cfg.mongo_port, "SSP_DEVSTACK_MONGO_PORT")
        binary = self._ferretdb_binary()
        home = self.cfg.home / "ferretdb"
        home.mkdir(parents=True, exist_ok=True)
        log = home / "ferretdb.log"
        self._spawn(
            "ferretdb",
            [str(binary), f"--listen-addr=127.0.0.1:{self.cfg.mongo_port}",
             f"--data-dir={home / 'data'}", "--log-level=warn"],
            log,
        )
        self._wait_ready("ferretdb", self.cfg.mongo_port, log, ready_line=None, timeout=60)

    def _ferretdb_binary(self) -> Path:
        src = SOURCES / "ferretdb"
        patches = sorted((src / "patches").glob("*.patch"))
        files = [src / "go.mod", src / "go.sum", src / "main.go", *patches]
        target = self.cfg.cache / f"ferretdb-{_digest(*files)}" / "ssp-ferretdb"
        if target.exists():
            return target
        go = _require("go",
                      "Go 1.22+ (https://go.dev/doc/install or Debian: apt-get install golang)")
        patch = _require("patch", "GNU patch (Debian: apt-get install patch)")
        print("devstack: building FerretDB from the Go module proxy ...", flush=True)
        build = target.parent / "build"
        shutil.rmtree(build, ignore_errors=True)
        build.mkdir(parents=True)
        for name in ("go.mod", "go.sum", "main.go"):
            shutil.copy2(src / name, build / name)
        # The module cache is read-only: patch a copy and point the build at it.
        module = _download_module(go, build, FERRETDB_MODULE)
        shutil.copytree(module, build / "ferretdb")
        for path in (build / "ferretdb").rglob("*"):
            path.chmod(path.stat().st_mode | 0o200)
        for diff in patches:
            _run([patch, "-p1", "--batch", "--forward", "-d", str(build / "ferretdb"),
                  "-i", str(diff)], f"apply {diff.name} to FerretDB")
        _run([go, "mod", "edit", f"-replace={FERRETDB_MODULE.split('@')[0]}=./ferretdb"],
             "point the build at the patched FerretDB", cwd=build)
        _run([go, "build", "-trimpath", "-o", str(target), "."], "build FerretDB", cwd=build)
        shutil.rmtree(build, ignore_errors=True)
        return target

    # -- processes ----------------------------------------------------------------------------

    def _local_components(self) -> list[str]:
        out = []
        if not self.cfg.external_kafka:
            out.append("kafka")
        if not self.cfg.external_mongo:
            out.append("ferretdb")
        return out

    def _pidfile(self, component: str) -> Path:
        return self.cfg.home / component / f"{component}.pid"

    def _pid(self, component: str) -> int | None:
        try:
            pid = int(self._pidfile(component).read_text())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _alive(pid) else None

    def _spawn(self, component: str, argv: list[str], log: Path) -> None:
        with log.open("ab") as out:
            proc = subprocess.Popen(  # noqa: S603 - argv built from our own settings
                argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=processes.die_with_parent() if self.die_with_parent else None,
            )
        self._pidfile(component).write_text(str(proc.pid))

    def _wait_ready(
        self, component: str, port: int, log: Path, ready_line: str | None, timeout: float
    ) -> None:
        offset = 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self._pid(component)
            if pid is None:
                raise DevstackError(
                    f"{component} exited during start-up; last lines of {log}:\n"
                    + self.tail_log(component, 30)
                )
            if _port_open(port):
                if ready_line is None:
                    return
                text = log.read_bytes()[offset:].decode(errors="replace")
                if ready_line in text:
                    return
            time.sleep(0.2)
        self.stop(component)
        raise DevstackError(f"{component} did not become ready in {timeout:.0f}s; see {log}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child is not alive for our purposes.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _require_free_port(port: int, setting: str) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            raise DevstackError(
                f"port {port} is taken by another program; stop it or choose another port with "
                f"{setting}"
            ) from exc


def _require(tool: str, what: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise DevstackError(f"'{tool}' was not found on PATH; install {what}")
    return path


def _check_java_version(java: str) -> None:
    out = subprocess.run(  # noqa: S603
        [java, "-version"], capture_output=True, text=True, check=False
    ).stderr
    match = re.search(r'version "(\d+)', out)
    if not match or int(match.group(1)) < 17:
        raise DevstackError(f"Kafka 4 needs Java 17 or newer; 'java -version' says: {out.strip()}")


def _run(argv: list[str], what: str, cwd: Path | None = None) -> None:
    proc = subprocess.run(  # noqa: S603
        argv, capture_output=True, text=True, cwd=cwd, check=False
    )
    if proc.returncode != 0:
        raise DevstackError(f"could not {what}:\n{proc.stdout[-2000:]}{proc.stderr[-4000:]}")


def _download_module(go: str, cwd: Path, module: str) -> Path:
    proc = subprocess.run(  # noqa: S603
        [go, "mod", "download", "-json", module], capture_output=True, text=True, cwd=cwd,
        check=False)
    if proc.returncode != 0:
        raise DevstackError(f"could not download {module}:\n{proc.stdout[-2000:]}"
                            f"{proc.stderr[-2000:]}")
    return Path(json.loads(proc.stdout)["Dir"])


def new_cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64. One starting with "-" would be
    read as an option by the storage tool, so those are drawn again."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _override(properties: str, values: dict[str, str]) -> str:
    """`properties` with the given keys set (replaced in place, or appended); a value of ""
    removes the key. Keys starting with `ssp.` are ours, not Kafka's, and are left out."""
    values = {k: v for k, v in values.items() if not k.startswith("ssp.")}
    lines = []
    for line in properties.splitlines():
        key = line.split("=", 1)[0]
        if key in values and not line.startswith("#"):
            if values[key]:
                lines.append(f"{key}={values.pop(key)}")
            else:
                values.pop(key)
            continue
        lines.append(line)
    lines += [f"{k}={v}" for k, v in values.items() if v]
    return "\n".join(lines) + "\n"


def _digest(*files: Path) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


_KAFKA_PROPERTIES = """\
# Written by tools/devstack on every start; edit the template in ssp_devstack/stack.py.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:{controller}
# Clients and brokers authenticate with SCRAM, controllers with PLAIN (kafka_security.py).
listeners=SASL_PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_PLAINTEXT
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
log.dirs={data}
# Services create their topics with the partitions and cleanup policies they need.
auto.create.topics.enable=false
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=5
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
"""

_KAFKA_LOG4J = """\
# Written by tools/devstack: warnings only, plus the line that says the broker is up.
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
logger.raftserver.name = kafka.server.KafkaRaftServer
logger.raftserver.level = INFO
"""

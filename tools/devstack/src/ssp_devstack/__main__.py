"""Command line: ``python -m ssp_devstack up|down|status|logs|start|stop``."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys

from ssp_devstack.cluster import ClusterConfig, KafkaCluster
from ssp_devstack.kafka_security import CREDENTIALS_ENV
from ssp_devstack.signing_keys import signing_env
from ssp_devstack.stack import COMPONENTS, DevstackError, Stack, StackConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="devstack",
        description="Runs a real Apache Kafka (KRaft) and FerretDB on this machine.",
    )
    sub = parser.add_subparsers(dest="verb", required=True)
    up = sub.add_parser("up", help="install (cached) and start Kafka and FerretDB")
    up.add_argument("--fresh", action="store_true", help="delete the stack's data first")
    sub.add_parser("down", help="stop what 'up' started")
    sub.add_parser("status", help="show what runs and where")
    sub.add_parser("env", help="print the environment variables that point at the stack")
    logs = sub.add_parser("logs", help="print the last lines of a component's log")
    logs.add_argument("component", choices=COMPONENTS)
    logs.add_argument("-n", type=int, default=50)
    run = sub.add_parser("exec", help="start the stack, run a command against it, stop what "
                         "was started (even when the command fails or is interrupted)")
    run.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command")
    for verb in ("start", "stop"):
        p = sub.add_parser(verb, help=f"{verb} one component (fault tests)")
        p.add_argument("component", choices=COMPONENTS)
    cluster = sub.add_parser("cluster", help="an N-broker Kafka cluster in <dir>/cluster "
                             "(failover tests); the single-broker stack is not touched")
    cluster.add_argument("action", choices=("up", "down", "status", "kill", "start"))
    cluster.add_argument("node", nargs="?", type=int, help="node number (kill, start)")
    cluster.add_argument("--brokers", type=int, default=3)
    cluster.add_argument("--base-port", type=int, default=29092,
                         help="node i listens on base+2(i-1), its controller on base+2(i-1)+1")
    args = parser.parse_args(argv)

    stack = Stack(StackConfig.from_env())
    if args.verb == "cluster":
        return _cluster(stack.cfg, args)
    try:
        if args.verb == "up":
            stack.up(fresh=args.fresh)
            print(stack.describe())
        elif args.verb == "down":
            stack.down()
        elif args.verb == "status":
            print(stack.describe())
        elif args.verb == "env":
            _print_exports(stack.client_env())
        elif args.verb == "logs":
            print(stack.tail_log(args.component, args.n))
        elif args.verb == "exec":
            return _exec(stack, [a for a in args.command if a != "--"] or ["true"])
        elif args.verb == "start":
            stack.start(args.component)
        elif args.verb == "stop":
            stack.stop(args.component)
    except DevstackError as exc:
        print(f"devstack: {exc}", file=sys.stderr)
        return 1
    return 0


def _cluster(cfg: StackConfig, args: argparse.Namespace) -> int:
    cluster = KafkaCluster(ClusterConfig.on_ports(cfg.home / "cluster", cfg.cache, args.brokers,
                                                  args.base_port))
    try:
        if args.action in ("kill", "start"):
            if not args.node or not 1 <= args.node <= args.brokers:
                raise DevstackError(f"name a node from 1 to {args.brokers}")
            getattr(cluster, args.action)(args.node - 1)
        elif args.action == "up":
            cluster.up()
            print(cluster.describe())
            _print_exports(cluster.client_env())
        elif args.action == "down":
            cluster.down()
        else:
            print(cluster.describe())
    except DevstackError as exc:
        print(f"devstack: {exc}", file=sys.stderr)
        return 1
    return 0


def _print_exports(env: dict[str, str]) -> None:
    """`export` lines for a shell; the password is read from the credentials file when the
    shell evaluates them, so it is never printed."""
    for key, value in env.items():
        if key == "KAFKA_SASL_PASSWORD":
            value = ("\"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))"
                     f"[sys.argv[2]])' {shlex.quote(env[CREDENTIALS_ENV])} "
                     f"{shlex.quote(env['KAFKA_SASL_USERNAME'])})\"")
        else:
            value = shlex.quote(value)
        print(f"export {key}={value}")


def _exec(stack: Stack, command: list[str]) -> int:
    started = stack.up()
    # Fresh signing keys for every service the command starts (a key already set wins).
    env = {**signing_env(), **os.environ, **stack.client_env()}
    try:
        return subprocess.call(command, env=env)  # noqa: S603 - the caller's own command
    except KeyboardInterrupt:
        return 130
    finally:
        for component in started:
            stack.stop(component)


if __name__ == "__main__":
    sys.exit(main())

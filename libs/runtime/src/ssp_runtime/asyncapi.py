"""The event catalogue: one AsyncAPI 3 document per service, from what the service registers.

`python -m ssp_runtime.asyncapi docs/asyncapi` writes them; `--check` fails when a committed
one is stale. A service is built exactly as it runs (nothing connects before its lifespan),
then its subscriptions and produced topics are declared on a separate, never-started
FastStream broker: the running subscribers read raw bytes (validation happens in
`consuming.py`) and our own producer publishes, so neither carries a payload type FastStream
could document. Here each gets its contract models.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Union

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from ssp_contracts import (
    AdminReply,
    AdminRequest,
    AuditRecord,
    CommandAuthorized,
    CommandCancelRequested,
    CommandRequested,
    CommandStatusChanged,
    CredentialsVerdict,
    DeviceReported,
    DeviceSnapshot,
    ImportProgress,
    ImportRowsSubmitted,
    LinkRequested,
    ReservationReply,
    ReservationRequest,
    ReverifyPassword,
    ReverifyVerdict,
    ServiceHeartbeat,
    SessionEnded,
    UserAccess,
    VerifyCredentials,
)
from ssp_contracts import topics as t
from ssp_contracts.base import Event
from ssp_contracts.topics import dlq_name, spec_for

from ssp_runtime.registration import clear_settings_environment, registered
from ssp_runtime.service import Service

# What travels on each topic a service produces (consumers declare theirs when subscribing).
TOPIC_EVENTS: dict[str, tuple[type[Any], ...]] = {
    t.COMMANDS_REQUESTED: (CommandRequested,),
    t.COMMANDS_APPLE: (CommandAuthorized, CommandCancelRequested),
    t.COMMANDS_ANDROID: (CommandAuthorized, CommandCancelRequested),
    t.COMMANDS_WINDOWS: (CommandAuthorized, CommandCancelRequested),
    t.COMMANDS_STATUS: (CommandStatusChanged,),
    t.DEVICES: (DeviceSnapshot,),
    t.DEVICES_REPORTS: (DeviceReported,),
    t.LINKS_REQUESTS: (LinkRequested, ImportRowsSubmitted),
    t.IMPORTS_STATUS: (ImportProgress,),
    t.ACCESS: (UserAccess,),
    t.AUDIT: (AuditRecord,),
    t.HEARTBEATS: (ServiceHeartbeat,),
    t.SESSIONS: (SessionEnded,),
    t.RPC_AUTH_VERIFY: (VerifyCredentials,),
    t.RPC_AUTH_REVERIFY: (ReverifyPassword,),
    t.RPC_ADMIN: (AdminRequest,),
    t.RPC_REGISTRY: (ReservationRequest,),
}
# Where producers of one topic send different events: (service, topic) -> what that one sends.
PRODUCER_EVENTS: dict[tuple[str, str], tuple[type[Any], ...]] = {
    **{("permission-service", topic): (CommandAuthorized,)
       for topic in (t.COMMANDS_APPLE, t.COMMANDS_ANDROID, t.COMMANDS_WINDOWS)},
    **{("portal-gateway", topic): (CommandCancelRequested,)
       for topic in (t.COMMANDS_APPLE, t.COMMANDS_ANDROID, t.COMMANDS_WINDOWS)},
}
REPLIES = (CredentialsVerdict, ReverifyVerdict, AdminReply, ReservationReply)
DOC_SERVER = "kafka:9092"


def document(service: Service, description: str = "") -> dict[str, Any]:
    broker = KafkaBroker(DOC_SERVER)
    dead_letters: set[str] = set()
    for reg in service.subs.registrations:
        broker.subscriber(reg.topic, group_id=reg.group, title=reg.title,
                          description=reg.description.strip())(_taking(reg.models))
        if reg.topic in dead_letters:  # two subscribers of one topic share its DLQ
            continue
        dead_letters.add(reg.topic)
        broker.publisher(dlq_name(reg.topic), title=f"{service.name}:{dlq_name(reg.topic)}",
                         description=f"Records of {reg.topic} this service could not process "
                         "(original bytes and headers plus dlq_error_* headers)")
    if service.rpc is not None:
        broker.subscriber(service.rpc.reply_topic, title=f"{service.name}:replies",
                          description="Answers to this service's requests, matched by the "
                          "correlation_id header")(_taking(REPLIES))
    for topic in sorted(service.produced):
        models = PRODUCER_EVENTS.get((service.name, topic)) or TOPIC_EVENTS.get(topic)
        if models is None:
            raise KeyError(f"{topic}: add its event models to TOPIC_EVENTS")
        broker.publisher(topic, title=f"{service.name}:{topic}", schema=_payload(models),
                         description=spec_for(topic).description)
    spec = AsyncAPI(broker, title=service.name, version=service.version,
                    description=description).to_specification()
    return json.loads(spec.to_json())  # type: ignore[no-any-return]


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _payload(models: tuple[type[Any], ...]) -> Any:
    return models[0] if len(models) == 1 else Union[models]  # noqa: UP007 - a runtime tuple


def _taking(models: tuple[type[Event], ...] | tuple[type[Any], ...]) -> Any:
    """A handler whose signature names the payload type FastStream documents."""

    async def handler(event: Any) -> None:
        raise RuntimeError("documentation only")

    handler.__annotations__ = {"event": _payload(models), "return": None}
    return handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ssp_runtime.asyncapi")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--check", action="store_true", help="fail if a file is stale")
    services = registered()
    parser.add_argument("services", nargs="*", default=list(services))
    args = parser.parse_args(argv)
    clear_settings_environment()
    stale = []
    for name in args.services:
        text = render(document(services[name].build_demo().service, services[name].intro))
        path = args.directory / f"{name}.json"
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path))
        else:
            args.directory.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(path)
    if stale:
        print("stale (run `make asyncapi`): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

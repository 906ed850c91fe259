"""Who may do what on Kafka: one principal per service (and one for other systems), and the
ACLs that give each exactly the topics and consumer groups it needs.

This table is the one place the permissions are written down: the devstack grants it on the
brokers it starts (`make run`, `make test`), `docs/operations.md` prints it, and
`tests/security` checks it against the topics each service really registers. A deployment
grants the same with `kafka-acls.sh` or its operator (see the operations page).

The broker runs with `allow.everyone.if.no.acl.found=false`: what is not listed is refused.

`python -m ssp_runtime.kafka_acls` sets a cluster up as the admin principal (the client
settings of `ssp_runtime.kafka_auth`, from the environment): each principal's SCRAM credential
(password from `KAFKA_PASSWORD_<PRINCIPAL>`, e.g. `KAFKA_PASSWORD_PORTAL_GATEWAY`; a principal
without one is left alone) and every ACL of the table. Run again, it changes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import secrets
import sys
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    CompactArray,
    CompactBytes,
    CompactString,
    Int8,
    Int16,
    Int32,
    Schema,
    TaggedFields,
)
from ssp_contracts import topics as t
from ssp_contracts.topics import COMMAND_TOPIC_BY_FAMILY, dlq_name, rpc_replies

from ssp_runtime.kafka_auth import kafka_options

FAMILY_TOPICS = tuple(COMMAND_TOPIC_BY_FAMILY.values())
REPLY_TOPICS = "ssp.rpc.replies."  # a responder answers on the reply topic a request names
# Principals of the platform itself, not of a service: super users on the brokers.
ADMIN = "ssp-admin"  # topic creation and ACLs (the devstack, an operator's tooling)
BROKER = "ssp-broker"  # the brokers' and controllers' own connections


@dataclass(frozen=True)
class Principal:
    name: str
    # Topics it consumes (its consumer groups' topics, reply topics); every service reads
    # `ssp.heartbeats` to know its peers.
    reads: tuple[str, ...]
    writes: tuple[str, ...]  # topics it produces to
    group_prefix: str  # every consumer group it uses starts with this
    answers_rpc: bool = False  # writes to any `ssp.rpc.replies.*` (the requester's topic)
    description: str = ""
    service: bool = True  # one of ours: its consumers dead-letter what they cannot process

    def dead_letters(self) -> tuple[str, ...]:
        """A service's consumer moves a record it cannot process to `<topic>.dlq`."""
        if not self.service:
            return ()
        return tuple(dlq_name(topic) for topic in self.reads if not topic.startswith(
            REPLY_TOPICS))


PRINCIPALS: dict[str, Principal] = {p.name: p for p in (
    Principal(
        "permission-service",
        # The status topic: the command limits it enforces (pending slots, rate windows).
        reads=(t.RPC_AUTH_VERIFY, t.RPC_AUTH_REVERIFY, t.RPC_ADMIN, t.DEVICES,
               t.COMMANDS_REQUESTED, t.COMMANDS_STATUS, t.HEARTBEATS),
        writes=(t.ACCESS, t.AUDIT, t.COMMANDS_STATUS, *FAMILY_TOPICS, t.HEARTBEATS),
        group_prefix="permission-service", answers_rpc=True,
        description="decides every command: the only writer of `ssp.commands.<family>`"),
    Principal(
        "device-registry",
        reads=(t.DEVICES_REPORTS, t.COMMANDS_STATUS, t.LINKS_REQUESTS, t.ACCESS,
               t.RPC_REGISTRY, t.HEARTBEATS),
        writes=(t.DEVICES, t.AUDIT, t.IMPORTS_STATUS, t.HEARTBEATS),
        group_prefix="device-registry", answers_rpc=True),
    Principal(
        "command-dispatcher",
        reads=(*FAMILY_TOPICS, t.HEARTBEATS),
        writes=(t.COMMANDS_STATUS, t.DEVICES_REPORTS, t.HEARTBEATS),
        group_prefix="command-dispatcher"),
    Principal(
        "portal-gateway",
        # ssp.audit: each device's activity page (the records that name a device).
        reads=(t.DEVICES, t.ACCESS, t.COMMANDS_STATUS, t.AUDIT, t.IMPORTS_STATUS, t.SESSIONS,
               rpc_replies("portal-gateway"), t.HEARTBEATS),
        # Cancels too go to `ssp.commands.requested`; the permission-service forwards them.
        writes=(t.COMMANDS_REQUESTED, t.LINKS_REQUESTS, t.RPC_AUTH_VERIFY,
                t.RPC_AUTH_REVERIFY, t.RPC_ADMIN, t.RPC_REGISTRY, t.SESSIONS, t.HEARTBEATS),
        group_prefix="portal-gateway"),
    Principal(
        "integrator",
        reads=(t.COMMANDS_STATUS, t.DEVICES, t.AUDIT),
        writes=(t.COMMANDS_REQUESTED,),
        group_prefix="integrator", service=False,
        description="other systems (helpdesk, SIEM): request commands, read their outcome"),
)}


class Resource(IntEnum):
    TOPIC = 2
    GROUP = 3


class Pattern(IntEnum):
    LITERAL = 3
    PREFIXED = 4


class Operation(IntEnum):
    READ = 3
    WRITE = 4
    CREATE = 5
    DESCRIBE = 8


ALLOW = 3
ANY_HOST = "*"


@dataclass(frozen=True)
class Acl:
    principal: str
    resource: Resource
    name: str
    pattern: Pattern
    operation: Operation

    def kafka_acls_args(self) -> str:
        """The same grant as `kafka-acls.sh` arguments (for the operations page)."""
        kind = "--topic" if self.resource is Resource.TOPIC else "--group"
        pattern = " --resource-pattern-type prefixed" if self.pattern is Pattern.PREFIXED \
            else ""
        return (f"--allow-principal User:{self.principal} --operation "
                f"{self.operation.name.capitalize()} {kind} {self.name}{pattern}")


def acls_of(principal: Principal) -> list[Acl]:
    """Read or write on each topic (both imply Describe), Create on them (a service creates
    its missing topics at start-up), Read on its groups."""
    acls: list[Acl] = []

    def grant(name: str, op: Operation, resource: Resource = Resource.TOPIC,
              pattern: Pattern = Pattern.LITERAL) -> None:
        acl = Acl(principal.name, resource, name, pattern, op)
        if acl not in acls:
            acls.append(acl)

    for topic in principal.reads:
        grant(topic, Operation.READ)
    for topic in (*principal.writes, *principal.dead_letters()):
        grant(topic, Operation.WRITE)
    for topic in (*principal.reads, *principal.writes, *principal.dead_letters()):
        grant(topic, Operation.CREATE)
    if principal.answers_rpc:
        grant(REPLY_TOPICS, Operation.WRITE, pattern=Pattern.PREFIXED)
    grant(principal.group_prefix, Operation.READ, Resource.GROUP, Pattern.PREFIXED)
    return acls


def all_acls() -> list[Acl]:
    return [acl for principal in PRINCIPALS.values() for acl in acls_of(principal)]


async def create_acls(admin: AIOKafkaAdminClient, acls: list[Acl]) -> None:
    """Grant `acls` (granting one that exists changes nothing). aiokafka's admin client has
    no call for this and its CreateAcls request stops at v1, which Kafka 4 no longer accepts:
    v3 is sent here."""
    for start in range(0, len(acls), 100):
        batch = acls[start:start + 100]
        response = await admin._send_request(_CreateAcls(batch))
        for acl, (code, message, _tags) in zip(batch, response.results, strict=True):
            if code:
                raise RuntimeError(f"Kafka refused the ACL {acl}: error {code} {message}")


class _CreateAclsResponseV3(Response):
    FLEXIBLE_VERSION = True
    API_KEY = 30
    API_VERSION = 3
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("results", CompactArray(("error_code", Int16), ("error_message", CompactString("utf-8")),
                                 ("tags", TaggedFields))),
        ("tags", TaggedFields),
    )


class _CreateAclsRequestV3(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 30
    API_VERSION = 3
    RESPONSE_TYPE = _CreateAclsResponseV3
    SCHEMA = Schema(
        ("creations", CompactArray(
            ("resource_type", Int8), ("resource_name", CompactString("utf-8")),
            ("resource_pattern_type", Int8), ("principal", CompactString("utf-8")),
            ("host", CompactString("utf-8")), ("operation", Int8), ("permission_type", Int8),
            ("tags", TaggedFields))),
        ("tags", TaggedFields),
    )


class _CreateAcls(Request[_CreateAclsRequestV3]):
    API_KEY = 30

    def __init__(self, acls: list[Acl]) -> None:
        self.acls = acls

    def build(self, request_struct_class: type[_CreateAclsRequestV3]) -> _CreateAclsRequestV3:
        creations: list[Any] = [
            (int(a.resource), a.name, int(a.pattern), f"User:{a.principal}", ANY_HOST,
             int(a.operation), ALLOW, {}) for a in self.acls]
        return request_struct_class(creations, {})


SCRAM_SHA_512 = 2  # the mechanism's number in AlterUserScramCredentials
SCRAM_ITERATIONS = 8192


async def set_scram_passwords(admin: AIOKafkaAdminClient, passwords: dict[str, str]) -> None:
    """Create or replace each principal's SCRAM-SHA-512 credential. Only the salted password
    travels (RFC 5802: PBKDF2 of the password), as `kafka-configs.sh` does."""
    upsertions: list[Any] = []
    for name, password in passwords.items():
        salt = secrets.token_bytes(32)
        salted = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, SCRAM_ITERATIONS)
        upsertions.append((name, SCRAM_SHA_512, SCRAM_ITERATIONS, salt, salted, {}))
    response = await admin._send_to_controller(_AlterScram(upsertions))
    for user, code, message, _tags in response.results:
        if code:
            raise RuntimeError(f"Kafka refused the credential of {user}: error {code} {message}")


class _AlterScramResponseV0(Response):
    FLEXIBLE_VERSION = True
    API_KEY = 51
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("results", CompactArray(("user", CompactString("utf-8")), ("error_code", Int16),
                                 ("error_message", CompactString("utf-8")),
                                 ("tags", TaggedFields))),
        ("tags", TaggedFields),
    )


class _AlterScramRequestV0(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 51
    API_VERSION = 0
    RESPONSE_TYPE = _AlterScramResponseV0
    SCHEMA = Schema(
        ("deletions", CompactArray(("name", CompactString("utf-8")), ("mechanism", Int8),
                                   ("tags", TaggedFields))),
        ("upsertions", CompactArray(
            ("name", CompactString("utf-8")), ("mechanism", Int8), ("iterations", Int32),
            ("salt", CompactBytes), ("salted_password", CompactBytes), ("tags", TaggedFields))),
        ("tags", TaggedFields),
    )


class _AlterScram(Request[_AlterScramRequestV0]):
    API_KEY = 51

    def __init__(self, upsertions: list[Any]) -> None:
        self.upsertions = upsertions

    def build(self, request_struct_class: type[_AlterScramRequestV0]) -> _AlterScramRequestV0:
        return request_struct_class([], self.upsertions, {})


def passwords_from_env() -> dict[str, str]:
    found = {}
    for name in PRINCIPALS:
        password = os.environ.get(f"KAFKA_PASSWORD_{name.upper().replace('-', '_')}")
        if password:
            found[name] = password
    return found


async def set_up(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="ssp-kafka-setup",
                                **kafka_options())
    await admin.start()
    try:
        passwords = passwords_from_env()
        if passwords:
            await set_scram_passwords(admin, passwords)
        await create_acls(admin, all_acls())
        print(f"credentials set for {sorted(passwords) or 'nobody'}; "
              f"{len(all_acls())} ACLs granted")
    finally:
        await admin.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS"),
                        required="KAFKA_BOOTSTRAP_SERVERS" not in os.environ)
    asyncio.run(set_up(parser.parse_args(argv).bootstrap))
    return 0


if __name__ == "__main__":
    sys.exit(main())

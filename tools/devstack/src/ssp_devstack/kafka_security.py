"""The devstack's Kafka is secured the way production must be: SASL/SCRAM-SHA-512 for every
client, the KRaft StandardAuthorizer, no access without an ACL (`ssp_runtime.kafka_acls`).

Each principal gets a random password, kept in `<stack>/kafka/credentials.json` (mode 0600; a
cluster keeps one file for all its nodes). The brokers' SCRAM credentials are written into the
metadata when the storage is formatted, so they exist before the first client connects; the
ACLs are granted by the admin principal once the broker is up.

The controller listener stays on loopback and uses SASL/PLAIN with a password only the nodes
know (SCRAM credentials live in the metadata the controllers serve, so they cannot guard the
controllers themselves).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import os
import secrets
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from ssp_runtime.kafka_acls import ADMIN, BROKER, PRINCIPALS, all_acls, create_acls

CREDENTIALS_ENV = "SSP_DEVSTACK_KAFKA_CREDENTIALS"
MECHANISM = "SCRAM-SHA-512"
CONTROLLER = "ssp-controller"  # the PLAIN password of the controller listener (not SCRAM)
SCRAM_PRINCIPALS = (BROKER, ADMIN, *PRINCIPALS)


def load_credentials(path: Path) -> dict[str, str]:
    """Every principal's password, made (and saved, mode 0600) the first time."""
    if path.exists():
        return dict(json.loads(path.read_text()))
    path.parent.mkdir(parents=True, exist_ok=True)
    made = {name: secrets.token_urlsafe(24) for name in (*SCRAM_PRINCIPALS, CONTROLLER)}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(made, out, indent=2)
    return made


def scram_format_args(credentials: dict[str, str]) -> list[str]:
    """`kafka-storage format` arguments that store each principal's SCRAM credential."""
    args = []
    for name in SCRAM_PRINCIPALS:
        args += ["--add-scram", f"{MECHANISM}=[name={name},password={credentials[name]}]"]
    return args


def broker_properties(credentials: dict[str, str]) -> dict[str, str]:
    """The SASL and authorizer settings of every node (added to the properties template)."""
    broker = credentials[BROKER]
    controller = credentials[CONTROLLER]
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule"
    plain = "org.apache.kafka.common.security.plain.PlainLoginModule"
    return {
        "sasl.enabled.mechanisms": MECHANISM,
        "sasl.mechanism.inter.broker.protocol": MECHANISM,
        "listener.name.sasl_plaintext.sasl.enabled.mechanisms": MECHANISM,
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config":
            f'{scram} required username="{BROKER}" password="{broker}";',
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config":
            f'{plain} required username="{BROKER}" password="{controller}" '
            f'user_{BROKER}="{controller}";',
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found": "false",
        "super.users": f"User:{BROKER};User:{ADMIN}",
    }


def client_env(credentials_file: Path) -> dict[str, str]:
    """What a client needs to reach the stack's Kafka as the admin principal; services
    started through `ServiceProcess` swap in their own principal (`service_env`)."""
    credentials = load_credentials(credentials_file)
    return {"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISM": MECHANISM,
            "KAFKA_SASL_USERNAME": ADMIN, "KAFKA_SASL_PASSWORD": credentials[ADMIN],
            CREDENTIALS_ENV: str(credentials_file)}


def service_env(env: dict[str, str], module: str) -> dict[str, str]:
    """The Kafka principal of the service that `module` runs (`permission_service` runs
    `permission-service`), when the stack made credentials; other programs keep `env`'s."""
    name = module.replace("_", "-")
    credentials_file = env.get(CREDENTIALS_ENV)
    if not credentials_file or name not in PRINCIPALS:
        return {}
    password = load_credentials(Path(credentials_file))[name]
    return {"KAFKA_SASL_USERNAME": name, "KAFKA_SASL_PASSWORD": password}


def grant_acls(bootstrap: str, credentials: dict[str, str], marker: Path) -> None:
    """Grant the ACL table (as the admin); skipped when this table was granted already (the
    ACLs live in the cluster's metadata, across restarts). Runs in a thread of its own: the
    fault tests restart brokers from inside a running event loop."""
    acls = all_acls()
    digest = hashlib.sha256(repr(acls).encode()).hexdigest()
    if marker.exists() and marker.read_text() == digest:
        return

    async def grant() -> None:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap, client_id="ssp-devstack-acls",
            security_protocol="SASL_PLAINTEXT", sasl_mechanism=MECHANISM,
            sasl_plain_username=ADMIN, sasl_plain_password=credentials[ADMIN])
        await admin.start()
        try:
            await create_acls(admin, acls)
        finally:
            await admin.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, grant()).result()
    marker.write_text(digest)

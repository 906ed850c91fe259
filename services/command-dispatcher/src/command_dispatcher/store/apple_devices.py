"""Apple device records: the pinned identity certificate, push credentials, enrollment state.

The UnlockToken (it can clear the device's passcode) is stored encrypted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.fernet import Fernet
from ssp_contracts.devices import DeviceReported
from ssp_contracts.topics import DEVICES_REPORTS
from ssp_runtime.mongo import Database
from ssp_runtime.outbox import OutboxRelay, outbox_entry, push_outbox

APPLE_DEVICES = "apple_devices"
# The user channels of a device (macOS users, Shared iPad users): their own push credentials,
# kept apart from the device's so a user-channel TokenUpdate never touches the device channel.
APPLE_USER_CHANNELS = "apple_user_channels"
Doc = dict[str, Any]


@dataclass(frozen=True)
class AppleDevice:
    udid: str
    device_id: str
    org_id: str
    fingerprint: str
    enrolled: bool
    platform: str
    management_mode: str
    push_token: bytes | None = None
    push_magic: str | None = None
    topic: str | None = None
    has_unlock_token: bool = False
    # Commands the device answered NotNow in its current session: not offered again until
    # its next Idle (the start of a new session), so the next command gets its turn.
    not_now: frozenset[str] = frozenset()
    # TokenUpdate said AwaitingConfiguration: Setup Assistant waits for DeviceConfigured.
    awaiting_configuration: bool = False


class AppleDeviceStore:
    def __init__(self, db: Database, outbox: OutboxRelay, source: str,
                 secret_key: bytes) -> None:
        self.col = db[APPLE_DEVICES]
        self.user_channels = db[APPLE_USER_CHANNELS]
        self.outbox = outbox
        self.source = source
        self.fernet = Fernet(secret_key)
        outbox.watch(APPLE_DEVICES)

    async def create_indexes(self) -> None:
        await self.col.create_index("device_id", unique=True)

    async def get(self, udid: str) -> AppleDevice | None:
        doc = await self.col.find_one({"_id": udid})
        return _from_doc(doc) if doc else None

    async def by_device_id(self, device_id: str) -> AppleDevice | None:
        doc = await self._by_device_id(device_id)
        return _from_doc(doc) if doc else None

    async def _by_device_id(self, device_id: str, projection: Doc | None = None) -> Doc | None:
        """An Apple device's id is its UDID (given at Authenticate), so the read goes by `_id`,
        which every MongoDB-wire server answers from its index (FerretDB scans the collection
        for a filter on `device_id`)."""
        doc = await self.col.find_one({"_id": device_id},
                                      projection and {**projection, "device_id": 1})
        return doc if doc and doc.get("device_id") == device_id else None

    async def enroll(self, device: AppleDevice, report: DeviceReported, now: datetime, *,
                     new_identity: bool = False) -> None:
        """Pin the certificate seen at Authenticate and report the enrollment, in one write.
        A new identity starts without the old enrollment's push credentials, UnlockToken and
        user channels: they belonged to the profile that is gone."""
        update: Doc = {
            "$set": {"device_id": device.device_id, "org_id": device.org_id,
                     "fingerprint": device.fingerprint, "enrolled": True,
                     "platform": device.platform, "management_mode": device.management_mode,
                     "authenticated_at": now},
            "$push": push_outbox(self._entry(report))}
        update["$unset"] = {"not_now": "", "awaiting_configuration": ""} | (dict.fromkeys(
            ("push_token", "push_magic", "unlock_token"), "") if new_identity else {})
        await self.col.update_one({"_id": device.udid}, update, upsert=True)
        if new_identity:
            await self.user_channels.delete_many({"udid": device.udid})
        self.outbox.kick(APPLE_DEVICES, device.udid)

    async def update_tokens(self, udid: str, token: bytes, push_magic: str, topic: str,
                            unlock_token: bytes | None) -> None:
        fields: Doc = {"push_token": token, "push_magic": push_magic, "topic": topic}
        if unlock_token:
            fields["unlock_token"] = self.fernet.encrypt(unlock_token)
        await self.col.update_one({"_id": udid}, {"$set": fields})

    async def update_user_tokens(self, udid: str, user: str, token: bytes, push_magic: str,
                                 topic: str) -> None:
        """A user channel's push credentials, under the device but never on its record."""
        await self.user_channels.update_one(
            {"_id": f"{udid}|{user}"},
            {"$set": {"udid": udid, "user": user, "push_token": token, "push_magic": push_magic,
                      "topic": topic}}, upsert=True)

    async def user_channel_count(self, udid: str) -> int:
        return await self.user_channels.count_documents({"udid": udid})

    async def defer(self, udid: str, command_id: str) -> None:
        """The device answered NotNow to `command_id`: skip it for the rest of this session."""
        await self.col.update_one({"_id": udid}, {"$addToSet": {"not_now": command_id}})

    async def start_session(self, udid: str) -> None:
        """Idle opens a session: what was NotNow'd before may be offered again."""
        await self.col.update_one({"_id": udid}, {"$unset": {"not_now": ""}})

    async def set_awaiting_configuration(self, udid: str, awaiting: bool) -> None:
        await self.col.update_one({"_id": udid}, {"$set": {"awaiting_configuration": awaiting}})

    async def unlock_token(self, device_id: str) -> bytes | None:
        doc = await self._by_device_id(device_id, {"unlock_token": 1})
        token = doc.get("unlock_token") if doc else None
        return self.fernet.decrypt(token) if token else None

    async def report(self, udid: str, report: DeviceReported, **fields: Any) -> None:
        """Store `fields` (e.g. enrolled=False, management_mode) and publish `report` with them."""
        update: Doc = {"$push": push_outbox(self._entry(report))}
        if fields:
            update["$set"] = fields
        await self.col.update_one({"_id": udid}, update)
        self.outbox.kick(APPLE_DEVICES, udid)

    async def report_wiped(self, udid: str) -> None:
        """An erased device comes back with a new identity: it may enroll (and re-pin) again."""
        await self.col.update_one({"_id": udid}, {"$set": {"enrolled": False},
                                                  "$unset": {"push_token": ""}})

    async def drop_push_token(self, udid: str) -> None:
        """APNs said the token is dead: stop pushing until the next TokenUpdate."""
        await self.col.update_one({"_id": udid}, {"$unset": {"push_token": ""}})

    def _entry(self, report: DeviceReported) -> Doc:
        return outbox_entry(DEVICES_REPORTS, report, source=self.source)


def _from_doc(doc: Doc) -> AppleDevice:
    return AppleDevice(
        udid=doc["_id"], device_id=doc["device_id"], org_id=doc["org_id"],
        fingerprint=doc["fingerprint"], enrolled=doc.get("enrolled", False),
        platform=doc["platform"], management_mode=doc["management_mode"],
        push_token=doc.get("push_token"), push_magic=doc.get("push_magic"),
        topic=doc.get("topic"), has_unlock_token=bool(doc.get("unlock_token")),
        not_now=frozenset(doc.get("not_now") or ()),
        awaiting_configuration=bool(doc.get("awaiting_configuration")),
    )

"""Each organisation's help-desk contact, one document per org (`_id` = org id).

It lives in the gateway's own database: only the portal's pages show it, no other service
reads it, and every gateway instance sees the same one (it survives restarts).
"""

from __future__ import annotations

from datetime import datetime

from pymongo.errors import PyMongoError
from ssp_runtime.mongo import Database

from portal_gateway.domain.helpdesk import HelpdeskContact


class HelpdeskStore:
    def __init__(self, db: Database) -> None:
        self.contacts = db["helpdesk_contacts"]

    async def contact(self, org_id: str) -> HelpdeskContact | None:
        """None also when the database does not answer: the contact is an extra on pages
        that say something went wrong, which must not fail because of it."""
        try:
            doc = await self.contacts.find_one({"_id": org_id})
        except PyMongoError:
            return None
        if doc is None:
            return None
        contact = HelpdeskContact.model_validate(
            {k: doc.get(k, "") for k in HelpdeskContact.model_fields})
        return None if contact.is_empty else contact

    async def save(self, org_id: str, contact: HelpdeskContact, by_user_id: str,
                   now: datetime) -> None:
        await self.contacts.replace_one(
            {"_id": org_id},
            {**contact.model_dump(), "updated_by": by_user_id, "updated_at": now}, upsert=True)

"""Enrollment reservations: forwarded to the device-registry over request/reply. The gateway
checks only the shape and that the caller is an admin; the registry owns every rule."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from ssp_contracts.reservations import (
    ReservationKind,
    ReservationOp,
    ReservationReply,
    ReservationRequest,
)
from ssp_contracts.topics import RPC_REGISTRY
from ssp_runtime.rpc import RpcTimeout

from portal_gateway.authentication import RequestReply
from portal_gateway.command_requests import PUBLISH_ERRORS
from portal_gateway.domain.access import Caller
from portal_gateway.domain.errors import Unavailable, UpstreamRejected

log = logging.getLogger(__name__)


class ReservationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: ReservationKind
    value: str = Field(min_length=1, max_length=256)
    username: str = Field(min_length=1, max_length=254)
    expires_at: AwareDatetime | None = None


class ReservationDesk:
    def __init__(self, rpc: RequestReply) -> None:
        self.rpc = rpc

    async def forward(self, caller: Caller, op: ReservationOp, **fields: Any) -> ReservationReply:
        """The registry's answer; its refusals become problems with its status and code."""
        request = ReservationRequest(org_id=caller.org_id, request_id=f"rsv-{uuid.uuid4().hex}",
                                     actor_user_id=caller.user_id, op=op, **fields)
        try:
            reply = await self.rpc.request(RPC_REGISTRY, request, ReservationReply)
        except (RpcTimeout, *PUBLISH_ERRORS) as exc:
            log.warning("no answer", extra={"topic": RPC_REGISTRY, "error": repr(exc)})
            raise Unavailable("registry.unavailable", "The device registry did not answer. "
                              "Try again in a moment.") from exc
        if not reply.ok:
            raise UpstreamRejected(reply.status if 400 <= reply.status < 600 else 502,
                                   reply.code or "reservation.rejected",
                                   reply.message or "The request was refused.")
        return reply

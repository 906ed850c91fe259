"""Wiring of the two ways admins link devices in bulk or ahead of time: CSV imports (chunks
out on `ssp.links.requests`, progress in from `ssp.imports.status`) and enrollment
reservations (request/reply on `ssp.rpc.registry`)."""

from __future__ import annotations

from datetime import timedelta

from ssp_contracts.links import ImportProgress
from ssp_contracts.topics import IMPORTS_STATUS, LINKS_REQUESTS, RPC_REGISTRY
from ssp_runtime.clock import utc_now
from ssp_runtime.service import Service

from portal_gateway.domain.csv_import import ImportLimits
from portal_gateway.import_progress import ImportProgressProjection
from portal_gateway.import_requests import ImportDesk
from portal_gateway.reservation_requests import ReservationDesk
from portal_gateway.settings import Settings
from portal_gateway.store.imports import ImportProjection


def wire_link_admin(service: Service, settings: Settings) -> tuple[ImportDesk, ReservationDesk]:
    assert service.rpc is not None
    imports = ImportProjection(service.db)
    service.subscribe(
        IMPORTS_STATUS, ImportProgress,
        group_id=f"{settings.consumer_group_prefix}.{IMPORTS_STATUS}",
        from_beginning=settings.projections_from_beginning,
    )(ImportProgressProjection(imports, utc_now).on_import_progress)
    service.produces(LINKS_REQUESTS, RPC_REGISTRY)
    service.on_startup(imports.create_indexes)
    keep = timedelta(seconds=settings.import_retention_s)

    async def sweep_old_imports() -> None:
        await imports.sweep(utc_now() - keep)

    service.every(settings.session_sweep_s, sweep_old_imports)
    limits = ImportLimits(max_rows=settings.import_max_rows,
                          max_bytes=settings.import_max_bytes)
    return (ImportDesk(imports, service.publisher, limits, utc_now),
            ReservationDesk(service.rpc))

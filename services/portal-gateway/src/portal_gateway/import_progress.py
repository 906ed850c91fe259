"""`ssp.imports.status` in: each import's progress and row outcomes, for the pages and API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ssp_contracts.links import ImportProgress
from ssp_runtime.consuming import Delivery

from portal_gateway.store.imports import ImportProjection


class ImportProgressProjection:
    def __init__(self, imports: ImportProjection, clock: Callable[[], datetime]) -> None:
        self.imports = imports
        self.clock = clock

    async def on_import_progress(self, progress: ImportProgress, _delivery: Delivery) -> None:
        """Keeps each import's latest progress (by version) and every row outcome."""
        await self.imports.apply(progress, self.clock())

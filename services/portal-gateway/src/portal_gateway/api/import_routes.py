"""CSV link imports: upload (202 with the import id), progress, and the per-row report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from portal_gateway.domain.errors import FieldProblem, ValidationFailed
from portal_gateway.http.context import gateway_of
from portal_gateway.http.guards import AdminUser
from portal_gateway.http.resources import EntityIdPath
from portal_gateway.http.uploads import spool_upload

router = APIRouter(prefix="/admin/imports", tags=["imports"])
TRUE = frozenset({"true", "1", "on", "yes"})
FALSE = frozenset({"", "false", "0", "off", "no"})


def dry_run_of(fields: dict[str, str]) -> bool:
    value = fields.get("dry_run", "").strip().lower()
    if value not in TRUE | FALSE:
        raise ValidationFailed([FieldProblem("dry_run", "invalid.bool", "Use true or false.")])
    return value in TRUE


@router.post("", status_code=202, openapi_extra={"requestBody": {"content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}, "dry_run": {"type": "boolean"}}}}}}})
async def upload_import(caller: AdminUser, request: Request) -> JSONResponse:
    """Multipart `file` (CSV) and `dry_run`. The whole file is checked before any row is sent:
    a file that cannot be imported answers 413 or 422 with the code and line of the problem."""
    gw = gateway_of(request)
    upload = await spool_upload(request, file_field="file",
                                max_bytes=gw.settings.import_max_bytes)
    try:
        import_id = await gw.imports.submit(caller, upload, dry_run=dry_run_of(upload.fields))
    finally:
        upload.discard()
    return JSONResponse({"import_id": import_id}, status_code=202)


@router.get("/{import_id}")
async def import_status(import_id: EntityIdPath, caller: AdminUser,
                        request: Request) -> dict[str, Any]:
    return await gateway_of(request).imports.status(caller, import_id)


@router.get("/{import_id}/report.csv", response_class=StreamingResponse)
async def import_report(import_id: EntityIdPath, caller: AdminUser, request: Request,
                        ) -> StreamingResponse:
    pieces = await gateway_of(request).imports.report(caller, import_id)
    return StreamingResponse(pieces, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="import-{import_id}.csv"',
        "Cache-Control": "no-store"})

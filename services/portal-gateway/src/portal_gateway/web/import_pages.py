"""Admin pages for CSV imports: the upload form, an import's progress (updated by
import_progress.js polling the JSON API) and its per-row report, page by page."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from portal_gateway.domain.access import Caller
from portal_gateway.domain.errors import FieldProblem, PortalError, ValidationFailed
from portal_gateway.http.context import gateway_of
from portal_gateway.http.guards import AdminUser
from portal_gateway.http.uploads import BODY_OVERHEAD, SpooledUpload, too_large
from portal_gateway.import_requests import import_view
from portal_gateway.web.i18n import translator
from portal_gateway.web.rendering import error_text, page_locale, render

router = APIRouter(prefix="/admin/imports")
REPORT_PAGE_SIZE = 100


async def body_within_limit(request: Request) -> None:
    """Declared before the guard, which parses the form (the CSRF token) and with it the
    whole body: an upload announced as too large is refused before that."""
    declared = request.headers.get("content-length", "")
    limit = gateway_of(request).settings.import_max_bytes
    if declared.isdigit() and int(declared) > limit + BODY_OVERHEAD:
        raise too_large(limit)


def _copy_limited(source: UploadFile, target: Path, limit: int) -> int:
    size = 0
    with target.open("wb") as out:
        while piece := source.file.read(64 * 1024):
            size += len(piece)
            if size > limit:
                raise too_large(limit)
            out.write(piece)
    return size


async def _imports_page(request: Request, caller: Caller, error: PortalError | None = None,
                        ) -> Response:
    recent = await gateway_of(request).imports.imports.recent(caller.org_id)
    text = error_text(request, error) if error else None
    if error is not None and error.extra.get("line"):  # the line an admin must fix first
        where = translator(page_locale(request))("imports.at_line", line=error.extra["line"])
        text = f"{where} {text}"
    return render(request, "admin_imports.html", {
        "imports": [import_view(doc) for doc in recent], "error": text},
        error.status if error else 200)


@router.get("")
async def imports_page(caller: AdminUser, request: Request) -> Response:
    return await _imports_page(request, caller)


@router.post("")
async def upload_page(_limit: Annotated[None, Depends(body_within_limit)], caller: AdminUser,
                      request: Request) -> Response:
    gw = gateway_of(request)
    form = await request.form()  # already parsed by the guard
    file = form.get("file")
    upload = SpooledUpload(Path(tempfile.mkstemp(prefix="ssp-upload-", suffix=".csv")[1]))
    try:
        if not isinstance(file, UploadFile) or not file.filename:
            raise ValidationFailed([FieldProblem("file", "upload.missing",
                                                 "Choose a CSV file to upload.")])
        upload.filename = file.filename
        upload.size = _copy_limited(file, upload.path, gw.settings.import_max_bytes)
        import_id = await gw.imports.submit(caller, upload, dry_run=form.get("dry_run") == "on")
    except PortalError as exc:
        return await _imports_page(request, caller, exc)
    finally:
        upload.discard()
    return RedirectResponse(f"/admin/imports/{import_id}", status_code=303)


@router.get("/{import_id}")
async def import_page(import_id: str, caller: AdminUser, request: Request,
                      page: Annotated[int, Query(ge=1)] = 1) -> Response:
    desk = gateway_of(request).imports
    status = await desk.status(caller, import_id)
    rows = []
    if status["status"] != "running":
        doc = await desk.imports.get(caller.org_id, import_id)
        rows = await desk.imports.outcomes_page(import_id, int((doc or {}).get("version", 0)),
                                                (page - 1) * REPORT_PAGE_SIZE, REPORT_PAGE_SIZE)
    return render(request, "admin_import.html", {
        "job": status, "rows": rows, "page": page,
        "has_next": len(rows) == REPORT_PAGE_SIZE,
        "percent": round(100 * status["done"] / status["total"]) if status["total"] else 100})

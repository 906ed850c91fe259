"""/docs: Swagger UI served by the gateway itself from the swagger-ui-bundle-v2 package, so the
page works without the internet and under the portal's Content-Security-Policy."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from swagger_ui_bundle import swagger_ui_path

from portal_gateway.http.guards import declare_public
from portal_gateway.http.security_headers import content_security_policy

DOCS_PATH = "/docs"
ASSETS_PATH = "/static/swagger-ui"  # mounted ahead of the portal's own /static


def api_docs_routes(openapi_url: str, title: str) -> list[BaseRoute]:
    page = get_swagger_ui_html(
        openapi_url=openapi_url, title=title,
        swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_PATH}/favicon-32x32.png")
    body = bytes(page.body)
    # The page starts Swagger UI with one inline script: allowed by its hash, nothing else is.
    policy = content_security_policy(script_hashes=inline_script_hashes(body))

    async def swagger_ui_html(request: Request) -> Response:
        return HTMLResponse(body, headers={"Content-Security-Policy": policy})

    return [declare_public(Route(DOCS_PATH, swagger_ui_html, methods=["GET"])),
            declare_public(Mount(ASSETS_PATH, StaticFiles(directory=str(swagger_ui_path)),
                                 name="swagger-ui"))]


def inline_script_hashes(html: bytes) -> list[str]:
    """CSP source expressions ('sha256-…') of the page's inline scripts."""
    return [f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
            for script in re.findall(rb"<script>(.*?)</script>", html, re.S)]

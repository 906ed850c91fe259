"""Every route declares its guard: `public`, `user` or `admin`.

The guard is a dependency, so declaring it also enforces it. `route_guard()` finds the guard
of any route; a unit test walks `app.routes` and fails on a route without one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import Depends
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from ssp_contracts.enums import SELF_SERVICE_PERMISSIONS
from starlette.requests import Request
from starlette.routing import BaseRoute

from portal_gateway.domain.access import Caller, portal_access
from portal_gateway.domain.errors import Forbidden, NoPortalAccess
from portal_gateway.domain.secrets_at_rest import same_secret
from portal_gateway.http.context import gateway_of
from portal_gateway.http.cookies import session_secret

GuardKind = Literal["public", "user", "admin"]
GUARD_ATTR = "route_guard"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_STRENGTH: dict[str | None, int] = {"public": 0, "user": 1, "admin": 2}


def _declares(kind: GuardKind) -> Any:
    def mark(func: Any) -> Any:
        setattr(func, GUARD_ATTR, kind)
        return func
    return mark


@_declares("public")
async def public() -> None:
    """Anyone may call this route (login, health, static files)."""


@_declares("user")
async def require_user(request: Request) -> Caller:
    gw = gateway_of(request)
    caller = await gw.auth.caller(session_secret(request, gw.settings), gw.now())
    if request.method not in SAFE_METHODS:
        await _check_csrf(request, caller)
    request.state.caller = caller
    return caller


@_declares("user")
async def require_portal_user(caller: Annotated[Caller, Depends(require_user)],
                              request: Request) -> Caller:
    """Routes that show or act on devices and commands need a self-service permission: the
    first half of the rule the device list applies ("permission AND a linked device"). The
    second half holds by itself on device routes (an owned device is a linked one) and is left
    out on a command the caller requested (they keep seeing it after an unlink); the list
    checks it itself. So a linked device without a permission opens nothing anywhere."""
    if not SELF_SERVICE_PERMISSIONS & caller.permissions:
        linked = await gateway_of(request).stores.devices.count_owned(caller)
        raise NoPortalAccess(portal_access(caller.permissions, linked).missing)
    return caller


@_declares("admin")
async def require_admin(caller: Annotated[Caller, Depends(require_user)]) -> Caller:
    if not caller.is_admin:
        raise Forbidden("admin.required", "This needs the administrator role.")
    return caller


async def _check_csrf(request: Request, caller: Caller) -> None:
    """The JSON API takes the token from a header; forms post it as a hidden field."""
    if request.url.path.startswith("/api/"):
        given = request.headers.get(CSRF_HEADER)
    else:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not same_secret(given, caller.csrf_token):
        raise Forbidden("csrf.invalid", f"Missing or wrong CSRF token ({CSRF_HEADER}).")


CurrentUser = Annotated[Caller, Depends(require_user)]
PortalUser = Annotated[Caller, Depends(require_portal_user)]
AdminUser = Annotated[Caller, Depends(require_admin)]
PUBLIC = Depends(public)


def declare_public(route: BaseRoute) -> BaseRoute:
    """For plain Starlette routes (health, metrics, docs, static files) that take no deps."""
    setattr(route, GUARD_ATTR, "public")
    return route


def every_route(routes: Sequence[BaseRoute]) -> list[RouteContext]:
    """All routes with included routers flattened (with their effective dependencies)."""
    return list(iter_route_contexts(routes))


def route_guard(route: RouteContext) -> GuardKind | None:
    """The strongest guard a route declares, or None when it declares none."""
    dependant = getattr(route, "dependant", None) if isinstance(
        route.original_route, APIRoute) else None
    if dependant is None:
        return getattr(route.original_route, GUARD_ATTR, None)
    found: list[GuardKind] = []
    stack = list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        kind = getattr(dep.call, GUARD_ATTR, None)
        if kind is not None:
            found.append(kind)
        stack.extend(dep.dependencies)
    return max(found, key=_STRENGTH.__getitem__) if found else None

"""HTTP to the gateway's JSON API, and every failure turned into one clear message."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from sspctl.session_file import SavedSession

API = "/api/v1"
CSRF_HEADER = "X-CSRF-Token"


class CliError(Exception):
    """Shown to the user as is; the command exits non-zero."""


def problem_message(resp: httpx.Response) -> str:
    """`HTTP 409 user.username_taken: Taken.` plus a line per field problem (RFC 9457 body);
    whatever the body is when it is not problem+json."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        text = resp.text.strip()[:300] or resp.reason_phrase
        return f"HTTP {resp.status_code}: {text}"
    code = body.get("code") or body.get("title") or resp.reason_phrase
    detail = body.get("detail") or body.get("title") or ""
    where = f" (line {body['line']})" if body.get("line") is not None else ""
    lines = [f"HTTP {resp.status_code} {code}: {detail}{where}".rstrip(": ")]
    for problem in body.get("problems") or ():
        lines.append(f"  - {problem.get('field')}: {problem.get('message')} "
                     f"({problem.get('code')})")
    if resp.status_code == 401:
        lines.append("The session has ended: run `sspctl login` again.")
    return "\n".join(lines)


class Gateway:
    """One client for the command's duration; unsafe requests carry the CSRF token."""

    def __init__(self, url: str, *, cookies: dict[str, str] | None = None,
                 csrf_token: str = "", timeout_s: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.csrf_token = csrf_token
        self.http = httpx.Client(base_url=self.url, cookies=cookies or {}, timeout=timeout_s)

    @classmethod
    def of(cls, session: SavedSession) -> Gateway:
        return cls(session.url, cookies=session.cookies, csrf_token=session.csrf_token)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def cookies(self) -> dict[str, str]:
        return {cookie.name: cookie.value or "" for cookie in self.http.cookies.jar}

    def request(self, method: str, path: str, *, expect: tuple[int, ...] = (200,),
                **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if method not in ("GET", "HEAD") and self.csrf_token:
            headers[CSRF_HEADER] = self.csrf_token
        with self._reaching():
            resp = self.http.request(method, API + path, headers=headers, **kwargs)
        if resp.status_code not in expect:
            raise CliError(problem_message(resp))
        return resp

    def json(self, method: str, path: str, *, expect: tuple[int, ...] = (200,),
             **kwargs: Any) -> Any:
        resp = self.request(method, path, expect=expect, **kwargs)
        if resp.status_code == 204 or not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:
            raise CliError(f"The gateway answered {method} {path} with something other "
                           f"than JSON: {resp.text[:200]!r}") from None

    @contextmanager
    def _reaching(self) -> Iterator[None]:
        try:
            yield
        except httpx.TimeoutException as exc:
            raise CliError(f"The gateway at {self.url} did not answer in time ({exc!r}).") \
                from None
        except httpx.HTTPError as exc:
            raise CliError(f"Cannot reach the gateway at {self.url}: {exc}") from None

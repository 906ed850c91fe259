"""Headers every response gets: no sniffing, no framing, own scripts only, no caching of
personal data (static files excepted). The edge (edge.py) adds those a response lacks."""

from __future__ import annotations

from collections.abc import Iterable

Header = tuple[bytes, bytes]


def content_security_policy(script_hashes: Iterable[str] = (),
                            image_origins: Iterable[str] = ()) -> str:
    """Own scripts, styles and images only; `script_hashes` allow known inline scripts,
    `image_origins` other image servers (the map's tiles)."""
    scripts = " ".join(["'self'", *script_hashes])
    images = " ".join(["'self'", "data:", *image_origins])
    return (f"default-src 'self'; script-src {scripts}; style-src 'self'; "
            f"img-src {images}; connect-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")


def security_headers(policy: str, *, no_store: bool) -> tuple[Header, ...]:
    """Lower-case names (as ASGI carries them); `no_store` for everything but static files."""
    headers = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
               (b"x-frame-options", b"DENY"), (b"content-security-policy", policy.encode())]
    if no_store:
        headers.append((b"cache-control", b"no-store"))
    return tuple(headers)

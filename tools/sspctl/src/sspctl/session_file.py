"""The saved login: the gateway URL, its session cookie and CSRF token, in a file only the
user can read (0600, in a 0700 directory). The password is never written anywhere."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

CONFIG_ENV = "SSPCTL_CONFIG"


class NotLoggedIn(Exception):
    pass


@dataclass
class SavedSession:
    url: str
    username: str
    org_id: str
    csrf_token: str
    cookies: dict[str, str] = field(default_factory=dict, repr=False)


def config_path() -> Path:
    """$SSPCTL_CONFIG, else $XDG_CONFIG_HOME/sspctl/session.json (~/.config by default)."""
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "sspctl" / "session.json"


def save(session: SavedSession, path: Path | None = None) -> Path:
    path = path or config_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    # Created 0600 from the start: the cookie is never readable by others, not even briefly.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(asdict(session), out)
    os.chmod(tmp, 0o600)  # O_CREAT's mode does not apply to a file that already existed
    os.replace(tmp, path)
    return path


def load(path: Path | None = None) -> SavedSession:
    path = path or config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return SavedSession(**data)
    except FileNotFoundError:
        raise NotLoggedIn("Not logged in: run `sspctl login` first.") from None
    except (ValueError, TypeError) as exc:
        raise NotLoggedIn(f"The saved session in {path} is unreadable ({exc}); "
                          "run `sspctl login` again.") from None


def forget(path: Path | None = None) -> bool:
    path = path or config_path()
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True

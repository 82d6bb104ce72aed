"""Passwords and keys generated on first start, kept in `<home>/services/secrets` (mode 0600).

Nothing secret is in the repository or in the packaged configuration: each value is made
once with `secrets.token_urlsafe` and read back on later starts, so that data kept across
down/up (the PostgreSQL roles, Airflow's users) still matches.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ADMIN_USER = "admin"


@dataclass(frozen=True)
class Secret:
    name: str
    value: str
    created: bool  # made by this call: show it once


def _write_private(path: Path, value: str) -> None:
    # Created with 0600 from the start (no window in which another user could read it).
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")


def fernet_key() -> str:
    """A Fernet key (url-safe base64 of 32 random bytes, padded), as Airflow's fernet_key needs."""
    import base64

    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def get_or_create(directory: Path, name: str, nbytes: int = 18, make: Callable[[], str] | None = None) -> Secret:
    """The secret `name`, generated on first use; refuses a file that others can read."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    path = directory / name
    created = False
    if not path.exists():
        try:
            _write_private(path, make() if make else secrets.token_urlsafe(nbytes))
            created = True
        except FileExistsError:
            pass  # another `up` made it first: use theirs
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise PermissionError(f"{path} is readable by others (mode {mode:o}); chmod 600 it")
    value = path.read_text(encoding="utf-8").strip()
    if not value:
        raise ValueError(f"{path} is empty; delete it to have a new secret generated")
    return Secret(name, value, created)


def admin_password(directory: Path) -> Secret:
    """The platform's admin password: PostgreSQL's `ecomlab` role over TCP and Airflow's `admin` user."""
    return get_or_create(directory, "admin_password")


# Airflow's keys, shared by its components (each reads its file through a *_CMD setting).
AIRFLOW_KEYS = {
    "airflow_jwt_secret": None,  # signs the tokens tasks use to call the API server
    "airflow_api_secret_key": None,
    "airflow_fernet_key": fernet_key,  # encrypts connections' passwords in the database
}


def airflow_keys(directory: Path) -> None:
    for name, make in AIRFLOW_KEYS.items():
        get_or_create(directory, name, nbytes=32, make=make)

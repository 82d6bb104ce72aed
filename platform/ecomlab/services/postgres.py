"""The platform's own PostgreSQL cluster: initialised once into `<home>/services/data/postgres`.

Local (socket) connections are trusted: the socket lives in `<home>/services/run`, which
only the platform's user can enter. TCP on 127.0.0.1 needs the generated admin password
(scram-sha-256). Databases: `ecomlab` (the results mart), `metastore`, `airflow`.
"""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path

from ecomlab.services.definitions import postgres_bindir, postgres_user
from ecomlab.services.layout import Layout

DATABASES = ("ecomlab", "metastore", "airflow")
SUPERUSER = "ecomlab"


def _chown(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)


def _check_reachable(path: Path, user: str) -> None:
    """The service user must be able to walk to its data directory (pytest and mkdtemp dirs are 0700)."""
    for parent in reversed(path.parents):
        if parent.exists() and not os.stat(parent).st_mode & 0o001:
            raise PermissionError(
                f"PostgreSQL runs as {user!r} and cannot enter {parent} (mode "
                f"{os.stat(parent).st_mode & 0o777:o}); put the home elsewhere or chmod o+x {parent}"
            )


def initialise(layout: Layout) -> bool:
    """initdb into the platform's data directory unless it holds a cluster already. True if created."""
    data = layout.data_dir("postgres")
    if (data / "PG_VERSION").exists():
        _own_runtime(layout)
        return False
    bindir = postgres_bindir()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL is not installed; run infra/scripts/ensure-postgres.sh")
    user = postgres_user()
    data.mkdir(parents=True, exist_ok=True)
    data.chmod(0o700)
    if user:
        _check_reachable(data, user)
        _chown(data, user)
    _own_runtime(layout)
    result = subprocess.run(
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            f"--username={SUPERUSER}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ],
        capture_output=True,
        text=True,
        user=user,
        group=user,
        cwd="/",
    )
    if result.returncode != 0:
        raise RuntimeError(f"initdb into {data} failed: {result.stderr.strip() or result.stdout.strip()}")
    return True


def _own_runtime(layout: Layout) -> None:
    """The server writes its socket into run/ (0700): it must own that directory."""
    user = postgres_user()
    if user:
        _check_reachable(layout.run, user)
        _chown(layout.run, user)


def bootstrap(layout: Layout, port: int, password: str) -> None:
    """Set the admin password and create the platform's databases (idempotent)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(host=str(layout.run), port=port, user=SUPERUSER, dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(SUPERUSER), sql.Literal(password)))
        existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
        for name in DATABASES:
            if name not in existing:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

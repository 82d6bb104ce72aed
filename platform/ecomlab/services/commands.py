"""The CLI commands of the local platform: `ecomlab up | down | status | logs`."""

from __future__ import annotations

import os
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()
err = Console(stderr=True)

OnlyOption = Annotated[
    str | None, typer.Option("--only", help="Comma-separated services (with what they need), e.g. thrift-server.")
]


def _names(only: str | None) -> list[str] | None:
    return [n.strip() for n in only.split(",") if n.strip()] if only else None


def _settings():
    import logging

    from ecomlab.settings import ConfigError, load_settings

    logging.getLogger("kazoo").setLevel(logging.WARNING)  # its connection chatter is not news here

    profile = os.environ.get("ECOMLAB_PROFILE") or "local"
    if profile != "local":
        err.print(f"[red]error[/red]: the platform runs the local profile, not {profile!r}", highlight=False)
        raise typer.Exit(2)
    try:
        return load_settings("local")
    except ConfigError as exc:
        err.print(f"[red]configuration error[/red]: {exc}", highlight=False)
        raise typer.Exit(2) from None


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error[/red]: {message}", highlight=False)
    return typer.Exit(1)


def up(only: OnlyOption = None) -> None:
    """Start the local platform's services in order and wait until each is healthy."""
    from ecomlab.services.platform import PlatformError
    from ecomlab.services.platform import up as start

    settings = _settings()
    with err.status("starting the platform") as spinner:

        def report(message: str) -> None:
            spinner.update(message)
            err.print(message, highlight=False)

        try:
            result = start(settings, _names(only), report)
        except (PlatformError, OSError, RuntimeError) as exc:
            raise _fail(f"{exc}\n(`ecomlab down` stops what was started)") from None
    table = Table("service", "address", "seconds", "health")
    for one in result.started:
        table.add_row(one.service, one.address, "running" if one.already_running else f"{one.seconds:.1f}", one.detail)
    console.print(table)
    for name, reason in result.skipped.items():
        console.print(f"skipped {name}: {reason}", highlight=False)
    console.print(f"platform up in {result.seconds:.1f}s (home {settings.home})", highlight=False)


def down(only: OnlyOption = None) -> None:
    """Stop the platform (or only the named services); nothing is left running."""
    from ecomlab.services.platform import PlatformError
    from ecomlab.services.platform import down as stop

    try:
        strays = stop(_settings(), _names(only), lambda m: err.print(m, highlight=False))
    except PlatformError as exc:
        raise _fail(str(exc)) from None
    if strays:
        console.print(f"stopped {len(strays)} stray process(es): {strays}")
    console.print("stopped" + (f": {only}" if only else ""))


def status() -> None:
    """Each service, its address and health (from the service registry in ZooKeeper). Exit 1 if any is down."""
    from ecomlab.services.platform import status as read_status

    rows, problem = read_status(_settings())
    table = Table("service", "process", "address", "health")
    for row in rows:
        colour = "green" if row.healthy else "red"
        table.add_row(row.name, row.state, row.address, f"[{colour}]{row.health}[/{colour}]")
    console.print(table)
    if problem:
        console.print(f"[yellow]{problem}[/yellow]", highlight=False)
    if not rows or not all(row.healthy for row in rows):
        raise typer.Exit(1)


def logs(
    service: Annotated[str | None, typer.Argument(help="A service (default: the supervisor's own log).")] = None,
    lines: Annotated[int, typer.Option("--lines", "-n", help="Lines from the end.")] = 40,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = False,
) -> None:
    """Print a service's log (stdout and stderr, as the supervisor captured them)."""
    from ecomlab.services.layout import Layout
    from ecomlab.services.supervisor import log_tail

    layout = Layout(_settings().home)
    path = layout.log(service) if service else layout.logs / "supervisord.log"
    if not path.exists():
        known = sorted(p.stem for p in layout.logs.glob("*.log")) if layout.logs.exists() else []
        raise _fail(f"no log at {path}; logs: {', '.join(known) or 'none yet (run ecomlab up)'}")
    print(log_tail(path, lines))
    if follow:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            try:
                while True:
                    chunk = handle.read()
                    if chunk:
                        print(chunk.decode(errors="replace"), end="", flush=True)
                    else:
                        time.sleep(0.5)
            except KeyboardInterrupt:
                pass


def register(app: typer.Typer) -> None:
    app.command("up")(up)
    app.command("down")(down)
    app.command("status")(status)
    app.command("logs")(logs)

"""Progress of long work: a bar in a terminal, periodic log lines elsewhere (Airflow task logs)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger("ecomlab")

Advance = Callable[[int], None]


class Progress:
    """Reports progress as log lines at every tenth of the total (or every call when unknown)."""

    @contextmanager
    def task(self, description: str, total: int | None = None, unit: str = "") -> Iterator[Advance]:
        done = 0
        next_mark = (total or 0) / 10

        def advance(n: int) -> None:
            nonlocal done, next_mark
            done += n
            if total and done >= next_mark:
                log.info("%s: %s/%s %s", description, f"{done:,}", f"{total:,}", unit)
                next_mark += total / 10

        log.info("%s ...", description)
        yield advance
        log.info("%s: done (%s %s)", description, f"{done:,}", unit)


class RichProgress(Progress):
    """A progress bar per task on the terminal."""

    def __init__(self):
        from rich.console import Console

        self.console = Console(stderr=True)

    @contextmanager
    def task(self, description: str, total: int | None = None, unit: str = "") -> Iterator[Advance]:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        columns = [
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(unit),
            TimeElapsedColumn(),
        ]
        with Progress(*columns, console=self.console, transient=False) as bar:
            task_id = bar.add_task(description, total=total)
            yield lambda n: bar.advance(task_id, n)
            # Totals can be estimates (simulated events): end at what was really done.
            bar.update(task_id, total=bar.tasks[0].completed)


def default_progress() -> Progress:
    return RichProgress() if sys.stderr.isatty() else Progress()

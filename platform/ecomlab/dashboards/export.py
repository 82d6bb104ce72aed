"""Export every board of every data set as static HTML that opens from disk (file://).

Layout: DIR/index.html, DIR/<dataset>/<board>.html, DIR/assets/ (ECharts and the
dashboards' script and style). The export is written next to DIR and swapped in at the end,
so a failed export leaves the previous one as it was.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ecomlab.dashboards.assets import copy_assets
from ecomlab.dashboards.boards import BOARDS
from ecomlab.dashboards.build import build_page
from ecomlab.dashboards.catalog import Label
from ecomlab.dashboards.data import datasets, present_tables
from ecomlab.dashboards.filters import Filters, check_against
from ecomlab.dashboards.render import EXPORT, render_board, render_index
from ecomlab.mart import Mart


class ExportError(ValueError):
    """An export that cannot be written where asked."""


@dataclass
class ExportResult:
    index: Path
    pages: list[Path] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    empty_panels: int = 0


def _is_previous_export(directory: Path) -> bool:
    return (directory / "index.html").is_file() and (directory / "assets" / "echarts.min.js").is_file()


def export_dashboards(
    mart: Mart,
    out: Path,
    labels: Sequence[Label],
    filters: Filters | None = None,
    only: Sequence[str] | None = None,
    advance: Callable[[int], None] = lambda n: None,
    also: Sequence[str] = (),
) -> ExportResult:
    """Write the boards of every data set (or of `only`) under `out`, replacing a previous export there.

    `also` adds data sets even if the mart holds no rows for them yet (their boards show empty states).
    """
    out = Path(out).resolve()
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not _is_previous_export(out))):
        raise ExportError(f"{out} exists and is not a dashboard export: choose a new or empty directory")
    filters = filters or Filters()
    known = datasets(mart)
    chosen = list(only) if only else known
    for name in chosen:
        check_against(Filters(dataset=name), known, {})
    chosen += [name for name in also if name not in chosen]
    known = sorted({*known, *chosen})
    tables = present_tables(mart)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        copy_assets(staging / "assets")
        result = ExportResult(index=out / "index.html", datasets=chosen)
        for name in chosen:
            (staging / name).mkdir()
            for board in BOARDS:
                page = build_page(mart, board, Filters(name, filters.start, filters.end), labels, known, tables)
                result.empty_panels += sum(1 for panel in page.panels if panel.kind == "empty")
                path = staging / name / f"{board.SLUG}.html"
                path.write_text(render_board(page, EXPORT, BOARDS), encoding="utf-8")
                result.pages.append(out / name / path.name)
                advance(1)
        notes = [] if tables else ["The results mart has no dashboard tables yet."]
        (staging / "index.html").write_text(render_index(chosen, BOARDS, EXPORT, notes), encoding="utf-8")
        if out.exists():
            previous = out.with_name(f".{out.name}-previous")
            shutil.rmtree(previous, ignore_errors=True)
            out.rename(previous)
            staging.rename(out)
            shutil.rmtree(previous)
        else:
            staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result

"""The main job's last stage: export the dashboards from the mart next to the other results."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ecomlab.dashboards.catalog import load_labels
from ecomlab.dashboards.export import ExportResult, export_dashboards
from ecomlab.mart import Mart
from ecomlab.progress import Progress
from ecomlab.settings import Settings


def dashboards_dir(settings: Settings) -> Path:
    return Path(settings.home).resolve() / "dashboards"


def export_for_run(
    settings: Settings, run_datasets: Sequence[str], progress: Progress | None = None, catalog=None
) -> ExportResult:
    """Export every data set in the mart plus the run's own (catalog: the platform's unless given).

    Tables the indicator or mining stages have not written yet show as labelled empty panels.
    """
    progress = progress or Progress()
    labels = load_labels(catalog)
    mart = Mart.from_settings(settings)
    try:
        with progress.task("export dashboards", unit="pages") as advance:
            return export_dashboards(mart, dashboards_dir(settings), labels, advance=advance, also=run_datasets)
    finally:
        mart.dispose()

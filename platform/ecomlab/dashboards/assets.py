"""The files a page loads: ECharts (from the npm package `echarts`) and the dashboards' own script and style.

All of them are served by the platform itself (or copied next to an export), so that no page
fetches anything from outside the machine.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pyecharts.globals import CurrentConfig

HERE = Path(__file__).resolve().parent
# Installed from js/package-lock.json by `npm ci` (the Makefile does it).
ECHARTS = HERE / "js" / "node_modules" / "echarts" / "dist" / "echarts.min.js"
ECHARTS_LICENSE = HERE / "js" / "node_modules" / "echarts" / "LICENSE"
STATIC = HERE / "static"
# Relative to a board page: the same in an export (DIR/<dataset>/<board>.html) and on the server.
ASSETS_URL = "../assets/"


class AssetsMissing(RuntimeError):
    """ECharts is not installed next to the package."""


def echarts_file() -> Path:
    if not ECHARTS.is_file():
        raise AssetsMissing(
            f"ECharts is not installed ({ECHARTS} is missing): run `make install`, "
            f"or `npm ci --prefix {ECHARTS.parent.parent.parent.parent}`"
        )
    return ECHARTS


def asset_files() -> dict[str, Path]:
    """Every file under assets/, by name."""
    files = {"echarts.min.js": echarts_file()}
    if ECHARTS_LICENSE.is_file():
        files["echarts-LICENSE.txt"] = ECHARTS_LICENSE
    files.update({path.name: path for path in sorted(STATIC.iterdir()) if path.is_file()})
    return files


def copy_assets(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, source in asset_files().items():
        shutil.copyfile(source, directory / name)
    return directory


def use_local_echarts() -> None:
    """Make pyecharts itself (chart.render and friends) load ECharts from the local assets, not a CDN."""
    CurrentConfig.ONLINE_HOST = ASSETS_URL

"""The static export: layout, local ECharts from the npm package, CSP, replacing a previous export."""

import filecmp
import re

import pytest
from pyecharts.globals import CurrentConfig

from ecomlab.dashboards.assets import ECHARTS, use_local_echarts
from ecomlab.dashboards.boards import BOARDS
from ecomlab.dashboards.export import ExportError, export_dashboards
from ecomlab.dashboards.render import CSP


def test_export_writes_every_board_with_echarts_alongside(planted, labels, tmp_path):
    result = export_dashboards(planted, tmp_path / "out", labels)
    out = tmp_path / "out"
    assert result.index == out / "index.html" and result.datasets == ["shop"]
    assert sorted(p.name for p in result.pages) == sorted(f"{b.SLUG}.html" for b in BOARDS)
    assert filecmp.cmp(out / "assets" / "echarts.min.js", ECHARTS, shallow=False)
    assert "Apache License" in (out / "assets" / "echarts-LICENSE.txt").read_text()
    index = result.index.read_text()
    for board in BOARDS:
        assert f'href="shop/{board.SLUG}.html"' in index
    for path in result.pages:
        html = path.read_text()
        assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'.replace("'", "&#39;") in html
        sources = re.findall(r'(?:src|href)="([^"]*)"', html)
        assert sources and all("//" not in s and not s.startswith("/") for s in sources), sources
        assert '<script src="../assets/echarts.min.js"></script>' in html


def test_a_second_export_replaces_the_first_and_other_directories_are_refused(planted, labels, tmp_path):
    out = tmp_path / "out"
    export_dashboards(planted, out, labels)
    (out / "shop" / "stale.html").write_text("old")
    export_dashboards(planted, out, labels)
    assert not (out / "shop" / "stale.html").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(ExportError, match="exists and is not a dashboard export"):
        export_dashboards(planted, other, labels)
    assert (other / "notes.txt").read_text() == "keep me"


def test_an_empty_mart_exports_an_index_that_says_so(mart, labels, tmp_path):
    result = export_dashboards(mart, tmp_path / "out", labels)
    assert result.pages == []
    assert "No data yet" in result.index.read_text()


def test_pyecharts_is_pointed_at_the_local_echarts(monkeypatch):
    monkeypatch.setattr(CurrentConfig, "ONLINE_HOST", CurrentConfig.ONLINE_HOST)
    use_local_echarts()
    from pyecharts.charts import Bar

    html = Bar().add_xaxis(["a"]).add_yaxis("s", [1]).render_embed()
    assert 'src="../assets/echarts.min.js"' in html
    assert "http" not in re.search(r"<script[^>]*src=\"([^\"]+)\"", html).group(1)

"""The quality report: a standalone, escaped HTML page and its JSON twin in the lake."""

from __future__ import annotations

import copy
import json
from html.parser import HTMLParser
from urllib.parse import urlparse

import pytest

from ecomlab.cleaning.report import render_html, write_report
from ecomlab.storage.lake import LocalLake

DIMENSIONS = ("completeness", "validity", "uniqueness", "consistency", "timeliness", "accuracy")
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
VOID = {"meta", "br", "hr", "img", "link", "input", "wbr", "col", "area", "base", "source"}


# A tiny DOM from the stdlib parser ---------------------------------------------------------


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None]):
        self.tag, self.attrs, self.children = tag, attrs, []

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str) -> list[Node]:
        return [n for n in self.iter() if n.tag == tag]

    def by_id(self, node_id: str) -> Node | None:
        return next((n for n in self.iter() if n.attrs.get("id") == node_id), None)


class Dom(HTMLParser):
    """Builds a tree and records every start tag; mismatched end tags are kept as errors."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.start_tags: list[tuple[str, dict]] = []
        self.errors: list[str] = []
        self.doctype = None
        self.feed(page)
        self.close()

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs))
        self.start_tags.append((tag, dict(attrs)))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.start_tags.append((tag, dict(attrs)))
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.stack[-1].tag != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1].tag}>")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].children.append(data)

    @property
    def tags(self) -> list[str]:
        return [t for t, _ in self.start_tags]


def parse(page: str) -> Dom:
    dom = Dom(page)
    assert dom.errors == [], dom.errors
    assert [n.tag for n in dom.stack] == ["#document"], "unclosed elements"
    return dom


def table_rows(table: Node) -> dict[str, list[Node]]:
    """Body rows of a table keyed by their first cell's text."""
    rows = {}
    for tr in table.find_all("tbody")[0].find_all("tr"):
        cells = tr.find_all("td")
        rows[cells[0].text().strip()] = cells
    return rows


def squash(text: str) -> str:
    return " ".join(text.split())


# The report -------------------------------------------------------------------------------


def scores(**overrides: float) -> dict[str, float]:
    base = {d: 0.99 for d in DIMENSIONS}
    base.update(overrides)
    return base


@pytest.fixture
def report() -> dict:
    tables = {
        "shop_events": {
            "days": ["2026-11-01", "2026-11-02", "2026-11-03"],
            "rows_in": 100_000,
            "dwd_rows": 94_120,
            "quarantined": 4_830,
            "merged": 1_050,
            "conservation_ok": True,
            "findings": {"unparseable_timestamp": 2_210, "duplicate_row": 1_050, "out_of_window": 310},
            "reasons": {"unparseable_timestamp": 2_100, "out_of_window": 300, "null_required": 2_430},
            "repairs": {"timestamp_reformatted": 1_544, "trimmed": 12},
            "scores_detected": scores(validity=0.951),
            "scores_after": scores(timeliness=0.9412),
        },
        "shop_orders": {
            "days": ["2026-11-01", "2026-11-02", "2026-11-03"],
            "rows_in": 20_000,
            "dwd_rows": 18_220,
            "quarantined": 1_580,
            "merged": 200,
            "conservation_ok": True,
            "findings": {"orphan_foreign_key": 120, "duplicate_key": 200},
            "reasons": {"orphan_foreign_key": 120},
            "repairs": {},
            "scores_detected": scores(consistency=0.96),
            "scores_after": scores(),
        },
    }
    return {
        "run_id": "20261123T150000Z",
        "passed": False,
        "thresholds": {d: 0.97 for d in DIMENSIONS},
        "rounds": [
            {"round": 1, "refinements": [], "batch_scores": scores(validity=0.9611), "passed": False},
            {"round": 2, "refinements": ["extra_timestamp_formats"], "batch_scores": scores(), "passed": False},
        ],
        "batch": {
            "rows_in": 120_000,
            "dwd_rows": 112_340,
            "quarantined": 6_410,
            "merged": 1_250,
            "conservation_ok": True,
            "scores_detected": scores(validity=0.9523, consistency=0.9601),
            "scores_after": scores(completeness=0.9987, timeliness=0.9512, accuracy=0.97),
        },
        "tables": tables,
        "truth": {
            "file": "/data/truth/defects-20261123.json",
            "defects": {
                "bad_timestamp": {
                    "injected": 2_200,
                    "detected": 2_210,
                    "true_positives": 2_100,
                    "precision": 0.9502,
                    "recall": 0.9545,
                },
                "duplicate_row": {
                    "injected": 1_050,
                    "detected": 1_050,
                    "true_positives": 1_050,
                    "precision": 1.0,
                    "recall": 1.0,
                },
            },
        },
        "plan": {
            "uri": "file:///lake/runs/20261123T150000Z/plan.json",
            "warnings": ["shop_refunds has no data for 2026-11-02", "rules.yaml enables no outlier rule"],
        },
        "passes": {"ods_scans": 2, "note": "one scan to profile, one to detect"},
    }


# Structure --------------------------------------------------------------------------------


def test_page_is_a_complete_html5_document(report):
    page = render_html(report)
    dom = parse(page)

    assert dom.doctype.lower() == "doctype html"
    assert dom.tags[:2] == ["html", "head"]
    assert dom.tags.count("html") == dom.tags.count("head") == dom.tags.count("body") == 1
    title = dom.root.find_all("title")
    assert len(title) == 1
    assert "20261123T150000Z" in title[0].text()
    assert any(a.get("charset", "").lower() == "utf-8" for t, a in dom.start_tags if t == "meta")


def test_sections_come_in_order(report):
    dom = parse(render_html(report))

    headings = [h.text().strip() for h in dom.root.find_all("h2")]
    assert headings == [
        "Batch",
        "Quality scores",
        "Rounds",
        "Tables",
        "Detection scored against the truth",
        "Preparation",
    ]
    header = dom.root.find_all("header")[0]
    assert "20261123T150000Z" in header.text()
    assert "FAILED quality gate" in header.text()
    assert "rounds: 2" in squash(header.text())


def test_verdict_follows_passed(report):
    report["passed"] = True
    header = parse(render_html(report)).root.find_all("header")[0].text()

    assert "PASSED quality gate" in header
    assert "FAILED" not in header


def test_batch_shows_counts_and_conservation_equation(report):
    dom = parse(render_html(report))
    batch = dom.root.by_id("batch")

    counts = [td.text() for td in batch.by_id("batch-counts").find_all("td")]
    assert counts == ["120,000", "112,340", "6,410", "1,250"]
    equation = squash(batch.by_id("conservation").text())
    assert "rows in = DWD + quarantine + merged" in equation
    assert "120,000 = 112,340 + 6,410 + 1,250" in equation
    assert "holds" in equation and "does not hold" not in equation
    assert "ODS scans: 2" in squash(batch.text())


def test_broken_conservation_is_reported(report):
    report["batch"]["dwd_rows"] = 112_000
    report["batch"]["conservation_ok"] = False

    equation = squash(parse(render_html(report)).root.by_id("conservation").text())

    assert "120,000 = 112,000 + 6,410 + 1,250" in equation
    assert "does not hold" in equation


def test_scores_table_has_every_dimension_with_four_decimals(report):
    dom = parse(render_html(report))
    table = dom.root.by_id("scores-table")

    headers = [th.text() for th in table.find_all("th")]
    assert headers == ["dimension", "threshold", "score at detection", "score after correction"]
    rows = table_rows(table)
    assert list(rows) == list(DIMENSIONS)
    assert [c.text() for c in rows["validity"]] == ["validity", "0.9700", "0.9523", "0.9900"]
    assert [c.text() for c in rows["completeness"]] == ["completeness", "0.9700", "0.9900", "0.9987"]


def test_dimension_below_threshold_is_marked_and_others_are_not(report):
    rows = table_rows(parse(render_html(report)).root.by_id("scores-table"))

    assert "below" in rows["timeliness"][3].classes
    for dim in ("completeness", "validity", "uniqueness", "consistency"):
        assert all("below" not in c.classes for c in rows[dim]), dim
    # Exactly at the threshold passes.
    assert "below" not in rows["accuracy"][3].classes


def test_rounds_table_lists_each_round(report):
    table = parse(render_html(report)).root.by_id("rounds-table")

    rows = table_rows(table)
    assert list(rows) == ["1", "2"]
    assert "none" in rows["1"][1].text()
    assert rows["2"][1].text() == "extra_timestamp_formats"
    assert "validity 0.9611" in squash(rows["1"][2].text())
    marked = [s.text() for s in rows["1"][2].find_all("span") if "below" in s.classes]
    assert marked == ["0.9611"]
    assert rows["1"][3].text() == "no"


def test_tables_section_lists_every_table_with_details(report):
    section = parse(render_html(report)).root.by_id("tables")

    rows = table_rows(section.by_id("tables-table"))
    assert list(rows) == ["shop_events", "shop_orders"]
    assert [c.text() for c in rows["shop_events"]] == ["shop_events", "3", "100,000", "94,120", "4,830", "1,050", "yes"]
    details = {d.find_all("h3")[0].text(): d for d in section.find_all("section") if "table-detail" in d.classes}
    assert list(details) == ["shop_events", "shop_orders"]
    events = squash(details["shop_events"].text())
    assert "unparseable_timestamp → 2,210" in events
    assert "null_required → 2,430" in events
    assert "timestamp_reformatted → 1,544" in events
    assert "2026-11-01 … 2026-11-03" in events
    assert "Repairs none" in squash(details["shop_orders"].text())


def test_truth_table_scores_detection_and_marks_weak_values(report):
    section = parse(render_html(report)).root.by_id("truth")

    assert "/data/truth/defects-20261123.json" in section.text()
    rows = table_rows(section.by_id("truth-table"))
    assert [c.text() for c in rows["bad_timestamp"]] == ["bad_timestamp", "2,200", "2,210", "2,100", "0.9502", "0.9545"]
    assert "below" in rows["bad_timestamp"][4].classes
    assert "below" in rows["bad_timestamp"][5].classes
    assert all("below" not in c.classes for c in rows["duplicate_row"])


def test_no_truth_omits_the_truth_section(report):
    report["truth"] = None
    page = render_html(report)
    dom = parse(page)

    assert dom.root.by_id("truth") is None
    assert "Detection scored against the truth" not in page


def test_preparation_lists_plan_warnings(report):
    section = parse(render_html(report)).root.by_id("preparation")

    items = [li.text() for li in section.find_all("li")]
    assert items == ["shop_refunds has no data for 2026-11-02", "rules.yaml enables no outlier rule"]


def test_report_without_optional_keys_renders(report):
    for key in ("plan", "passes"):
        del report[key]
    report["truth"] = None
    for key in ("findings", "reasons", "repairs", "days", "conservation_ok"):
        del report["tables"]["shop_orders"][key]

    dom = parse(render_html(report))

    assert dom.root.by_id("preparation") is None
    assert dom.root.by_id("passes") is None
    rows = table_rows(dom.root.by_id("tables-table"))
    # Without a flag the equation is checked from the counts: 20,000 = 18,220 + 1,580 + 200.
    assert rows["shop_orders"][-1].text() == "yes"


def test_an_empty_report_still_renders():
    dom = parse(render_html({}))

    assert [h.text() for h in dom.root.find_all("h2")] == ["Batch", "Quality scores", "Rounds", "Tables"]
    assert list(table_rows(dom.root.by_id("scores-table"))) == list(DIMENSIONS)


# Safety -----------------------------------------------------------------------------------


def test_page_loads_nothing_from_outside(report):
    page = render_html(report)
    dom = parse(page)

    lowered = page.lower()
    for needle in ("http://", "https://", "src=", "<link", "<script", "url(", "@import"):
        assert needle not in lowered, needle
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(dom.tags)
    assert all("style" not in attrs for _, attrs in dom.start_tags)
    assert dom.tags.count("style") == 1


def test_report_text_is_escaped(report):
    hostile = report["tables"].pop("shop_orders")
    hostile["reasons"] = {IMG: 7}
    hostile["findings"] = {SCRIPT: 3}
    report["tables"][SCRIPT] = hostile
    report["run_id"] = IMG
    report["rounds"][1]["refinements"] = [SCRIPT]
    report["truth"]["file"] = IMG
    report["truth"]["defects"][SCRIPT] = report["truth"]["defects"].pop("duplicate_row")
    report["plan"]["warnings"].append(IMG)
    report["batch"]["scores_after"][SCRIPT] = 0.5

    page = render_html(report)
    dom = parse(page)

    assert "script" not in dom.tags
    assert "img" not in dom.tags
    assert all(not ({"src", "onerror"} & set(attrs)) for _, attrs in dom.start_tags)
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    # The hostile strings survive as plain text.
    title = dom.root.find_all("title")[0].text()
    assert IMG in title
    assert list(table_rows(dom.root.by_id("tables-table"))) == ["shop_events", SCRIPT]
    details = [d.text() for d in dom.root.by_id("tables").find_all("section") if "table-detail" in d.classes]
    assert f"{IMG} → 7" in details[1]
    assert SCRIPT in table_rows(dom.root.by_id("truth-table"))
    assert SCRIPT in table_rows(dom.root.by_id("scores-table"))
    assert IMG in dom.root.by_id("preparation").text()


# Writing to the lake ----------------------------------------------------------------------


def test_write_report_stores_json_and_html(tmp_path, report):
    lake = LocalLake(tmp_path.as_uri())
    original = copy.deepcopy(report)

    uris = write_report(lake, report["run_id"], report)

    folder = tmp_path / "runs" / "20261123T150000Z" / "quality"
    assert uris == {
        "json": f"{tmp_path.as_uri()}/runs/20261123T150000Z/quality/report.json",
        "html": f"{tmp_path.as_uri()}/runs/20261123T150000Z/quality/report.html",
    }
    assert urlparse(uris["json"]).path == str(folder / "report.json")
    assert urlparse(uris["html"]).path == str(folder / "report.html")
    assert json.loads((folder / "report.json").read_text()) == original
    assert (folder / "report.html").read_text(encoding="utf-8") == render_html(original)
    assert report == original


def test_write_report_json_is_sorted_and_indented(tmp_path, report):
    lake = LocalLake(tmp_path.as_uri())

    write_report(lake, report["run_id"], report)

    text = lake.read_bytes("runs/20261123T150000Z/quality/report.json").decode()
    assert text == json.dumps(report, indent=2, sort_keys=True)
    assert text.index('"batch"') < text.index('"passed"') < text.index('"run_id"')


def test_write_report_rejects_a_run_id_that_is_a_path(tmp_path, report):
    lake = LocalLake(tmp_path.as_uri())

    with pytest.raises(ValueError):
        write_report(lake, "../elsewhere", report)
    assert list(tmp_path.iterdir()) == []

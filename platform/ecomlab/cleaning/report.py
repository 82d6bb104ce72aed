"""The quality report of a cleaning run: JSON for machines, one self-contained HTML page for people.

`render_html` turns the report dict into a standalone HTML5 page: inline CSS only, no scripts
and no external resources, and every text taken from the report HTML-escaped. `write_report`
stores both forms under `runs/<run_id>/quality/` in the lake.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from html import escape
from numbers import Integral, Real
from typing import Any

from ecomlab.cleaning.spec import DIMENSIONS

# Detection is scored against the injected truth; below this precision or recall it is flagged.
TRUTH_TARGET = 0.99
MISSING = "—"

_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 72rem;
       padding: 0 1rem; color: #1d2330; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.3rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #d5d9e0; padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 0.4rem; }
table { border-collapse: collapse; margin: 0.6rem 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d5d9e0; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f1f3f7; font-weight: 600; }
td.num { text-align: right; }
.verdict { display: inline-block; padding: 0.25rem 0.7rem; border-radius: 0.3rem; font-weight: 700; }
.verdict.pass { background: #e3f4e6; color: #14532d; }
.verdict.fail { background: #fde8e8; color: #8b1111; }
.below { background: #fde8e8; color: #8b1111; font-weight: 700; }
.ok { color: #14532d; font-weight: 600; }
.bad { color: #8b1111; font-weight: 700; }
.meta { color: #4a5263; }
.equation { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
ul.compact { margin: 0.2rem 0 0.6rem; padding-left: 1.2rem; columns: 2; }
ul.compact li { break-inside: avoid; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
"""


# Formatting ------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """Any value as escaped text."""
    return MISSING if value is None else escape(str(value), quote=True)


def _int(value: Any) -> str:
    """An integer with thousands separators (anything else as escaped text)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Integral):
        return f"{int(value):,}"
    if isinstance(value, Real) and float(value).is_integer():
        return f"{int(value):,}"
    return _text(value)


def _ratio(value: Any) -> str:
    """A ratio with 4 decimals (anything else as escaped text)."""
    if isinstance(value, Real) and not isinstance(value, bool):
        return f"{float(value):.4f}"
    return _text(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _below(value: Any, target: Any) -> bool:
    return _is_number(value) and _is_number(target) and float(value) < float(target)


def _mapping(value: Any) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _sequence(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def _dimensions(*score_maps: Any) -> list[str]:
    """The six dimensions in their canonical order, then any other dimension a report names."""
    names = list(DIMENSIONS)
    for scores in score_maps:
        names.extend(str(d) for d in _mapping(scores) if str(d) not in names)
    return names


def _yes_no(ok: Any) -> str:
    if ok is None:
        return f'<span class="meta">{MISSING}</span>'
    return '<span class="ok">yes</span>' if ok else '<span class="bad">no</span>'


def _td(content: str, *, num: bool = False, below: bool = False) -> str:
    classes = [c for c, on in (("num", num), ("below", below)) if on]
    attr = f' class="{" ".join(classes)}"' if classes else ""
    return f"<td{attr}>{content}</td>"


def _table(headers: Iterable[str], rows: Iterable[str], css_id: str | None = None) -> str:
    id_attr = f' id="{css_id}"' if css_id else ""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "\n".join(f"<tr>{row}</tr>" for row in rows)
    return f"<table{id_attr}>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _compact(counts: Any) -> str:
    """A {name: count} mapping as a compact list, by name."""
    items = sorted(_mapping(counts).items(), key=lambda kv: str(kv[0]))
    if not items:
        return '<p class="meta">none</p>'
    lis = "".join(f"<li><code>{_text(name)}</code> → {_int(count)}</li>" for name, count in items)
    return f'<ul class="compact">{lis}</ul>'


def _refinement(item: Any) -> str:
    if isinstance(item, Mapping):
        return ", ".join(f"{k}={v}" for k, v in item.items())
    return str(item)


def _conserved(section: Mapping) -> Any:
    """The section's own conservation flag, or the equation checked here when it has none."""
    ok = section.get("conservation_ok")
    if ok is not None:
        return bool(ok)
    parts = [section.get(k) for k in ("rows_in", "dwd_rows", "quarantined", "merged")]
    if all(_is_number(p) for p in parts):
        return parts[0] == parts[1] + parts[2] + parts[3]
    return None


# Sections --------------------------------------------------------------------------------


def _header(report: Mapping) -> str:
    run_id = report.get("run_id")
    passed = report.get("passed")
    rounds = _sequence(report.get("rounds"))
    if passed is None:
        verdict = '<span class="verdict fail">UNKNOWN quality gate</span>'
    elif passed:
        verdict = '<span class="verdict pass">PASSED quality gate</span>'
    else:
        verdict = '<span class="verdict fail">FAILED quality gate</span>'
    return (
        "<header>\n"
        f"<h1>Cleaning quality report — run <code>{_text(run_id)}</code></h1>\n"
        f'<p id="verdict">{verdict}</p>\n'
        f'<p class="meta">Run id: <code>{_text(run_id)}</code> · rounds: {_int(len(rounds))}</p>\n'
        "</header>"
    )


def _batch(report: Mapping) -> str:
    batch = _mapping(report.get("batch"))
    rows_in, dwd, quarantined, merged = (batch.get(k) for k in ("rows_in", "dwd_rows", "quarantined", "merged"))
    ok = _conserved(batch)
    holds = {True: '<span class="ok">holds</span>', False: '<span class="bad">does not hold</span>'}.get(
        ok, '<span class="meta">not checked</span>'
    )
    summary = _table(
        ["rows in", "rows to DWD", "quarantined", "merged duplicates"],
        ["".join(_td(_int(v), num=True) for v in (rows_in, dwd, quarantined, merged))],
        css_id="batch-counts",
    )
    parts = [
        '<section id="batch">',
        "<h2>Batch</h2>",
        summary,
        '<p id="conservation">Row conservation: <span class="equation">rows in = DWD + quarantine + merged</span>: '
        f'<span class="equation">{_int(rows_in)} = {_int(dwd)} + {_int(quarantined)} + {_int(merged)}</span> '
        f"— {holds}</p>",
    ]
    passes = report.get("passes")
    if isinstance(passes, Mapping):
        note = f" — {_text(passes.get('note'))}" if passes.get("note") else ""
        parts.append(f'<p class="meta" id="passes">ODS scans: {_int(passes.get("ods_scans"))}{note}</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _scores(report: Mapping) -> str:
    thresholds = _mapping(report.get("thresholds"))
    batch = _mapping(report.get("batch"))
    detected = _mapping(batch.get("scores_detected"))
    after = _mapping(batch.get("scores_after"))
    rows = []
    for dim in _dimensions(thresholds, detected, after):
        threshold, before, fixed = thresholds.get(dim), detected.get(dim), after.get(dim)
        rows.append(
            _td(_text(dim))
            + _td(_ratio(threshold), num=True)
            + _td(_ratio(before), num=True)
            + _td(_ratio(fixed), num=True, below=_below(fixed, threshold))
        )
    table = _table(
        ["dimension", "threshold", "score at detection", "score after correction"], rows, css_id="scores-table"
    )
    return f'<section id="scores">\n<h2>Quality scores</h2>\n{table}\n</section>'


def _rounds(report: Mapping) -> str:
    thresholds = _mapping(report.get("thresholds"))
    rows = []
    for item in _sequence(report.get("rounds")):
        rnd = _mapping(item)
        refinements = [_refinement(r) for r in _sequence(rnd.get("refinements"))]
        applied = ", ".join(_text(r) for r in refinements) if refinements else '<span class="meta">none</span>'
        scores = _mapping(rnd.get("batch_scores"))
        cells = []
        for dim in _dimensions(scores):
            if dim not in scores:
                continue
            value = scores[dim]
            css = ' class="below"' if _below(value, thresholds.get(dim)) else ""
            cells.append(f"<li>{_text(dim)} <span{css}>{_ratio(value)}</span></li>")
        score_list = f'<ul class="compact">{"".join(cells)}</ul>' if cells else f'<span class="meta">{MISSING}</span>'
        rows.append(
            _td(_int(rnd.get("round")), num=True) + _td(applied) + _td(score_list) + _td(_yes_no(rnd.get("passed")))
        )
    if not rows:
        body = '<p class="meta">No rounds recorded.</p>'
    else:
        body = _table(
            ["round", "refinements applied", "batch scores after correction", "passed"], rows, css_id="rounds-table"
        )
    return f'<section id="rounds">\n<h2>Rounds</h2>\n{body}\n</section>'


def _tables(report: Mapping) -> str:
    tables = _mapping(report.get("tables"))
    if not tables:
        return '<section id="tables">\n<h2>Tables</h2>\n<p class="meta">No tables recorded.</p>\n</section>'
    rows, details = [], []
    for index, (name, entry) in enumerate(tables.items(), start=1):
        table = _mapping(entry)
        days = [str(d) for d in _sequence(table.get("days"))]
        rows.append(
            _td(f"<code>{_text(name)}</code>")
            + _td(_int(len(days)), num=True)
            + "".join(_td(_int(table.get(k)), num=True) for k in ("rows_in", "dwd_rows", "quarantined", "merged"))
            + _td(_yes_no(_conserved(table)))
        )
        span = f"{_text(min(days))} … {_text(max(days))}" if days else MISSING
        details.append(
            f'<section class="table-detail" id="table-{index}">\n'
            f"<h3><code>{_text(name)}</code></h3>\n"
            f'<p class="meta">Days: {_int(len(days))} ({span})</p>\n'
            f"<h4>Findings per rule</h4>\n{_compact(table.get('findings'))}\n"
            f"<h4>Quarantine reasons</h4>\n{_compact(table.get('reasons'))}\n"
            f"<h4>Repairs</h4>\n{_compact(table.get('repairs'))}\n"
            "</section>"
        )
    summary = _table(
        ["table", "days", "rows in", "DWD", "quarantined", "merged", "conservation ok"], rows, css_id="tables-table"
    )
    return '<section id="tables">\n<h2>Tables</h2>\n' + summary + "\n" + "\n".join(details) + "\n</section>"


def _truth(report: Mapping) -> str:
    truth = report.get("truth")
    if not isinstance(truth, Mapping):
        return ""
    rows = []
    for defect, entry in _mapping(truth.get("defects")).items():
        stats = _mapping(entry)
        precision, recall = stats.get("precision"), stats.get("recall")
        rows.append(
            _td(f"<code>{_text(defect)}</code>")
            + "".join(_td(_int(stats.get(k)), num=True) for k in ("injected", "detected", "true_positives"))
            + _td(_ratio(precision), num=True, below=_below(precision, TRUTH_TARGET))
            + _td(_ratio(recall), num=True, below=_below(recall, TRUTH_TARGET))
        )
    body = (
        _table(
            ["defect type", "injected", "detected", "true positives", "precision", "recall"],
            rows,
            css_id="truth-table",
        )
        if rows
        else '<p class="meta">The truth file lists no defects.</p>'
    )
    return (
        '<section id="truth">\n<h2>Detection scored against the truth</h2>\n'
        f'<p class="meta">Truth file: <code>{_text(truth.get("file"))}</code> · '
        f"precision and recall below {TRUTH_TARGET:.4f} are marked.</p>\n"
        f"{body}\n</section>"
    )


def _preparation(report: Mapping) -> str:
    plan = report.get("plan")
    if not isinstance(plan, Mapping):
        return ""
    warnings = [str(w) for w in _sequence(plan.get("warnings"))]
    items = (
        '<ul id="plan-warnings">' + "".join(f"<li>{_text(w)}</li>" for w in warnings) + "</ul>"
        if warnings
        else '<p class="meta">The plan raised no warnings.</p>'
    )
    uri = f'<p class="meta">Plan: <code>{_text(plan.get("uri"))}</code></p>\n' if plan.get("uri") else ""
    return f'<section id="preparation">\n<h2>Preparation</h2>\n{uri}{items}\n</section>'


# Public API ------------------------------------------------------------------------------


def render_html(report: dict) -> str:
    """The report as one standalone HTML5 page (inline CSS, no scripts, no external resources)."""
    report = _mapping(report)
    sections = [
        _header(report),
        _batch(report),
        _scores(report),
        _rounds(report),
        _tables(report),
        _truth(report),
        _preparation(report),
    ]
    body = "\n".join(s for s in sections if s)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        f"<title>Cleaning quality report — {_text(report.get('run_id'))}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def report_dir(run_id: str) -> str:
    """The lake folder holding a run's quality report."""
    run_id = str(run_id)
    if not run_id or run_id in {".", ".."} or "/" in run_id or "\\" in run_id:
        raise ValueError(f"invalid run id for a report path: {run_id!r}")
    return f"runs/{run_id}/quality"


def write_report(lake, run_id: str, report: dict) -> dict[str, str]:
    """Write `report.json` and `report.html` under `runs/<run_id>/quality/`; return their URIs."""
    folder = report_dir(run_id)
    json_path, html_path = f"{folder}/report.json", f"{folder}/report.html"
    lake.makedirs(folder)
    lake.write_bytes(json_path, json.dumps(report, indent=2, sort_keys=True, default=str).encode("utf-8"))
    lake.write_bytes(html_path, render_html(report).encode("utf-8"))
    return {"json": lake.uri(json_path), "html": lake.uri(html_path)}

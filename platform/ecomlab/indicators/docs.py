"""Generate the docs page of the indicators (docs/indicators.md) from the catalog.

python -m ecomlab.indicators.docs [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

from ecomlab.indicators.catalog import CATEGORIES, load_catalog

DOCS_PAGE = Path(__file__).resolve().parents[3] / "docs" / "indicators.md"


def render() -> str:
    catalog = load_catalog()
    lines = [
        "# Indicators",
        "",
        "Generated from `platform/ecomlab/indicators/catalog.yaml` by "
        "`python -m ecomlab.indicators.docs`; do not edit by hand.",
        "",
        "Values are in `ads.indicator_daily` (Hive, partitioned by `dt` and `dataset`) and the mart table "
        "`indicator_daily(dataset, dt, indicator_id, dimension, dimension_value, value, null_reason)`. "
        "Grain `day` is the day's total (`dimension` = ''); other grains are breakdowns. A value is "
        "NULL only with a reason: no data for the day, late data, division by zero, no data to compare with.",
        "",
        f"{len(catalog)} indicators.",
        "",
    ]
    for category in CATEGORIES:
        entries = [i for i in catalog if i.category == category]
        if not entries:
            continue
        lines += [f"## {category}", "", "| id | name | definition | formula | grain | unit | data sets | sources |"]
        lines.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for i in entries:
            cells = [
                f"`{i.id}`",
                i.name,
                i.definition,
                i.formula,
                ", ".join(i.grain),
                i.unit,
                ", ".join(i.datasets),
                ", ".join(f"`{s}`" for s in i.sources),
            ]
            lines.append("| " + " | ".join(c.replace("|", "\\\\|") for c in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in argv:
        if not DOCS_PAGE.exists() or DOCS_PAGE.read_text(encoding="utf-8") != text:
            print(f"{DOCS_PAGE} is out of date: run python -m ecomlab.indicators.docs", file=sys.stderr)
            return 1
        return 0
    DOCS_PAGE.parent.mkdir(parents=True, exist_ok=True)
    DOCS_PAGE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The catalog is the one list of indicators: every entry is computed, every computation listed."""

from __future__ import annotations

import pytest

from ecomlab.indicators import docs
from ecomlab.indicators.build import DIVISION_BY_ZERO, NO_COMPARISON, _value
from ecomlab.indicators.catalog import CATEGORIES, CatalogError, load_catalog
from ecomlab.indicators.definitions import MEASURED, VIEW_DIMENSIONS, implemented, views_of
from ecomlab.indicators.dws import ADAPTERS


def test_catalog_and_code_list_the_same_indicators():
    in_catalog = {i.id for i in load_catalog()}
    assert in_catalog - implemented() == set(), "in the catalog but not computed"
    assert implemented() - in_catalog == set(), "computed but not in the catalog"


def test_the_catalog_covers_every_category_of_the_issue():
    catalog = load_catalog()
    assert len(catalog) >= 70
    assert {i.category for i in catalog} == set(CATEGORIES)
    for required in ("uv", "pv", "gross_margin", "bounce_rate", "funnel_visitors", "retention_rate", "rfm_customers"):
        assert required in {i.id for i in catalog}
    advantage = next(i for i in catalog if i.id == "product_advantage_index")
    assert "category" in advantage.definition and advantage.formula


def test_each_data_set_builds_the_summaries_its_indicators_read():
    class Names:
        name = "spark"

        def table(self, name):
            return name

        def epoch(self, column):
            return column

        def has_table(self, name):
            return True

    from ecomlab.indicators.dws import Window

    for indicator in load_catalog():
        for dataset in indicator.datasets:
            if dataset not in ADAPTERS:
                continue
            views = {name for name, _ in ADAPTERS[dataset](Names()).views(Window(("2024-05-01",)))}
            assert views_of(indicator.id) <= views, (indicator.id, dataset)
            # A breakdown of a measured indicator must exist in the summaries it reads.
            if indicator.id in MEASURED:
                offered = set.intersection(*(set(VIEW_DIMENSIONS[v]) for v in views_of(indicator.id)))
                assert set(indicator.dimensions) <= offered, (indicator.id, indicator.dimensions)


def test_the_docs_page_is_generated_from_the_catalog():
    assert docs.DOCS_PAGE.read_text(encoding="utf-8") == docs.render(), "run python -m ecomlab.indicators.docs"
    for indicator in load_catalog():
        assert f"`{indicator.id}`" in docs.render()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- id: x\n  name: X\n", "missing"),
        (
            "- {id: x, name: X, category: sales, definition: d, formula: f, grain: [day], unit: u, "
            "sources: [dwd.a], datasets: [shop]}\n",
            "category 'sales'",
        ),
        (
            "- {id: x, name: X, category: risk, definition: d, formula: f, grain: [week], unit: u, "
            "sources: [dwd.a], datasets: [shop]}\n",
            "grain ['week']",
        ),
        (
            "- {id: x, name: X, category: risk, definition: d, formula: f, grain: [day], unit: u, "
            "sources: [ods.a], datasets: [shop]}\n",
            "DWD tables",
        ),
        (
            "- {id: x, name: X, category: risk, definition: d, formula: f, grain: [day], unit: u, "
            "sources: [dwd.a], datasets: [shop]}\n" * 2,
            "appears twice",
        ),
        ("id: x\n", "expected a list"),
    ],
)
def test_a_wrong_catalog_entry_is_refused_with_what_and_where(tmp_path, text, message):
    path = tmp_path / "catalog.yaml"
    path.write_text(text)
    with pytest.raises(CatalogError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_catalog(path)


def test_undefined_values_become_null_with_a_reason_never_infinity():
    assert _value(3.0, 0.0, ratio=True) == (None, DIVISION_BY_ZERO)
    assert _value(3.0, None, ratio=True) == (None, NO_COMPARISON)
    assert _value(float("inf"), None, ratio=False) == (None, "not a finite number")
    assert _value(3.0, 4.0, ratio=True) == (0.75, None)
    assert _value(5.0, None, ratio=False) == (5.0, None)

"""Boards built from a planted mart and catalog: panels, labels, filters, empty states, escaping."""

import json
import re
from datetime import date

import pytest
from dashboard_planted import CLEAN_NAMES, IMG, SCRIPT, plant, write_catalog

from ecomlab.dashboards.boards import BOARDS, BY_SLUG
from ecomlab.dashboards.build import build_page
from ecomlab.dashboards.catalog import CatalogError, load_labels
from ecomlab.dashboards.data import TABLES
from ecomlab.dashboards.filters import FilterError, Filters, parse_filters
from ecomlab.dashboards.render import EXPORT, LIVE, render_board


def page(mart, slug, labels, **filters):
    return build_page(mart, BY_SLUG[slug], Filters(dataset="shop", **filters), labels)


def chart(built, key):
    return next(panel for panel in built.panels if panel.key == key)


def test_every_board_has_its_panels_and_no_empty_state_on_full_data(planted, labels):
    expected = {
        "overview": {"kpis", "trend:gmv", "trend:orders"},
        "traffic": {"trend:visits", "by:visits:channel", "activity:hour", "activity:weekday"},
        "funnel": {"funnel:funnel_users", "steps:funnel_step", "trend:conversion_rate", "paths"},
        "cohorts": {"cohorts", "cohort-sizes"},
        "rfm": {"segments:size", "segments:value", "segments", "clv", "clv-params", "trend:repeat_rate"},
        "rules": {"rules:graph", "rules"},
        "recommendations": {"recommendations", "rec-eval", "by:category_sales:category"},
        "campaigns": {"rank:roi:campaign"},
        "risk": {"trend:refund_rate"},
        "market": {"share:market_share", "rank:sales_rank:site", "rank:market_share:site"},
        "quality": {"quality:score", "quality:rows", "quality"},
        "realtime": {"now", "realtime:traffic", "realtime:orders", "realtime:gmv"},
    }
    assert set(expected) == {board.SLUG for board in BOARDS}
    for slug, keys in expected.items():
        built = page(planted, slug, labels)
        assert {panel.key for panel in built.panels} == keys, slug
        assert not [panel for panel in built.panels if panel.kind == "empty"], slug


def test_labels_and_definitions_come_from_the_catalog(planted, tmp_path):
    labels = load_labels(write_catalog(tmp_path / "c.yaml", definition_of_gmv="Money customers paid, net."))
    trend = chart(page(planted, "overview", labels), "trend:gmv")
    assert trend.title == "GMV (CNY)"
    assert "Money customers paid, net." in trend.notes
    assert "Formula: sum(paid)" in trend.notes
    assert trend.options["series"][0]["data"] == [["2026-11-01", 1000], ["2026-11-02", 1100], ["2026-11-03", 1210]]


def test_a_null_value_is_a_gap_with_its_reason(planted, labels):
    trend = chart(page(planted, "overview", labels), "trend:orders")
    assert trend.options["series"][0]["data"][2] == ["2026-11-03", None]
    assert "No value on 2026-11-03: division by zero" in trend.notes


def test_date_range_and_dimension_filters_narrow_the_charts(planted, labels):
    built = page(
        planted, "traffic", labels, start=date(2026, 11, 2), end=date(2026, 11, 3), dimensions={"channel": "social"}
    )
    by_channel = chart(built, "by:visits:channel")
    assert [s["name"] for s in by_channel.options["series"]] == ["social"]
    assert by_channel.options["series"][0]["data"] == [50, 60]
    assert chart(built, "trend:visits").options["xAxis"][0]["data"] == ["2026-11-02", "2026-11-03"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([("start", "2026-13-01")], "start: '2026-13-01' is not a date"),
        ([("start", "2026-11-03"), ("end", "2026-11-01")], "start 2026-11-03 is after end 2026-11-01"),
        ([("colour", "red")], "unknown filter 'colour'"),
        ([("channel", "a"), ("channel", "b")], "channel: given more than once"),
        ([("channel", "x" * 201)], "channel: value is longer than 200"),
    ],
)
def test_bad_filters_are_refused_naming_the_parameter(params, message):
    with pytest.raises(FilterError, match=re.escape(message)):
        parse_filters(params, dataset="shop")


def test_filters_the_mart_does_not_hold_are_refused(planted, labels):
    with pytest.raises(FilterError, match="channel: 'tv' is not a value of this data set; it has search, social"):
        page(planted, "traffic", labels, dimensions={"channel": "tv"})
    with pytest.raises(FilterError, match="dataset: 'taobao' is not in the mart; it holds shop"):
        build_page(planted, BY_SLUG["traffic"], Filters(dataset="taobao"), labels)
    with pytest.raises(FilterError, match="dataset: 'Shop;drop' is not a data set name"):
        parse_filters([], dataset="Shop;drop")


def test_missing_mining_and_indicator_tables_give_labelled_empty_states(mart, labels):
    plant(mart, skip=tuple(t for t in TABLES if t != "quality_summary"))
    for board in BOARDS:
        built = build_page(mart, board, Filters(dataset="shop"), labels)
        empty = [panel for panel in built.panels if panel.kind == "empty"]
        if board.SLUG == "quality":
            assert not empty
            continue
        assert empty, board.SLUG
        for panel in empty:
            assert re.match(r"The mart has no table \w+ yet: the \w+ stage has not written it\.", panel.reason)
        html = render_board(built, EXPORT, BOARDS)
        assert "No data. The mart has no table" in html


def test_a_catalog_without_a_category_says_so(planted, labels):
    built = page(planted, "risk", [label for label in labels if label.category != "risk"])
    assert [(p.kind, p.reason) for p in built.panels] == [("empty", "The indicator catalog has no 'risk' indicators.")]


def test_without_a_catalog_the_indicator_boards_say_so(planted):
    built = page(planted, "overview", [])
    assert [(p.kind, p.reason) for p in built.panels] == [
        ("empty", "No indicator catalog is available (the indicators package provides it).")
    ]


def test_catalog_errors_name_the_entry(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("- {id: gmv, name: GMV}\n")
    with pytest.raises(CatalogError, match=r"bad.yaml entry 1: field 'category' is missing"):
        load_labels(path)
    with pytest.raises(CatalogError, match="appears twice"):
        load_labels([{"id": "a", "name": "A", "category": "risk"}] * 2)
    with pytest.raises(CatalogError, match="does not exist"):
        load_labels(tmp_path / "none.yaml")


def test_catalog_objects_are_read_by_attribute():
    class Indicator:
        id, name, category, definition, formula, unit, grain = "gmv", "GMV", "overall", "d", "f", "CNY", ["day"]

    (label,) = load_labels([Indicator()])
    assert (label.id, label.unit, label.grain) == ("gmv", "CNY", ("day",))


def test_data_text_is_escaped_in_markup_and_in_the_json_blocks(mart, tmp_path):
    names = {key: (SCRIPT if i % 2 else IMG) + key for i, key in enumerate(CLEAN_NAMES)}
    plant(mart, names)
    labels = load_labels(write_catalog(tmp_path / "c.yaml", definition_of_gmv=SCRIPT + IMG))
    for board in BOARDS:
        for site in (EXPORT, LIVE):
            html = render_board(build_page(mart, board, Filters(dataset="shop"), labels), site, BOARDS)
            assert "<script>window" not in html and "<img" not in html, board.SLUG
            blocks = re.findall(r'<script type="application/json" id="[^"]+">(.*?)</script>', html, re.S)
            for block in blocks:
                assert "<" not in block and ">" not in block
                json.loads(block)
    rules = render_board(build_page(mart, BY_SLUG["rules"], Filters(dataset="shop"), labels), EXPORT, BOARDS)
    block = re.search(r'<script type="application/json" id="options-1">(.*?)</script>', rules, re.S).group(1)
    nodes = [node["name"] for node in json.loads(block)["series"][0]["data"]]
    assert IMG + "item_a" in nodes  # the text itself is kept, only its encoding changes
    assert "&lt;script&gt;window.__xss" in rules  # and shown as text in the table


def test_ranks_are_listed_in_rank_order_never_drawn_as_shares_or_bar_lengths(planted, labels):
    built = page(planted, "market", labels)
    ranks = chart(built, "rank:sales_rank:site")
    assert ranks.kind == "table"
    assert ranks.rows == [["1", "rival-1"], ["2", "ecomlab"]]
    assert "share:sales_rank" not in {panel.key for panel in built.panels}


def test_an_indicator_not_computed_for_the_data_set_is_left_off_not_called_missing(planted, labels):
    keys = {panel.key for panel in page(planted, "market", labels).panels}
    assert not any("price_index" in key for key in keys)
    # Computed but outside the chosen range: that is said.
    outside = page(planted, "market", labels, start=date(2026, 12, 1), end=date(2026, 12, 2))
    (empty,) = [panel for panel in outside.panels if panel.kind == "empty"]
    assert "Market share" in empty.reason and "Price index" not in empty.reason


def test_the_funnel_is_scaled_to_its_largest_stage_and_step_rates_are_bars_in_stage_order(planted, labels):
    built = page(planted, "funnel", labels)
    (series,) = chart(built, "funnel:funnel_users").options["series"]
    assert series["max"] == 140 and series["min"] == 0
    steps = chart(built, "steps:funnel_step").options
    assert steps["series"][0]["type"] == "bar"
    assert steps["xAxis"][0]["data"] == ["cart", "order"]
    assert steps["series"][0]["data"] == [0.36, 0.24]


def test_a_skipped_lifetime_value_model_shows_its_reason_and_its_customers_sort_last(planted, labels):
    import pandas as pd

    run = "2026-11-03"
    reason = "gamma_gamma skipped: 0 repeat customers, at least 10 needed"
    planted.replace(
        "mining_clv",
        pd.DataFrame(
            {
                "dataset": "shop",
                "run_dt": run,
                "customer_id": ["c-1", "c-2", "c-3"],
                "expected_purchases": [0.4, 0.9, 0.2],
                "expected_value": [None, 50.0, None],
                "note": [reason, None, reason],
            }
        ),
        partition={"dataset": "shop"},
    )
    planted.replace(
        "mining_clv_params",
        pd.DataFrame(
            {
                "dataset": "shop",
                "run_dt": run,
                "param": ["r", "gamma_gamma_skipped"],
                "value": [0.24, None],
                "note": [None, "0 repeat customers, at least 10 needed"],
            }
        ),
        partition={"dataset": "shop"},
    )
    built = page(planted, "rfm", labels)
    top = chart(built, "clv")
    assert [row[0] for row in top.rows] == ["c-2", "c-1", "c-3"]
    assert top.rows[1][2] == "no value" and reason in top.notes
    assert chart(built, "clv-params").rows == [
        ["r", "0.24"],
        ["gamma_gamma_skipped", "0 repeat customers, at least 10 needed"],
    ]

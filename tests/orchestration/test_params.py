"""Run and stage parameters: defaults, ranges and the messages that name what is wrong."""

from __future__ import annotations

import pytest

from ecomlab.orchestration.params import ParamsError, validate_params, validate_stage_params


def test_defaults_simulate_a_week_of_the_shop():
    params = validate_params({})
    assert params.source == "shop"
    assert params.days == [f"2026-11-0{d}" for d in range(1, 8)]
    assert params.crawl_items == 0


def test_none_and_empty_values_take_their_defaults():
    params = validate_params({"start": None, "end": "", "input": None, "events": 20_000})
    assert params.events == 20_000
    assert params.days[0] == "2026-11-01"


def test_a_date_range_sets_the_simulated_days():
    params = validate_params({"start": "2026-02-27", "end": "2026-03-01"})
    assert params.days == ["2026-02-27", "2026-02-28", "2026-03-01"]


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"start": "2026-11-05", "end": "2026-11-01"}, "end: 2026-11-01 is before start 2026-11-05"),
        ({"start": "2026-01-01", "end": "2027-06-01"}, "longer than 366 days"),
        ({"start": "2026-13-01"}, "start:"),
        ({"events": 5}, "events: must be between 10,000 and 100,000,000, got 5"),
        ({"crawl_items": -1}, "crawl_items: must be between 0"),
        ({"source": "amazon"}, "source:"),
        ({"source": "taobao"}, "input: the taobao source needs the path or URI of its file"),
        ({"input": "/data/x.csv"}, "input: the shop source simulates its data and takes no input file"),
        ({"source": "cdnow", "input": "/d/cdnow.txt", "start": "2026-01-01"}, "start: an imported file is landed"),
        ({"evnets": 20_000}, "evnets: unknown parameter"),
    ],
)
def test_bad_params_are_refused_naming_the_parameter(given, named):
    with pytest.raises(ParamsError) as caught:
        validate_params(given)
    assert named in str(caught.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ParamsError) as caught:
        validate_params({"events": 1, "crawl_items": 100_000})
    message = str(caught.value)
    assert "events:" in message and "crawl_items:" in message


def test_an_import_is_landed_for_its_end_day():
    params = validate_params({"source": "baskets", "input": "/d/baskets.txt", "end": "2026-11-03"})
    assert params.end.isoformat() == "2026-11-03"


def test_stage_params_default_to_one_day_of_every_table():
    stage = validate_stage_params({"dataset": "taobao", "start": "2017-12-03"})
    assert stage.days == ["2017-12-03"]
    assert stage.tables == []


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"dataset": "nope"}, "dataset:"),
        ({"start": "2026-11-02", "end": "2026-11-01"}, "end: 2026-11-01 is before start 2026-11-02"),
        ({"tables": "shop_events"}, "tables:"),
    ],
)
def test_bad_stage_params_are_refused(given, named):
    with pytest.raises(ParamsError) as caught:
        validate_stage_params(given)
    assert named in str(caught.value)

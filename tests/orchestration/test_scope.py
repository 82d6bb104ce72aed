"""Scopes: interval keys, their round trip through asset extras, and the ODS load plan in the lake."""

from __future__ import annotations

import pytest

from ecomlab.orchestration.params import validate_stage_params
from ecomlab.orchestration.scope import (
    Scope,
    interval_key,
    read_plan,
    scopes_extra,
    scopes_from_extras,
    write_plan,
)
from ecomlab.orchestration.stages import scope_from_params
from ecomlab.storage.lake import LocalLake


def test_interval_key_names_first_and_last_day():
    assert interval_key(["2026-11-03", "2026-11-01", "2026-11-02"]) == "2026-11-01_2026-11-03"
    assert interval_key(["2026-11-01"]) == "2026-11-01"
    with pytest.raises(ValueError, match="at least one day"):
        interval_key([])


def test_same_interval_same_places():
    a = Scope("shop", ["2026-11-01", "2026-11-02"], chain="run-a")
    b = Scope("shop", ["2026-11-01", "2026-11-02"], chain="run-b")
    assert a.folder == b.folder == "runs/orchestration/shop/2026-11-01_2026-11-02"
    assert a.clean_run_id == b.clean_run_id
    assert Scope("taobao", ["2026-11-01", "2026-11-02"], "run-a").folder != a.folder


def test_scopes_survive_an_asset_extra_and_repeat_once():
    first = Scope("shop", ["2026-11-01"], "c1", tables=["shop_events"], plan="runs/p.json", truth="/t.csv")
    again = Scope("shop", ["2026-11-01"], "c2", tables=["shop_events"], plan="runs/p.json")
    other = Scope("crawl", ["2026-11-01"], "c1", tables=["crawl_products"])
    scopes = scopes_from_extras([scopes_extra([first]), None, scopes_extra([again, other])])
    assert scopes == [again, other]
    assert scopes_from_extras([scopes_extra([first])]) == [first]


def test_a_scope_without_its_keys_is_refused():
    with pytest.raises(ValueError, match="a scope needs chain, days"):
        Scope.from_dict({"dataset": "shop"})


def test_plan_round_trip(tmp_path):
    lake = LocalLake(f"file://{tmp_path}")
    path = write_plan(lake, "runs/orchestration/shop/k", "shop", {"events": ["2026-11-02", "2026-11-01"]})
    assert path == "runs/orchestration/shop/k/ods_plan.json"
    assert read_plan(lake, path) == ("shop", {"events": ["2026-11-01", "2026-11-02"]})


def test_a_stage_run_by_hand_covers_every_table_of_the_data_set():
    scope = scope_from_params(validate_stage_params({"dataset": "cdnow", "start": "1998-06-30"}), "manual-1")
    assert scope.tables == ["cdnow_purchases", "cdnow_sample_purchases"]
    assert scope.days == ["1998-06-30"] and scope.chain == "manual-1"


def test_a_stage_run_by_hand_refuses_tables_of_another_data_set():
    params = validate_stage_params({"dataset": "shop", "tables": ["shop_events", "taobao_user_behavior"]})
    with pytest.raises(ValueError, match=r"tables: \['taobao_user_behavior'\] are not ODS tables of shop"):
        scope_from_params(params, "manual-1")

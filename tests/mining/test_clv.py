"""Lifetime value: BG/NBD and Gamma-Gamma on the CDNOW sample reproduce the published fit."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import numpy as np
import pandas as pd
import pytest

from ecomlab.mining import clv

CALIBRATION_END = date(1997, 9, 30)  # 39 weeks from the cohort's first day, 1997-01-01


@pytest.fixture(scope="module")
def cdnow_summary(datasets):
    return clv.summarise(clv.read_transactions(datasets / "cdnow" / "CDNOW_sample.txt"), CALIBRATION_END)


@pytest.fixture(scope="module")
def cdnow_fit(cdnow_summary):
    return clv.fit(cdnow_summary)


def test_the_calibration_summary_matches_the_literature(cdnow_summary):
    # Fader, Hardie and Lee (2005): 2,357 customers, 1,411 without repeats, 2,457 repeat purchases.
    assert len(cdnow_summary) == 2357
    assert int((cdnow_summary["frequency"] == 0).sum()) == 1411
    assert int(cdnow_summary["frequency"].sum()) == 2457
    assert cdnow_summary["T"].max() == pytest.approx(38.86, abs=0.01)


def test_bgnbd_reproduces_fader_hardie_lee_2005(cdnow_fit):
    b = cdnow_fit.bgnbd
    assert b.r == pytest.approx(0.243, abs=0.001)
    assert b.alpha == pytest.approx(4.414, abs=0.002)
    assert b.a == pytest.approx(0.793, abs=0.001)
    assert b.b == pytest.approx(2.426, abs=0.002)
    assert b.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    assert cdnow_fit.skipped == {}


def test_gamma_gamma_reproduces_the_published_spend_model(cdnow_fit):
    g = cdnow_fit.gamma_gamma
    assert g.p == pytest.approx(6.25, abs=0.01)
    assert g.q == pytest.approx(3.74, abs=0.01)
    assert g.gamma == pytest.approx(15.44, abs=0.01)


def test_expected_purchases_follow_the_published_example(cdnow_fit):
    # FHL 2005: a customer with x=2, t_x=30.43, T=38.86 is expected to make 1.226 purchases in 39 weeks.
    one = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86], "monetary": [20.0]})
    assert clv.expected_purchases(cdnow_fit.bgnbd, 39, one)[0] == pytest.approx(1.226, abs=0.01)


def test_customer_values_rank_frequent_recent_buyers_first(cdnow_fit):
    summary = pd.DataFrame(
        {"frequency": [0, 5, 5], "recency": [0.0, 35.0, 5.0], "T": [38.0, 38.0, 38.0], "monetary": [0.0, 30.0, 30.0]},
        index=["none", "active", "lapsed"],
    )
    values = clv.customer_values(cdnow_fit, summary, horizon_weeks=52).set_index("customer_id")
    assert values.loc["active", "expected_value"] > values.loc["none", "expected_value"]
    assert values.loc["active", "expected_purchases"] > values.loc["lapsed", "expected_purchases"]
    assert np.isfinite(values["expected_value"]).all()
    assert values["note"].isna().all()


def test_an_unreadable_line_is_named(tmp_path):
    bad = tmp_path / "tx.csv"
    bad.write_text("customer_id,date,value\n1,1997-01-01,10.5\n2,not-a-date,3\n")
    with pytest.raises(clv.ClvError, match=r"tx.csv: line 2"):
        clv.read_transactions(bad)


def test_a_calibration_end_before_every_purchase_is_refused(datasets):
    tx = clv.read_transactions(datasets / "cdnow" / "CDNOW_sample.txt")
    with pytest.raises(clv.ClvError, match="calibration end 1996-01-01"):
        clv.summarise(tx, date(1996, 1, 1))


@pytest.mark.slow
def test_the_clv_command_prints_the_parameters(datasets):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "ecomlab.cli",
            "mine",
            "clv",
            "--input",
            str(datasets / "cdnow" / "CDNOW_sample.txt"),
            "--calibration-end",
            "1997-09-30",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert out.returncode == 0, out.stderr
    assert "r=0.2426 alpha=4.4136 a=0.7929 b=2.4259 log-likelihood=-9582.43" in out.stdout
    assert "p=6.2496 q=3.7442 gamma=15.4435" in out.stdout


@pytest.fixture(scope="module")
def first_purchases(datasets):
    """The CDNOW sample cut to each customer's first purchase day: real data, no repeat customers."""
    tx = clv.read_transactions(datasets / "cdnow" / "CDNOW_sample.txt")
    return tx[tx["date"] == tx.groupby("customer_id")["date"].transform("min")]


def test_without_repeat_customers_both_models_are_skipped_with_a_reason(first_purchases):
    summary = clv.summarise(first_purchases, CALIBRATION_END)
    assert len(summary) == 2357 and int(summary["frequency"].sum()) == 0
    model = clv.fit(summary)
    assert model.bgnbd is None and model.gamma_gamma is None
    assert model.repeat_customers == 0
    assert "0 customer(s) with repeat purchases, fewer than the minimum 10" in model.skipped["bgnbd"]
    assert "fewer than the minimum 10" in model.skipped["gamma_gamma"]
    assert model.params() == {}
    params = model.params_table().set_index("param")
    assert params.loc["customers", "value"] == 2357 and params.loc["repeat_customers", "value"] == 0
    assert params.loc["gamma_gamma_skipped", "note"] == model.skipped["gamma_gamma"]
    assert np.isnan(params.loc["bgnbd_skipped", "value"])
    values = clv.customer_values(model, summary)
    assert len(values) == 2357
    assert values["expected_purchases"].isna().all() and values["expected_value"].isna().all()
    assert values["note"].str.contains("gamma_gamma skipped: ").all()


def test_one_day_of_purchases_is_skipped_not_fitted(first_purchases):
    # Every customer's only day is the calibration end: no time observed, no repeats.
    one_day = first_purchases.assign(date=pd.Timestamp("1997-01-01"))
    summary = clv.summarise(one_day, date(1997, 1, 1))
    assert (summary["T"] == 0).all()
    model = clv.fit(summary, min_repeat_customers=2)
    assert set(model.skipped) == {"bgnbd", "gamma_gamma"}


def test_a_few_repeat_customers_fit_bgnbd_but_skip_gamma_gamma_below_the_minimum(datasets, first_purchases):
    tx = clv.read_transactions(datasets / "cdnow" / "CDNOW_sample.txt")
    # Repeat purchases of 30 customers, all of value 0 (free items): a purchase rate, but no spend to model.
    repeaters = tx["customer_id"].drop_duplicates().head(30)
    later = tx[tx["customer_id"].isin(repeaters) & ~tx.index.isin(first_purchases.index)].assign(value=0.0)
    summary = clv.summarise(pd.concat([first_purchases, later]), CALIBRATION_END)
    model = clv.fit(summary, min_repeat_customers=5)
    assert model.bgnbd is not None and np.isfinite(model.bgnbd.log_likelihood)
    assert model.gamma_gamma is None
    assert model.skipped["gamma_gamma"].startswith("0 customer(s) with repeat purchases of positive value")
    values = clv.customer_values(model, summary)
    assert values["expected_purchases"].notna().all() and values["expected_value"].isna().all()


def test_a_minimum_below_two_is_refused(cdnow_summary):
    with pytest.raises(clv.ClvError, match="min_repeat_customers: must be at least 2, got 1"):
        clv.fit(cdnow_summary, min_repeat_customers=1)

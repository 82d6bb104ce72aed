"""Association rules with FPGrowth: measures computed by hand, the basket-file command."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys

import pandas as pd
import pytest

from ecomlab.mining.rules import RuleParams, RulesError, mine_rules, rank_rules, read_basket_file

ECOMLAB = [sys.executable, "-m", "ecomlab.cli"]
# 10 baskets: beer in 5, diapers in 6, both in 4, milk in 4, bread in 3.
BASKETS = """beer, diapers
beer,diapers,milk
beer,diapers
beer,diapers,bread
beer
diapers,milk
diapers
milk,bread
milk
bread
"""


@pytest.fixture
def basket_file(tmp_path):
    path = tmp_path / "baskets.csv"
    path.write_text(BASKETS + "\n  \n")  # a blank line is no transaction
    return path


def test_rank_rules_adds_conviction_and_ranks_by_lift():
    spark_rules = pd.DataFrame(
        {
            "antecedent": [["b"], ["10", "9"], ["a"]],
            "consequent": [["a"], ["c"], ["b"]],
            "confidence": [0.5, 1.0, 0.8],
            "lift": [1.6, 2.0, 1.6],
            "support": [0.4, 0.1, 0.4],
        }
    )
    ranked = rank_rules(spark_rules)
    assert ranked["antecedent"].tolist() == ["9,10", "a", "b"]
    assert ranked["rank"].tolist() == [1, 2, 3]
    # conviction = (1 - support(consequent)) / (1 - confidence); support(consequent) = confidence / lift
    assert ranked.loc[1, "conviction"] == pytest.approx((1 - 0.8 / 1.6) / (1 - 0.8))
    assert math.isinf(ranked.loc[0, "conviction"])


def test_parameters_out_of_range_are_refused():
    with pytest.raises(RulesError, match="min_support"):
        RuleParams(min_support=0)
    with pytest.raises(RulesError, match="min_confidence"):
        RuleParams(min_support=0.1, min_confidence=1.5)


@pytest.mark.spark
def test_fpgrowth_rules_carry_the_measures_of_the_baskets(spark, basket_file):
    result = mine_rules(read_basket_file(spark, basket_file), RuleParams(min_support=0.2, min_confidence=0.5))
    assert result.transactions == 10
    rules = result.rules.set_index(["antecedent", "consequent"])
    beer_diapers = rules.loc[("beer", "diapers")]
    assert beer_diapers["support"] == pytest.approx(0.4)
    assert beer_diapers["confidence"] == pytest.approx(0.8)
    assert beer_diapers["lift"] == pytest.approx(0.8 / 0.6)
    assert beer_diapers["conviction"] == pytest.approx((1 - 0.6) / (1 - 0.8))
    assert rules.loc[("diapers", "beer"), "confidence"] == pytest.approx(4 / 6)
    # Every consequent is a single item, and the ranking follows lift.
    assert all("," not in c for c in result.rules["consequent"])
    assert result.rules["lift"].is_monotonic_decreasing


@pytest.mark.spark
def test_a_missing_basket_file_is_named(spark, tmp_path):
    with pytest.raises(RulesError, match=r"nothing\.csv: no such basket file"):
        read_basket_file(spark, tmp_path / "nothing.csv")


@pytest.mark.slow
def test_the_rules_command_prints_the_count_and_top_rules(basket_file, tmp_path):
    env = {**os.environ, "ECOMLAB_HOME": str(tmp_path / "home"), "PYSPARK_PYTHON": sys.executable, "COLUMNS": "200"}
    env["ECOMLAB_SPARK__SHUFFLE_PARTITIONS"] = "2"
    out = subprocess.run(
        [*ECOMLAB, "mine", "rules", "--input", str(basket_file), "--min-support", "0.2", "--min-confidence", "0.5"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert "10 transactions" in out.stdout
    # beer -> diapers (0.8), diapers -> beer (0.67), milk -> diapers (0.5)
    assert "3 rules" in out.stdout
    first = next(line for line in out.stdout.splitlines() if re.match(r"^\W*1\W", line))
    assert "beer" in first and "1.333" in first

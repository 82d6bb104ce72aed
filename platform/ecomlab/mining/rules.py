"""Association rules ("beer and diapers") with Spark MLlib FPGrowth.

Baskets are sets of item ids (strings): the lines of a shop's orders, or any market-basket
file with one transaction per line and items separated by commas. Rules keep Spark's
shape (any antecedent, one consequent item) and gain conviction; they are ranked by
lift, then confidence, then support.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

RULE_COLUMNS = ["antecedent", "consequent", "support", "confidence", "lift", "conviction", "rank"]


class RulesError(ValueError):
    """Bad parameters or input for rule mining, naming what is wrong."""


@dataclass(frozen=True)
class RuleParams:
    min_support: float = 0.002
    min_confidence: float = 0.1
    max_rules: int | None = None

    def __post_init__(self):
        if not 0 < self.min_support <= 1:
            raise RulesError(f"min_support must be in (0, 1], got {self.min_support}")
        if not 0 < self.min_confidence <= 1:
            raise RulesError(f"min_confidence must be in (0, 1], got {self.min_confidence}")


@dataclass
class RulesResult:
    transactions: int
    frequent_itemsets: int
    rules: pd.DataFrame  # RULE_COLUMNS, ranked


def read_basket_file(spark, path: str | Path):
    """A basket file as a DataFrame with one `items` array (distinct, trimmed, non-empty) per line.

    Refuses a file with no transactions, naming it."""
    from pyspark.sql import functions as F

    location = str(path)
    if "://" not in location:
        local = Path(location)
        if not local.is_file():
            raise RulesError(f"{local}: no such basket file")
        location = local.resolve().as_uri()
    lines = spark.read.text(location)
    items = F.array_distinct(F.filter(F.transform(F.split("value", ","), lambda x: F.trim(x)), lambda x: x != ""))
    baskets = lines.select(items.alias("items")).where(F.size("items") > 0)
    return baskets


def order_baskets(spark, order_items_table: str = "dwd.shop_order_items", days: list[str] | None = None):
    """Each order's distinct items from the DWD order lines."""
    from pyspark.sql import functions as F

    lines = spark.table(order_items_table)
    if days:
        lines = lines.where(F.col("dt").isin(days))
    return lines.groupBy("order_id").agg(
        F.array_distinct(F.collect_list(F.col("item_id").cast("string"))).alias("items")
    )


def mine_rules(baskets, params: RuleParams) -> RulesResult:
    """FPGrowth over `baskets` (a DataFrame with an `items` array column)."""
    from pyspark.ml.fpm import FPGrowth

    baskets = baskets.select("items").cache()
    try:
        n = baskets.count()
        if n == 0:
            raise RulesError("no transactions to mine (the input is empty)")
        model = FPGrowth(itemsCol="items", minSupport=params.min_support, minConfidence=params.min_confidence).fit(
            baskets
        )
        itemsets = model.freqItemsets.count()
        rules = model.associationRules.toPandas()
    finally:
        baskets.unpersist()
    return RulesResult(n, itemsets, rank_rules(rules, params.max_rules))


def rank_rules(rules: pd.DataFrame, max_rules: int | None = None) -> pd.DataFrame:
    """Spark's rules (antecedent, consequent arrays; confidence, lift, support) as ranked rows
    with comma-joined sorted items and conviction (infinite when confidence is 1)."""
    if rules.empty:
        return pd.DataFrame(columns=RULE_COLUMNS)
    out = pd.DataFrame(
        {
            "antecedent": [",".join(sorted(a, key=_item_key)) for a in rules["antecedent"]],
            "consequent": [",".join(c) for c in rules["consequent"]],
            "support": rules["support"].astype(float),
            "confidence": rules["confidence"].astype(float),
            "lift": rules["lift"].astype(float),
        }
    )
    consequent_support = out["confidence"] / out["lift"]
    gap = 1 - out["confidence"]
    out["conviction"] = ((1 - consequent_support) / gap.where(gap > 1e-12)).fillna(float("inf"))
    out = out.sort_values(
        ["lift", "confidence", "support", "antecedent", "consequent"], ascending=[False, False, False, True, True]
    )
    if max_rules:
        out = out.head(max_rules)
    out["rank"] = range(1, len(out) + 1)
    return out.reset_index(drop=True)[RULE_COLUMNS]


def _item_key(item: str):
    # Numeric ids sort as numbers, others as text, so "10" follows "9".
    return (0, int(item), "") if item.isdigit() else (1, 0, item)

"""A small mart and indicator catalog with known values, planted by the dashboard tests.

`names` replaces every text that comes from data (product names, categories, sites, review
text...), so the same rows can carry script payloads for the escaping tests.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from ecomlab.mart import Mart

# Script payloads for the escaping tests: each counts in window.__xss if it ever runs.
SCRIPT = "<script>window.__xss=(window.__xss||0)+1</script>"
IMG = '"><img src=x onerror="window.__xss=(window.__xss||0)+1">'
DAYS = ["2026-11-01", "2026-11-02", "2026-11-03"]
CATALOG = [
    {
        "id": "gmv",
        "name": "GMV",
        "category": "overall",
        "definition": "Paid order value.",
        "formula": "sum(paid)",
        "grain": ["day"],
        "unit": "CNY",
        "sources": ["dwd.shop_orders"],
    },
    {
        "id": "orders",
        "name": "Orders",
        "category": "overall",
        "definition": "Paid orders.",
        "formula": "count(*)",
        "grain": ["day"],
        "unit": "count",
        "sources": ["dwd.shop_orders"],
    },
    {
        "id": "visits",
        "name": "Visits",
        "category": "traffic",
        "definition": "Sessions.",
        "formula": "count(session)",
        "grain": ["day", "channel"],
        "unit": "count",
        "sources": ["dwd.shop_events"],
    },
    {
        "id": "conversion_rate",
        "name": "Conversion rate",
        "category": "conversion",
        "definition": "Orders per visit.",
        "formula": "orders / visits",
        "grain": ["day"],
        "unit": "%",
        "sources": ["dwd.shop_events"],
    },
    {
        "id": "funnel_users",
        "name": "Users",
        "category": "conversion",
        "definition": "Users reaching each stage.",
        "formula": "count(distinct user)",
        "grain": ["day", "stage"],
        "unit": "count",
        "sources": ["dwd.shop_events"],
    },
    {
        "id": "roi",
        "name": "ROI",
        "category": "campaigns",
        "definition": "Attributed GMV per ad spend.",
        "formula": "gmv / spend",
        "grain": ["day", "campaign"],
        "unit": "ratio",
        "sources": ["dwd.shop_ad_spend"],
    },
    {
        "id": "refund_rate",
        "name": "Refund rate",
        "category": "risk",
        "definition": "Refunded share of payments.",
        "formula": "refunds / payments",
        "grain": ["day"],
        "unit": "%",
        "sources": ["dwd.shop_refunds"],
    },
    {
        "id": "market_share",
        "name": "Market share",
        "category": "market",
        "definition": "Share of visitors.",
        "formula": "visitors / all visitors",
        "grain": ["day", "site"],
        "unit": "%",
        "sources": ["dwd.crawl_prices"],
    },
    {
        "id": "sales_rank",
        "name": "Sales rank",
        "category": "market",
        "definition": "Rank of each site by sales, 1 = largest.",
        "formula": "rank() over sales",
        "grain": ["site"],
        "unit": "rank",
        "sources": ["dwd.crawl_prices"],
    },
    {
        # Computed for the crawl data set only: the shop's pages must leave it off.
        "id": "price_index",
        "name": "Price index",
        "category": "market",
        "definition": "Our prices against the competitor's.",
        "formula": "ours / theirs",
        "grain": ["day"],
        "unit": "index",
        "sources": ["dwd.crawl_prices"],
    },
    {
        "id": "funnel_step",
        "name": "Step conversion",
        "category": "conversion",
        "definition": "Users at a stage as a share of the stage before.",
        "formula": "stage / previous stage",
        "grain": ["day", "stage"],
        "unit": "ratio",
        "sources": ["dwd.shop_events"],
    },
    {
        "id": "repeat_rate",
        "name": "Repeat rate",
        "category": "members",
        "definition": "Buyers buying again.",
        "formula": "repeat / buyers",
        "grain": ["day"],
        "unit": "%",
        "sources": ["dwd.shop_orders"],
    },
    {
        "id": "category_sales",
        "name": "Category sales",
        "category": "commodity",
        "definition": "GMV per category.",
        "formula": "sum(paid)",
        "grain": ["day", "category"],
        "unit": "CNY",
        "sources": ["dwd.shop_order_items"],
    },
]
CLEAN_NAMES = {
    "category_a": "books",
    "category_b": "toys",
    "site_a": "ecomlab",
    "site_b": "rival-1",
    "item_a": "item-101",
    "item_b": "item-202",
    "item_c": "item-303",
    "segment": "champions",
    "review": "division by zero",
    "table": "shop_orders",
    "path": "home>item>cart>pay",
    "customer": "c-1",
}


def indicator_frame(names: dict[str, str]) -> pd.DataFrame:
    rows = []

    def add(ident, values, dimension="", value_of=""):
        for day, value in zip(DAYS, values, strict=True):
            reason = names["review"] if value is None else None
            rows.append(("shop", day, ident, dimension, value_of, value, reason))

    add("gmv", [1000.0, 1100.0, 1210.0])
    add("orders", [10.0, 11.0, None])
    add("visits", [100.0, 120.0, 140.0])
    add("visits", [60.0, 70.0, 80.0], "channel", "search")
    add("visits", [40.0, 50.0, 60.0], "channel", "social")
    add("conversion_rate", [10.0, 9.17, 8.64])
    add("funnel_users", [100.0, 110.0, 140.0], "stage", "view")
    add("funnel_users", [40.0, 45.0, 50.0], "stage", "cart")
    add("funnel_users", [10.0, 11.0, 12.0], "stage", "order")
    add("roi", [1.5, 1.6, 1.8], "campaign", "spring")
    add("roi", [0.9, 1.1, 1.2], "campaign", "autumn")
    add("refund_rate", [2.0, 2.5, 1.5])
    add("market_share", [40.0, 42.0, 45.0], "site", names["site_a"])
    add("market_share", [60.0, 58.0, 55.0], "site", names["site_b"])
    add("sales_rank", [2.0, 2.0, 2.0], "site", names["site_a"])
    add("sales_rank", [1.0, 1.0, 1.0], "site", names["site_b"])
    add("funnel_step", [0.3, 0.3, 0.24], "stage", "order")
    add("funnel_step", [0.4, 0.41, 0.36], "stage", "cart")
    add("repeat_rate", [20.0, 21.0, 22.0])
    add("category_sales", [600.0, 650.0, 700.0], "category", names["category_a"])
    add("category_sales", [400.0, 450.0, 510.0], "category", names["category_b"])
    columns = ["dataset", "dt", "indicator_id", "dimension", "dimension_value", "value", "null_reason"]
    return pd.DataFrame(rows, columns=columns)


def plant(mart: Mart, names: dict[str, str] | None = None, skip: tuple[str, ...] = ()) -> None:
    """Write every dashboard table for data set 'shop' (except those in `skip`)."""
    n = names or CLEAN_NAMES
    run = "2026-11-03"
    tables = {
        "indicator_daily": indicator_frame(n),
        "mining_rules": pd.DataFrame(
            {
                "dataset": "shop",
                "run_dt": run,
                "antecedent": [n["item_a"], n["item_b"], f"{n['item_a']},{n['item_b']}"],
                "consequent": [n["item_b"], n["item_c"], n["item_c"]],
                "support": [0.2, 0.1, 0.05],
                "confidence": [0.6, 0.5, 0.4],
                "lift": [3.0, 2.5, 4.0],
                "conviction": [2.0, 1.6, 1.5],
                "rank": [1, 2, 3],
            }
        ),
        "mining_cohort_retention": pd.DataFrame(
            {
                "dataset": "shop",
                "cohort": ["2026-11-01"] * 3 + ["2026-11-02"] * 2,
                "period": [0, 1, 2, 0, 1],
                "users": [50, 50, 50, 40, 40],
                "retained": [50, 20, 10, 40, 12],
                "retention": [1.0, 0.4, 0.2, 1.0, 0.3],
            }
        ),
        "mining_paths": pd.DataFrame(
            {"dataset": "shop", "path": [n["path"], "home>pay"], "purchases": [30, 5], "rank": [1, 2]}
        ),
        "mining_activity": pd.DataFrame(
            {
                "dataset": "shop",
                "kind": ["hour"] * 3 + ["weekday"] * 2,
                "slot": ["9", "10", "11", "1", "2"],
                "events": [5, 9, 7, 20, 25],
            }
        ),
        "mining_segments": pd.DataFrame(
            {
                "dataset": "shop",
                "run_dt": run,
                "segment": [0, 1],
                "label": [n["segment"], "at risk"],
                "size": [30, 70],
                "avg_recency": [3.0, 40.0],
                "avg_frequency": [6.0, 1.2],
                "avg_monetary": [900.0, 80.0],
                "value_share": [0.75, 0.25],
            }
        ),
        "mining_customer_rfm": pd.DataFrame(
            {
                "dataset": "shop",
                "run_dt": run,
                "customer_id": [n["customer"], "c-2"],
                "recency": [3, 40],
                "frequency": [6, 1],
                "monetary": [900.0, 80.0],
                "r_score": [5, 1],
                "f_score": [5, 1],
                "m_score": [5, 1],
                "rfm": ["555", "111"],
                "segment": [0, 1],
            }
        ),
        "mining_recommendations": pd.DataFrame(
            {
                "dataset": "shop",
                "run_dt": run,
                "user_id": ["u-1", "u-1", "u-2"],
                "rank": [1, 2, 1],
                "item_id": [n["item_a"], n["item_c"], n["item_b"]],
                "score": [0.9, 0.7, 0.8],
                "source": ["als", "als", "popular"],
            }
        ),
        "mining_rec_eval": pd.DataFrame(
            {
                "dataset": "shop",
                "run_dt": run,
                "model": ["als", "popular"],
                "precision_at_10": [0.12, 0.05],
                "recall_at_10": [0.3, 0.1],
                "ndcg_at_10": [0.25, 0.08],
            }
        ),
        "mining_clv": pd.DataFrame(
            {
                "dataset": "shop",
                "run_dt": run,
                "customer_id": [n["customer"], "c-2"],
                "expected_purchases": [4.2, 0.5],
                "expected_value": [3800.0, 40.0],
                "note": [None, None],
            }
        ),
        "mining_clv_params": pd.DataFrame(
            {"dataset": "shop", "run_dt": run, "param": ["r", "alpha"], "value": [0.24, 4.4], "note": [None, None]}
        ),
        "realtime_minute": pd.DataFrame(
            {
                "dataset": "shop",
                "window_start": [f"2026-11-03 10:0{i}:00" for i in range(5)],
                "uv": [5, 6, 7, 8, 9],
                "pv": [20, 22, 24, 26, 28],
                "orders": [1, 0, 2, 1, 3],
                "gmv": [99.0, 0.0, 250.0, 120.0, 310.0],
            }
        ),
        # Two runs: the one that finished last is shown, though its id sorts first as text.
        "quality_summary": pd.concat(
            [
                pd.DataFrame(
                    {
                        "dataset": "shop",
                        "run_id": "r9",
                        "finished_at": "2026-11-02T08:00:00Z",
                        "passed": True,
                        "table_name": [n["table"], "shop_events"],
                        "rows_in": [10, 10],
                        "dwd_rows": [10, 10],
                        "quarantined": [0, 0],
                        "merged": [0, 0],
                        "score": [1.0, 1.0],
                    }
                ),
                pd.DataFrame(
                    {
                        "dataset": "shop",
                        "run_id": "r1",
                        "finished_at": "2026-11-03T08:00:00Z",
                        "passed": True,
                        "table_name": [n["table"], "shop_events"],
                        "rows_in": [100, 1000],
                        "dwd_rows": [95, 990],
                        "quarantined": [4, 8],
                        "merged": [1, 2],
                        "score": [0.95, 0.99],
                    }
                ),
            ],
            ignore_index=True,
        ),
    }
    for name, frame in tables.items():
        if name not in skip:
            mart.replace(name, frame, partition={"dataset": "shop"})


def write_catalog(path: Path, definition_of_gmv: str | None = None) -> Path:
    entries = [dict(entry) for entry in CATALOG]
    if definition_of_gmv is not None:
        entries[0]["definition"] = definition_of_gmv
    path.write_text(yaml.safe_dump(entries, sort_keys=False), encoding="utf-8")
    return path

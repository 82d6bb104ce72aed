"""One indicator build for the benchmark: Spark, the same SQL in DuckDB, and plain pandas.

Run as its own process in a benchmark home that holds cleaned DWD tables; prints one JSON
line with the seconds each took to compute every shop indicator for every day (Spark's
session start-up is left out: it is paid once per job, not per indicator).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ecomlab.indicators.build import build
from ecomlab.indicators.engines import DuckDBEngine, SparkEngine
from ecomlab.indicators.stage import event_days
from ecomlab.settings import load_settings
from ecomlab.warehouse.spark import create_spark

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "indicators"))
from indicator_independent import shop as pandas_shop  # the tests' plain pandas implementation


def main() -> None:
    settings = load_settings()
    spark = create_spark(settings, app_name="ecomlab-bench-indicators")
    days = event_days(spark, "shop")
    started = time.perf_counter()
    built = build(SparkEngine(spark), "shop", days)
    spark_s = time.perf_counter() - started
    spark.stop()

    dwd_root = f"{settings.warehouse_root}/dwd.db"
    started = time.perf_counter()
    duck = build(DuckDBEngine(dwd_root), "shop", days)
    duckdb_s = time.perf_counter() - started

    started = time.perf_counter()
    pandas_values = pandas_shop(dwd_root, days)
    pandas_s = time.perf_counter() - started
    print(
        json.dumps(
            {
                "days": len(days),
                "indicators": len(built.indicators),
                "rows": len(built.rows),
                "same_rows_in_duckdb": len(duck.rows) == len(built.rows),
                "pandas_values": len(pandas_values),
                "spark_s": round(spark_s, 2),
                "duckdb_s": round(duckdb_s, 2),
                "pandas_s": round(pandas_s, 2),
            }
        )
    )


if __name__ == "__main__":
    main()

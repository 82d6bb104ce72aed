"""Smoke test job: runs tasks across the executors and a round trip through the metastore.

Prints one line `SMOKE_RESULT {json}` with the hosts that ran tasks, a checksum of the
computation and the tables the metastore returned, so the caller can check all three.
"""

import json
import socket
import sys

from pyspark.sql import SparkSession

partitions = int(sys.argv[1]) if len(sys.argv) > 1 else 8
spark = SparkSession.builder.appName("ecomlab-smoke-test").enableHiveSupport().getOrCreate()
sc = spark.sparkContext

spread = sc.parallelize(range(partitions * 8), partitions)
hosts = sorted(spread.map(lambda _: socket.gethostname()).distinct().collect())
total = sc.parallelize(range(1, 10_001), partitions).sum()

spark.sql("CREATE DATABASE IF NOT EXISTS ecomlab_smoke")
spark.sql("CREATE TABLE IF NOT EXISTS ecomlab_smoke.probe (n INT) USING parquet")
tables = sorted(row.tableName for row in spark.sql("SHOW TABLES IN ecomlab_smoke").collect())

print("SMOKE_RESULT " + json.dumps({"executor_hosts": hosts, "sum": total, "tables": tables}), flush=True)
spark.stop()

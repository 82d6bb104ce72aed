"""Stage 2, detection: every finding of every rule, as data on each row.

The result of `annotate` is the ODS rows of one table plus, per spec column, its typed
value (`_v_<column>`) and an array `_findings` of {rule, column} structs. All rules are
column expressions or joins over that one frame, so detection costs one scan of the data
plus small lookups (dimension keys, per-group statistics).
"""

from __future__ import annotations

from dataclasses import dataclass

from ecomlab.cleaning.spec import CleaningSpec, ColumnRule, TableSpec

# Findings that make a row unusable, most fundamental first: the first one a row has is
# its reason code in quarantine.
PRECEDENCE = (
    "malformed_line",
    "bad_encoding",
    "duplicate_row",
    "duplicate_key",
    "null_required",
    "unparseable_timestamp",
    "type_error",
    "out_of_window",
    "orphan_foreign_key",
    "invalid_value",
    "below_minimum",
    "above_maximum",
    "outlier",
    "inconsistent_order_total",
    "refund_exceeds_payment",
)
DIMENSION_OF = {
    "null_required": "completeness",
    "malformed_line": "validity",
    "bad_encoding": "validity",
    "unparseable_timestamp": "validity",
    "type_error": "validity",
    "invalid_value": "validity",
    "below_minimum": "validity",
    "above_maximum": "validity",
    "duplicate_row": "uniqueness",
    "duplicate_key": "uniqueness",
    "orphan_foreign_key": "consistency",
    "inconsistent_order_total": "consistency",
    "refund_exceeds_payment": "consistency",
    "out_of_window": "timeliness",
    "outlier": "accuracy",
}
SQL_TYPES = {
    "string": "STRING",
    "int": "INT",
    "bigint": "BIGINT",
    "decimal": "DECIMAL(18,2)",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
}
CANONICAL_TIMESTAMP = "yyyy-MM-dd HH:mm:ss"
# Standard alternatives, always accepted and rewritten to UTC: ISO 8601 with an offset or Z.
STANDARD_TIMESTAMPS = ("yyyy-MM-dd'T'HH:mm:ssXXX", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "yyyy-MM-dd HH:mm:ssXXX")
# Lenient formats, tried only when the plan is refined.
EXTRA_TIMESTAMPS = ("yyyy/MM/dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss", "dd.MM.yyyy HH:mm:ss")


@dataclass(frozen=True)
class Window:
    """The batch's event-time window per day: [first day, last day] inclusive."""

    first_day: str
    last_day: str


def typed_value(name: str, rule: ColumnRule, refinements: list[str]):
    """(typed value, repair name or None) for a raw string column."""
    from pyspark.sql import functions as F

    raw = F.trim(F.col(name))
    if rule.format == "epoch_seconds":
        seconds = F.expr(f"try_cast(trim(`{name}`) AS BIGINT)")
        value = F.timestamp_seconds(seconds)
        return (F.to_date(value) if rule.type == "date" else value), F.lit(None)
    if rule.format:
        parse = "try_to_date" if rule.type == "date" else "try_to_timestamp"
        return F.expr(f"{parse}(trim(`{name}`), '{rule.format}')"), F.lit(None)
    if rule.type == "timestamp":
        canonical = F.expr(f"try_to_timestamp(trim(`{name}`), '{CANONICAL_TIMESTAMP}')")
        formats = STANDARD_TIMESTAMPS + (EXTRA_TIMESTAMPS if "extra_timestamp_formats" in refinements else ())
        others = [F.expr(f'try_to_timestamp(trim(`{name}`), "{fmt}")') for fmt in formats]
        value = F.coalesce(canonical, *others)
        repaired = F.when(canonical.isNull() & value.isNotNull(), F.lit("standardised_timestamp"))
        return value, repaired
    if rule.type == "date":
        return F.expr(f"try_to_date(trim(`{name}`), 'yyyy-MM-dd')"), F.lit(None)
    if rule.type == "string":
        value = raw
        if rule.values:
            # A known value written in another case is the same value.
            lowered = F.lower(raw)
            known = {v.lower(): v for v in rule.values}
            mapping = F.create_map(*[F.lit(x) for pair in known.items() for x in pair])
            fixed = F.when(~raw.isin(rule.values) & lowered.isin(list(known)), mapping[lowered])
            return F.coalesce(fixed, raw), F.when(fixed.isNotNull(), F.lit("normalised_case"))
        return value, F.when(F.col(name) != raw, F.lit("trimmed"))
    return F.expr(f"try_cast(trim(`{name}`) AS {SQL_TYPES[rule.type]})"), F.lit(None)


def annotate(spark, spec: CleaningSpec, table: str, rows, windows: dict[str, Window], context: dict, refinements):
    """Add typed values and findings to one table's ODS rows.

    `context` maps already-annotated table names to their frames (for references and
    cross-table checks); it must hold every table this one depends on.
    """
    from pyspark.sql import functions as F

    t: TableSpec = spec.tables[table]

    def finding(rule: str, column: str | None, condition):
        return F.when(condition, F.struct(F.lit(rule).alias("rule"), F.lit(column).cast("string").alias("column")))

    repairs, checks = [], []
    for name, rule in t.columns.items():
        value, repaired = typed_value(name, rule, refinements)
        rows = rows.withColumn(f"_v_{name}", value)
        repairs.append(repaired)
        v, raw = F.col(f"_v_{name}"), F.col(name)
        if rule.required:
            checks.append(finding("null_required", name, raw.isNull()))
        kind = "unparseable_timestamp" if rule.type in ("timestamp", "date") else "type_error"
        checks.append(finding(kind, name, raw.isNotNull() & v.isNull()))
        checks.append(finding("bad_encoding", name, raw.contains("\ufffd")))
        if rule.values:
            checks.append(finding("invalid_value", name, v.isNotNull() & ~v.cast("string").isin(rule.values)))
        if rule.pattern:
            checks.append(finding("invalid_value", name, v.isNotNull() & ~v.cast("string").rlike(rule.pattern)))
        if rule.min is not None:
            checks.append(finding("below_minimum", name, v < F.lit(rule.min)))
        if rule.max is not None:
            checks.append(finding("above_maximum", name, v > F.lit(rule.max)))
    checks.append(finding("malformed_line", None, F.col("_raw_line").isNotNull()))
    checks.append(finding("bad_encoding", None, F.col("_raw_line").contains("\ufffd")))

    if t.event_time:
        window = spark.createDataFrame(
            [(day, w.first_day, w.last_day) for day, w in windows.items()], "dt string, _w_first string, _w_last string"
        )
        rows = rows.join(F.broadcast(window), "dt", "left")
        # Days are the data's own: in its time zone (Taobao's are China's).
        v = F.col(f"_v_{t.event_time}")
        day = F.to_date(F.from_utc_timestamp(v, t.timezone)) if t.timezone != "UTC" else F.to_date(v)
        outside = v.isNotNull() & ((day < F.to_date(F.col("_w_first"))) | (day > F.to_date(F.col("_w_last"))))
        checks.append(finding("out_of_window", t.event_time, outside))

    # References: a key must exist in the referenced table as received (any day, any row).
    for name, rule in t.columns.items():
        if not rule.references:
            continue
        ref_table, ref_column = rule.references.split(".")
        keys = (
            _ods_typed(spark, spec, ref_table, [ref_column])
            .select(F.col(ref_column).alias(f"_ref_{name}"))
            .where(F.col(f"_ref_{name}").isNotNull())
            .distinct()
            .withColumn(f"_found_{name}", F.lit(True))
        )
        rows = rows.join(keys, rows[f"_v_{name}"] == keys[f"_ref_{name}"], "left").drop(f"_ref_{name}")
        checks.append(
            finding("orphan_foreign_key", name, F.col(f"_v_{name}").isNotNull() & F.col(f"_found_{name}").isNull())
        )

    rows = rows.withColumn("_findings", F.filter(F.array(*checks), lambda x: x.isNotNull()))
    rows = rows.withColumn("_repairs", F.filter(F.array(*repairs), lambda x: x.isNotNull()))
    rows = _outliers(spark, rows, spec, t, context)
    rows = _duplicates(rows, t)
    for check in t.checks:
        rows = _CHECKS[check](rows, context)
    return rows.withColumn("_reason", _primary(F.col("_findings")))


def _primary(findings):
    from pyspark.sql import functions as F

    rules = F.transform(findings, lambda f: f["rule"])
    ranked = [F.when(F.array_contains(rules, r), F.lit(r)) for r in PRECEDENCE]
    return F.coalesce(*ranked)


def _add(rows, rule: str, column: str | None, condition):
    from pyspark.sql import functions as F

    found = F.struct(F.lit(rule).alias("rule"), F.lit(column).cast("string").alias("column"))
    return rows.withColumn(
        "_findings", F.when(condition, F.concat(F.col("_findings"), F.array(found))).otherwise(F.col("_findings"))
    )


def _clean_so_far():
    from pyspark.sql import functions as F

    return F.size(F.col("_findings")) == 0


def _ods_typed(spark, spec: CleaningSpec, table: str, columns: list[str], well_formed_only: bool = False):
    """Typed columns of an ODS table over all its days (for lookups that are not day-bound).

    A key lookup keeps malformed lines too: their leading fields (the key) arrived intact.
    """
    from pyspark.sql import functions as F

    rules = spec.tables[table].columns
    rows = spark.table(f"ods.{table}")
    if well_formed_only:
        rows = rows.where(F.col("_raw_line").isNull())
    return rows.select(*[typed_value(c, rules[c], [])[0].alias(c) for c in columns])


def _outliers(spark, rows, spec: CleaningSpec, t: TableSpec, context: dict):
    """Robust outliers: |log x - median| > k x 1.4826 x MAD within the group, from clean positive values."""
    from pyspark.sql import functions as F

    for name, rule in t.columns.items():
        if rule.outlier is None:
            continue
        group, base = f"_g_{name}", f"_b_{name}"
        if rule.outlier.lookup:
            lookup_table, lookup_key = rule.outlier.lookup.split(".")
            wanted = [lookup_key, rule.outlier.by, *([rule.outlier.relative_to] if rule.outlier.relative_to else [])]
            if lookup_table in context:
                # Cleaned in this run: only its sound rows may serve as the yardstick.
                source = (
                    context[lookup_table].where(_clean_so_far()).select(*[F.col(f"_v_{c}").alias(c) for c in wanted])
                )
            else:
                source = _ods_typed(spark, spec, lookup_table, wanted, well_formed_only=True)
            lookup = (
                source.select(
                    F.col(lookup_key).alias(f"_lk_{name}"),
                    F.col(rule.outlier.by).alias(group),
                    (F.col(rule.outlier.relative_to) if rule.outlier.relative_to else F.lit(1)).alias(base),
                )
                .where(F.col(f"_lk_{name}").isNotNull() & (F.col(base) > 0))
                .dropDuplicates([f"_lk_{name}"])
            )
            key_column = next(c for c, r in t.columns.items() if r.references == rule.outlier.lookup)
            rows = rows.join(lookup, rows[f"_v_{key_column}"] == lookup[f"_lk_{name}"], "left").drop(f"_lk_{name}")
        else:
            rows = rows.withColumn(group, F.col(f"_v_{rule.outlier.by}")).withColumn(base, F.lit(1))
        log_value = F.log(F.col(f"_v_{name}").cast("double") / F.col(base).cast("double"))
        usable = _clean_so_far() & (F.col(f"_v_{name}") > 0) & F.col(group).isNotNull()
        medians = rows.where(usable).groupBy(group).agg(F.percentile_approx(log_value, 0.5).alias("_med"))
        spread = (
            rows.where(usable)
            .join(medians, group)
            .groupBy(group)
            .agg(
                F.first("_med").alias("_med"), F.percentile_approx(F.abs(log_value - F.col("_med")), 0.5).alias("_mad")
            )
        )
        rows = rows.join(F.broadcast(spread), group, "left")
        limit = F.lit(spec.outlier_k) * F.lit(1.4826) * F.greatest(F.col("_mad"), F.lit(0.05))
        outlier = (F.col(f"_v_{name}") > 0) & F.col("_med").isNotNull() & (F.abs(log_value - F.col("_med")) > limit)
        rows = _add(rows, "outlier", name, outlier).drop("_med", "_mad", group, base)
    return rows


def _duplicates(rows, t: TableSpec):
    """Exact copies (every field equal) are merged into their first copy; a key seen again is quarantined."""
    from pyspark.sql import Window as W
    from pyspark.sql import functions as F

    data = [*t.columns, "_raw_line"]
    first = W.partitionBy("dt", *[F.col(c) for c in data]).orderBy("_batch_id", "_line_no")
    rows = rows.withColumn("_first_line", F.first("_line_no").over(first))
    rows = rows.withColumn("_copy", F.row_number().over(first) > 1)
    rows = _add(rows, "duplicate_row", None, F.col("_copy"))
    if not t.key:
        return rows
    keyed = F.col("_raw_line").isNull() & ~F.col("_copy")
    for column in t.key:
        keyed = keyed & F.col(f"_v_{column}").isNotNull()
    by_key = W.partitionBy("dt", F.when(keyed, F.lit(1)), *[F.col(f"_v_{c}") for c in t.key]).orderBy(
        "_batch_id", "_line_no"
    )
    rows = rows.withColumn("_key_rank", F.row_number().over(by_key))
    return _add(rows, "duplicate_key", ",".join(t.key), keyed & (F.col("_key_rank") > 1)).drop("_key_rank")


def _order_total(rows, context):
    """An order's total must equal the sum of its lines (checked only when every line is sound)."""
    from pyspark.sql import functions as F

    items = context["shop_order_items"].where(~F.col("_copy"))
    per_order = items.groupBy(F.col("_v_order_id").alias("_o")).agg(
        F.sum(F.col("_v_quantity") * F.col("_v_unit_price")).alias("_lines_total"),
        F.max(F.when(F.size("_findings") > 0, 1).otherwise(0)).alias("_bad_line"),
    )
    rows = rows.join(per_order, rows["_v_order_id"] == per_order["_o"], "left").drop("_o")
    differs = (F.col("_bad_line") == 0) & (F.abs(F.col("_v_total_amount") - F.col("_lines_total")) > 0.005)
    return _add(rows, "inconsistent_order_total", "total_amount", differs).drop("_lines_total", "_bad_line")


def _refund_vs_payment(rows, context):
    """A refund may not exceed what was paid for its order (checked against sound payments)."""
    from pyspark.sql import functions as F

    paid = (
        context["shop_payments"]
        .where(_clean_so_far())
        .groupBy(F.col("_v_order_id").alias("_p"))
        .agg(F.sum("_v_amount").alias("_paid"))
    )
    rows = rows.join(paid, rows["_v_order_id"] == paid["_p"], "left").drop("_p")
    exceeds = F.col("_paid").isNotNull() & (F.col("_v_amount") > F.col("_paid") + 0.005)
    return _add(rows, "refund_exceeds_payment", "amount", exceeds).drop("_paid")


_CHECKS = {"order_total_matches_items": _order_total, "refund_not_above_payment": _refund_vs_payment}

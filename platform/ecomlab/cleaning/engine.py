"""The five cleaning stages, ods -> dwd, with the quality gate and row conservation.

1. Preparation: profile each ODS table and write the plan (spec rules checked against the
   profile) before anything changes.
2. Detection: every rule's findings on every row (`detect.annotate`).
3. Quality assessment: scores per table and for the batch, at detection and after correction.
4. Correction: repairs kept in the row (and recorded), exact duplicates merged, everything
   else that is wrong quarantined with its reason and original record.
5. Output: DWD tables, quarantine, merges and the quality report.

Below a threshold after correction, the plan is refined (lenient repairs) and the batch
assessed again, up to `max_rounds`; still below, the run fails and DWD is not touched.

Data passes: each ODS table is scanned twice, once to profile it and once to detect (a
table with outlier rules is cached while it is annotated). The annotated rows are written
once to the run's staging area; counting, cross-table checks of later tables and the
outputs read that staged copy, so no table has to stay in memory for the whole run.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ecomlab.cleaning.detect import DIMENSION_OF, SQL_TYPES, Window, annotate, typed_value
from ecomlab.cleaning.spec import CHECKS, DIMENSIONS, CleaningSpec, SpecError, load_spec
from ecomlab.sources.registry import all_entities
from ecomlab.storage.lake import Lake
from ecomlab.storage.raw_zone import RawZone

log = logging.getLogger("ecomlab.cleaning")

# Detection reason -> the simulator's defect type, to score detection against the truth.
TRUTH_TYPE = {
    "null_required": "null_required",
    "unparseable_timestamp": "unparseable_timestamp",
    "out_of_window": "out_of_window_timestamp",
    "below_minimum": "negative_price",
    "outlier": "absurd_price",
    "orphan_foreign_key": "orphan_foreign_key",
    "inconsistent_order_total": "inconsistent_order_total",
    "refund_exceeds_payment": "refund_exceeds_payment",
    "malformed_line": "malformed_line",
    "bad_encoding": "bad_encoding",
    "duplicate_row": "duplicate_row",
}


class QualityGateError(Exception):
    """The batch stayed below a quality threshold after every round; DWD was left as it was."""

    def __init__(self, message: str, report: dict):
        super().__init__(message)
        self.report = report


class ConservationError(Exception):
    """Rows were lost or counted twice between ODS and DWD + quarantine + merges."""


@dataclass
class TableOutcome:
    table: str
    days: list[str]
    rows_in: int = 0
    dwd_rows: int = 0
    quarantined: int = 0
    merged: int = 0
    findings: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)
    repairs: dict[str, int] = field(default_factory=dict)
    detected_by_dimension: dict[str, int] = field(default_factory=dict)
    removed_by_dimension: dict[str, int] = field(default_factory=dict)
    # Per day: rows going to each output (dwd, quarantine, merges).
    per_day: dict[str, Counter] = field(default_factory=dict)

    @property
    def conservation_ok(self) -> bool:
        return self.rows_in == self.dwd_rows + self.quarantined + self.merged

    def scores(self, counts: dict[str, int]) -> dict[str, float]:
        return dimension_scores(counts, self.rows_in)

    def as_dict(self) -> dict:
        return {
            "days": self.days,
            "rows_in": self.rows_in,
            "dwd_rows": self.dwd_rows,
            "quarantined": self.quarantined,
            "merged": self.merged,
            "conservation_ok": self.conservation_ok,
            "findings": self.findings,
            "reasons": self.reasons,
            "repairs": self.repairs,
            "scores_detected": self.scores(self.detected_by_dimension),
            "scores_after": self.scores(self.removed_by_dimension),
        }


def entity_of_table() -> dict:
    return {e.ods_table: e for entities in all_entities().values() for e in entities}


def windows_for(lake: Lake, table: str, days: list[str]) -> dict[str, Window]:
    """Each day's event window, as its batches declared it (default: the day itself)."""
    entity = entity_of_table()[table]
    zone = RawZone(lake)
    windows = {}
    for day in days:
        declared = [(m.window_start, m.window_end) for m in zone.batches(entity, day) if m.window_start]
        first = min((w[0] for w in declared), default=day)
        last = max((w[1] for w in declared), default=day)
        windows[day] = Window(first, last)
    return windows


def ods_days(spark, table: str) -> list[str]:
    return sorted(r[0].removeprefix("dt=") for r in spark.sql(f"SHOW PARTITIONS ods.{table}").collect())


def profile(rows, spec: CleaningSpec, table: str) -> dict:
    """Row count, null rate, distinct count, value range and type conformance per column (one job)."""
    from pyspark.sql import functions as F

    columns = spec.tables[table].columns
    aggregates = [F.count(F.lit(1)).alias("rows")]
    for name, rule in columns.items():
        value = typed_value(name, rule, [])[0]
        aggregates += [
            F.count(F.col(name)).alias(f"{name}__present"),
            F.approx_count_distinct(F.col(name)).alias(f"{name}__distinct"),
            F.count(value).alias(f"{name}__typed"),
            F.min(value).cast("string").alias(f"{name}__min"),
            F.max(value).cast("string").alias(f"{name}__max"),
        ]
    result = rows.agg(*aggregates).first().asDict()
    n = result["rows"]
    profile = {"rows": n, "columns": {}}
    for name in columns:
        present = result[f"{name}__present"]
        profile["columns"][name] = {
            "null_rate": round(1 - present / n, 6) if n else 0.0,
            "distinct": result[f"{name}__distinct"],
            "type_conformance": round(result[f"{name}__typed"] / present, 6) if present else 1.0,
            "min": result[f"{name}__min"],
            "max": result[f"{name}__max"],
        }
    return profile


def plan_warnings(spec: CleaningSpec, table: str, table_profile: dict) -> list[str]:
    """The spec checked against what the data looks like."""
    warnings = []
    for name, rule in spec.tables[table].columns.items():
        column = table_profile["columns"][name]
        if rule.required and column["null_rate"] > 0.5:
            warnings.append(f"{table}.{name}: required, but {column['null_rate']:.0%} of rows have no value")
        if column["type_conformance"] < 0.9:
            warnings.append(
                f"{table}.{name}: only {column['type_conformance']:.1%} of values are {rule.type}; check the spec"
            )
    return warnings


def _count_outcome(annotated, outcome: TableOutcome) -> None:
    """Every count the assessment needs, in one job: each row contributes tagged items, counted together."""
    from pyspark.sql import functions as F

    rules = F.col("_findings.rule")
    dimensions = F.array_distinct(F.transform(rules, _dimension_expr))
    repairs = F.when(F.col("_reason").isNull(), F.col("_repairs")).otherwise(F.array().cast("array<string>"))
    tags = F.concat(
        F.array(F.concat_ws("\t", F.lit("outcome"), F.col("dt"), F.coalesce(F.col("_reason"), F.lit("")))),
        F.transform(rules, lambda r: F.concat(F.lit("finding\t"), r)),
        F.transform(repairs, lambda r: F.concat(F.lit("repair\t"), r)),
        F.transform(dimensions, lambda d: F.concat(F.lit("dimension\t"), d)),
    )
    counted = annotated.select(F.explode(tags).alias("tag")).groupBy("tag").count().collect()
    reasons: Counter = Counter()
    findings, repaired, by_dimension = Counter(), Counter(), Counter()
    for tag, n in counted:
        kind, _, rest = tag.partition("\t")
        if kind == "outcome":
            day, _, reason = rest.partition("\t")
            reasons[reason or None] += n
            target = "dwd" if not reason else "merges" if reason == "duplicate_row" else "quarantine"
            outcome.per_day.setdefault(day, Counter())[target] += n
        elif kind == "finding":
            findings[rest] += n
        elif kind == "repair":
            repaired[rest] += n
        else:
            # Rows with at least one finding of a dimension (a row can count in several dimensions).
            by_dimension[rest] += n
    outcome.reasons = {r: n for r, n in reasons.items() if r is not None}
    outcome.rows_in = sum(reasons.values())
    outcome.findings = dict(findings)
    outcome.repairs = dict(repaired)
    outcome.detected_by_dimension = dict(by_dimension)
    removed = Counter()
    for reason, n in outcome.reasons.items():
        removed[DIMENSION_OF[reason]] += n
    outcome.removed_by_dimension = dict(removed)
    outcome.quarantined = sum(n for r, n in outcome.reasons.items() if r != "duplicate_row")
    outcome.merged = outcome.reasons.get("duplicate_row", 0)
    outcome.dwd_rows = outcome.rows_in - outcome.quarantined - outcome.merged


def _dimension_expr(rule):
    from pyspark.sql import functions as F

    mapping = F.create_map(*[F.lit(x) for pair in DIMENSION_OF.items() for x in pair])
    return mapping[rule]


def dimension_scores(counts: dict[str, int], rows: int) -> dict[str, float]:
    """Per dimension, the share of rows without a finding (or removal) of that dimension."""
    return {d: 1.0 - counts.get(d, 0) / rows if rows else 1.0 for d in DIMENSIONS}


def batch_scores(outcomes: list[TableOutcome], key: str) -> dict[str, float]:
    counts = Counter()
    for o in outcomes:
        counts.update(getattr(o, key))
    return dimension_scores(counts, sum(o.rows_in for o in outcomes))


@dataclass
class CleaningResult:
    report: dict
    outcomes: dict[str, TableOutcome]
    report_uris: dict[str, str] = field(default_factory=dict)


def clean(
    spark,
    lake: Lake,
    tables: list[str] | None = None,
    days: list[str] | None = None,
    spec: CleaningSpec | None = None,
    run_id: str | None = None,
    truth_defects: Path | None = None,
    advance=lambda n: None,
    mart=None,
) -> CleaningResult:
    """Clean the given ODS tables (default: every spec table that has ODS data) for the given days.

    With a results mart, the run's per-table summary (`quality_summary`) is written there too,
    whether the quality gate passed or not, for the data quality board.
    """

    from ecomlab.cleaning.report import write_report

    spec = spec or load_spec()
    run_id = run_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    existing = {t.name for t in spark.catalog.listTables("ods")}
    asked = set(spec.tables) if tables is None else set(tables)
    unknown = asked - set(spec.tables)
    if unknown:
        raise SpecError(f"no cleaning rules for {sorted(unknown)}; known tables: {sorted(spec.tables)}")
    # A table whose checks read another table's findings brings that table along.
    for table in list(asked):
        asked |= {CHECKS[c] for c in spec.tables[table].checks if CHECKS[c] in spec.tables}
    wanted = [t for t in spec.order() if t in existing and t in asked]

    # 1. Preparation: profile each table (one scan) and write the plan before anything changes.
    selected, plan = {}, {"run_id": run_id, "tables": {}, "warnings": []}
    asked_days = {t: [d for d in ods_days(spark, t) if days is None or d in days] for t in wanted}
    profiles = _profile_all(spark, spec, {t: d for t, d in asked_days.items() if d})
    for table, table_profile in profiles.items():
        table_days = asked_days[table]
        warnings = plan_warnings(spec, table, table_profile)
        selected[table] = (table_days, windows_for(lake, table, table_days))
        plan["tables"][table] = {
            "days": table_days,
            "rules": spec.tables[table].model_dump(exclude_none=True),
            "profile": table_profile,
        }
        plan["warnings"] += warnings
        log.info(
            "prepare %s: %d rows on %d days, %d warnings", table, table_profile["rows"], len(table_days), len(warnings)
        )
    plan_path = f"runs/{run_id}/quality/plan.json"
    lake.makedirs(f"runs/{run_id}/quality")
    lake.write_bytes(plan_path, json.dumps(plan, indent=2, sort_keys=True, default=str).encode())

    staging = f"runs/{run_id}/staging"
    try:
        # 2-4. Detection, assessment and correction, in rounds until the gate passes.
        rounds, refinements = [], []
        for number in range(1, spec.max_rounds + 1):
            staged, outcomes = _detect_all(spark, lake, spec, selected, refinements, f"{staging}/round-{number}")
            after = batch_scores(list(outcomes.values()), "removed_by_dimension")
            passed = all(after[d] >= spec.thresholds[d] for d in DIMENSIONS)
            rounds.append({"round": number, "refinements": list(refinements), "batch_scores": after, "passed": passed})
            log.info("assess round %d: %s -> %s", number, after, "passed" if passed else "below threshold")
            if passed or number == spec.max_rounds:
                break
            refinements = list(spec.refinements)

        report = {
            "run_id": run_id,
            "passed": passed,
            "thresholds": dict(spec.thresholds),
            "rounds": rounds,
            "batch": _batch(outcomes),
            "tables": {t: o.as_dict() for t, o in outcomes.items()},
            "truth": score_against_truth(staged, truth_defects) if truth_defects else None,
            "plan": {"uri": lake.uri(plan_path), "warnings": plan["warnings"]},
            "passes": {
                "ods_scans": len(selected) * (1 + len(rounds)),
                "note": "each ODS table is scanned once to profile and once per round to detect; "
                "counts and outputs read the staged annotated rows",
            },
        }
        if not passed:
            uris = write_report(lake, run_id, report)
            _summarise(mart, report)
            raise QualityGateError(
                f"quality gate: batch below threshold after {len(rounds)} round(s): "
                + ", ".join(
                    f"{d} {after[d]:.4f} < {spec.thresholds[d]}" for d in DIMENSIONS if after[d] < spec.thresholds[d]
                )
                + f"; DWD left as it was; report: {uris['html']}",
                report,
            )
        bad = [t for t, o in outcomes.items() if not o.conservation_ok]
        if bad:
            raise ConservationError(f"rows not conserved in {bad}")

        # 5. Output.
        ensure_cleaning_tables(spark, spec)
        for table, annotated in staged.items():
            write_outputs(spark, spec, table, annotated, outcomes[table], run_id)
            advance(1)
        verify_conservation(spark, outcomes)
        report["batch"]["conservation_verified_in_tables"] = True
        uris = write_report(lake, run_id, report)
        _summarise(mart, report)
        return CleaningResult(report, outcomes, uris)
    finally:
        lake.delete(staging)


def _summarise(mart, report: dict) -> None:
    if mart is None:
        return
    from ecomlab.cleaning.summary import write_summary

    written = write_summary(mart, report)
    log.info("quality summary for run %s in the mart: %s", report["run_id"], written)


def _profile_all(spark, spec: CleaningSpec, days_of: dict[str, list[str]], workers: int = 3) -> dict[str, dict]:
    """Profile several tables at once (one scan each), in the order given."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="clean-profile") as pool:
        futures = {t: pool.submit(profile, _ods_rows(spark, t, d), spec, t) for t, d in days_of.items()}
        return {t: f.result() for t, f in futures.items()}


def _detect_all(spark, lake: Lake, spec: CleaningSpec, selected: dict, refinements, staging: str, workers: int = 3):
    """Detect and count every table, several at once; a table waits only for the tables its checks read.

    Tables are submitted in dependency order, so every table a task waits for was submitted
    before it and is running or done: the pool cannot deadlock.
    """
    from concurrent.futures import ThreadPoolExecutor

    futures = {}

    def one(table: str, days: list[str], windows: dict[str, Window]):
        context = {dep: futures[dep].result()[0] for dep in spec.context_of(table) if dep in futures}
        staged = _detect_and_stage(spark, lake, spec, table, days, windows, context, refinements, staging)
        outcome = TableOutcome(table, days)
        _count_outcome(staged, outcome)
        log.info("detect %s: %s", table, outcome.reasons or "no findings")
        return staged, outcome

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="clean-detect") as pool:
        for table, (days, windows) in selected.items():
            futures[table] = pool.submit(one, table, days, windows)
        results = {table: future.result() for table, future in futures.items()}
    return {t: r[0] for t, r in results.items()}, {t: r[1] for t, r in results.items()}


def _ods_rows(spark, table: str, days: list[str]):
    in_days = ", ".join(f"'{d}'" for d in days)
    return spark.sql(f"SELECT * FROM ods.{table} WHERE dt IN ({in_days})")


def _detect_and_stage(spark, lake: Lake, spec, table, days, windows, staged, refinements, staging: str):
    """Annotate one table and write the result to the run's staging area; return the staged rows.

    Outlier statistics read the rows a second time, so a table with outlier rules is cached
    while it is annotated (and only then); every other table is annotated in one scan.
    Later stages read the staged Parquet.
    """
    from pyspark import StorageLevel

    rows = _ods_rows(spark, table, days)
    second_pass = any(rule.outlier for rule in spec.tables[table].columns.values())
    if second_pass:
        rows = rows.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        annotated = annotate(spark, spec, table, rows, windows, staged, refinements)
        uri = lake.uri(f"{staging}/{table}")
        annotated.write.mode("overwrite").parquet(uri)
    finally:
        if second_pass:
            rows.unpersist()
    return spark.read.parquet(uri)


def _batch(outcomes: dict[str, TableOutcome]) -> dict:
    values = list(outcomes.values())
    batch = {k: sum(getattr(o, k) for o in values) for k in ("rows_in", "dwd_rows", "quarantined", "merged")}
    batch["conservation_ok"] = batch["rows_in"] == batch["dwd_rows"] + batch["quarantined"] + batch["merged"]
    batch["scores_detected"] = batch_scores(values, "detected_by_dimension")
    batch["scores_after"] = batch_scores(values, "removed_by_dimension")
    return batch


QUARANTINE_COLUMNS = (
    "source_table STRING, reason STRING, findings ARRAY<STRING>, original STRING, _batch_id STRING, "
    "_source_file STRING, _line_no BIGINT, run_id STRING"
)
MERGE_COLUMNS = "source_table STRING, _line_no BIGINT, kept_line_no BIGINT, _batch_id STRING, _source_file STRING"


def ensure_cleaning_tables(spark, spec: CleaningSpec) -> None:
    for table, t in spec.tables.items():
        columns = ", ".join(f"`{c}` {SQL_TYPES[r.type]}" for c, r in t.columns.items())
        spark.sql(
            f"CREATE TABLE IF NOT EXISTS dwd.{table} ({columns}, _batch_id STRING, _source_file STRING, "
            "_line_no BIGINT, _repairs ARRAY<STRING>) PARTITIONED BY (dt STRING) STORED AS PARQUET"
        )
    spark.sql(
        f"CREATE TABLE IF NOT EXISTS dwd.quarantine ({QUARANTINE_COLUMNS}) "
        "PARTITIONED BY (dt STRING, table_name STRING) STORED AS PARQUET"
    )
    spark.sql(
        f"CREATE TABLE IF NOT EXISTS dwd.cleaning_merges ({MERGE_COLUMNS}) "
        "PARTITIONED BY (dt STRING, table_name STRING) STORED AS PARQUET"
    )


def write_outputs(spark, spec: CleaningSpec, table: str, annotated, outcome: TableOutcome, run_id: str) -> None:
    """Replace the days' DWD rows, quarantine and merges of one table (idempotent)."""
    from pyspark.sql import functions as F

    t = spec.tables[table]
    for day in outcome.days:
        # The inserts below replace every partition they write; one they will not write
        # (no rows for it this time) must not keep an earlier run's rows.
        counts = outcome.per_day.get(day, Counter())
        if not counts["dwd"]:
            spark.sql(f"ALTER TABLE dwd.{table} DROP IF EXISTS PARTITION (dt='{day}')")
        for target, name in (("quarantine", "quarantine"), ("merges", "cleaning_merges")):
            if not counts[target]:
                spark.sql(f"ALTER TABLE dwd.{name} DROP IF EXISTS PARTITION (dt='{day}', table_name='{table}')")

    dwd = annotated.where(F.col("_reason").isNull()).select(
        *[F.col(f"_v_{c}").cast(SQL_TYPES[r.type].lower()).alias(c) for c, r in t.columns.items()],
        "_batch_id",
        "_source_file",
        "_line_no",
        "_repairs",
        "dt",
    )
    dwd.write.insertInto(f"dwd.{table}", overwrite=True)

    original = F.coalesce(F.col("_raw_line"), F.to_json(F.struct(*[F.col(c) for c in t.columns])))
    quarantine = annotated.where(F.col("_reason").isNotNull() & (F.col("_reason") != "duplicate_row")).select(
        F.lit(table).alias("source_table"),
        F.col("_reason").alias("reason"),
        F.transform("_findings", lambda f: F.concat_ws(":", f["rule"], f["column"])).alias("findings"),
        original.alias("original"),
        "_batch_id",
        "_source_file",
        "_line_no",
        F.lit(run_id).alias("run_id"),
        "dt",
        F.lit(table).alias("table_name"),
    )
    quarantine.write.insertInto("dwd.quarantine", overwrite=True)
    merges = annotated.where(F.col("_reason") == "duplicate_row").select(
        F.lit(table).alias("source_table"),
        "_line_no",
        F.col("_first_line").alias("kept_line_no"),
        "_batch_id",
        "_source_file",
        "dt",
        F.lit(table).alias("table_name"),
    )
    merges.write.insertInto("dwd.cleaning_merges", overwrite=True)


def verify_conservation(spark, outcomes: dict[str, TableOutcome]) -> None:
    """Count what was written, every table in one query: each input row is in exactly one of DWD, quarantine, merges."""
    parts = []
    for table, outcome in outcomes.items():
        in_days = ", ".join(f"'{d}'" for d in outcome.days)
        parts += [
            f"SELECT '{table}' AS t, 'dwd' AS target, count(*) AS n FROM dwd.{table} WHERE dt IN ({in_days})",
            f"SELECT '{table}', 'quarantine', count(*) FROM dwd.quarantine "
            f"WHERE table_name = '{table}' AND dt IN ({in_days})",
            f"SELECT '{table}', 'merges', count(*) FROM dwd.cleaning_merges "
            f"WHERE table_name = '{table}' AND dt IN ({in_days})",
        ]
    written = {(t, target): n for t, target, n in spark.sql(" UNION ALL ".join(parts)).collect()}
    for table, outcome in outcomes.items():
        dwd, quarantined, merged = (written[(table, target)] for target in ("dwd", "quarantine", "merges"))
        if (dwd, quarantined, merged) != (outcome.dwd_rows, outcome.quarantined, outcome.merged) or (
            outcome.rows_in != dwd + quarantined + merged
        ):
            raise ConservationError(
                f"{table}: {outcome.rows_in} rows in, but written DWD {dwd} + quarantine {quarantined} + "
                f"merged {merged} (expected {outcome.dwd_rows} + {outcome.quarantined} + {outcome.merged})"
            )


def score_against_truth(context: dict, truth_defects: Path) -> dict:
    """Precision and recall of detection per injected defect type, against the simulator's log."""
    import csv

    from pyspark.sql import functions as F

    truth: dict[tuple[str, str, str, int], str] = {}
    with Path(truth_defects).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            truth[(f"shop_{row['entity']}", row["dt"], row["file"], int(row["line_no"]))] = row["defect"]
    detected: dict[tuple[str, str, str, int], str] = {}
    for table, frame in context.items():
        if not table.startswith("shop_"):
            continue
        found = frame.where(F.col("_reason").isNotNull()).select(
            "dt", F.element_at(F.split("_source_file", "/"), -1).alias("file"), "_line_no", "_reason"
        )
        for row in found.collect():
            kind = TRUTH_TYPE.get(row["_reason"], row["_reason"])
            detected[(table, row["dt"], row["file"], row["_line_no"])] = kind
    defects = {}
    for kind in sorted(set(truth.values()) | set(detected.values())):
        injected = {k for k, v in truth.items() if v == kind}
        found = {k for k, v in detected.items() if v == kind}
        hits = len(injected & found)
        defects[kind] = {
            "injected": len(injected),
            "detected": len(found),
            "true_positives": hits,
            "precision": hits / len(found) if found else (1.0 if not injected else 0.0),
            "recall": hits / len(injected) if injected else 1.0,
        }
    return {"file": str(truth_defects), "defects": defects}

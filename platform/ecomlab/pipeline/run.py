"""The main job: every stage of the platform in one process, with a summary of each.

Stages so far: generate (or import) -> land raw files -> load ODS tables -> clean (ODS ->
DWD, with quarantine and a quality report) -> indicators (DWD -> DWS -> ADS -> mart) -> export the
dashboards from the mart. Each stage
reports rows in, rows out and seconds; the run's report is written to the lake under
`runs/<run id>/report.json`.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ecomlab.progress import Advance, Progress
from ecomlab.settings import Settings
from ecomlab.sources.base import RawEntity
from ecomlab.sources.simulator import SimulationResult, SimulatorConfig, simulate
from ecomlab.sources.simulator import entities as shop
from ecomlab.storage.lake import Lake, lake_from_settings
from ecomlab.storage.raw_zone import RawZone


@dataclass
class StageReport:
    stage: str
    rows_in: int
    rows_out: int
    seconds: float
    detail: dict = field(default_factory=dict)


@dataclass
class RunReport:
    run_id: str
    profile: str
    stages: list[StageReport] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)


@contextmanager
def _stage(report: RunReport, name: str) -> Iterator[StageReport]:
    stage = StageReport(name, 0, 0, 0.0)
    started = time.perf_counter()
    yield stage
    stage.seconds = round(time.perf_counter() - started, 2)
    report.stages.append(stage)


@dataclass(frozen=True)
class Landed:
    rows: int
    stored: int
    already_there: int


def land_simulation(result: SimulationResult, lake: Lake, advance: Advance = lambda n: None) -> Landed:
    """Land every file of a simulator output in the raw zone (a batch already there is kept)."""
    zone = RawZone(lake)
    rows = stored = 0
    first, last = result.config.start.isoformat(), result.config.end.isoformat()
    for sim_file in result.files:
        entity = shop.BY_NAME[sim_file.entity]
        # A daily file covers its day; a snapshot describes the state over the whole window.
        window = (first, last) if entity.snapshot else (sim_file.dt, sim_file.dt)
        landing = zone.land(
            sim_file.path,
            entity,
            sim_file.dt,
            window=window,
            extra={"generator": "shop simulator", "seed": result.config.seed},
        )
        stored += landing.stored
        rows += landing.manifest.rows
        advance(1)
    return Landed(rows, stored, len(result.files) - stored)


@dataclass(frozen=True)
class ImportSource:
    """A public data file to import instead of simulating: kind (taobao, cdnow, baskets) and location."""

    kind: str
    location: str
    dt: str | None = None


def run_pipeline(
    settings: Settings,
    source: SimulatorConfig | ImportSource,
    progress: Progress | None = None,
    spark=None,
    crawl_demo_items: int | None = None,
) -> RunReport:
    """Generate (or import) data, land it in the raw zone and load it into ODS.

    With crawl_demo_items, a demo shop and a competitor with that many items are started on
    loopback, crawled, and their records land and are cleaned with the rest.
    """
    progress = progress or Progress()
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report = RunReport(run_id=run_id, profile=settings.profile)
    lake = lake_from_settings(settings)
    truth = None
    if isinstance(source, SimulatorConfig):
        plan = _shop_stages(report, settings, lake, source, progress)
        truth = Path(report.outputs["truth file"]).with_name("truth_defects.csv")
    else:
        plan = _import_stage(report, lake, source, progress)
    if crawl_demo_items:
        plan.update(_crawl_stage(report, settings, lake, crawl_demo_items, progress))
    spark = _load_ods_stage(report, settings, lake, plan, progress, spark)
    _clean_stage(report, settings, lake, plan, progress, spark, run_id, truth)
    dataset = "shop" if isinstance(source, SimulatorConfig) else source.kind
    datasets = [d for d in (dataset, "crawl") if _has_indicators(d, plan)]
    if datasets:
        _indicator_stage(report, settings, plan, progress, spark, datasets)
    _mine_stage(report, settings, plan, progress, spark, source)
    _dashboards_stage(report, settings, [dataset] + (["crawl"] if crawl_demo_items else []), progress)

    report.outputs["warehouse"] = settings.warehouse_root
    report.outputs["ODS tables"] = ", ".join(sorted(e.qualified_ods_table for e in plan))
    report_path = f"runs/{run_id}/report.json"
    lake.makedirs(f"runs/{run_id}")
    lake.write_bytes(report_path, report.to_json().encode())
    report.outputs["run report"] = lake.uri(report_path)
    return report


def _shop_stages(
    report: RunReport, settings: Settings, lake: Lake, sim: SimulatorConfig, progress: Progress
) -> dict[RawEntity, list[str]]:
    incoming = settings.home / "incoming" / "shop" / f"seed{sim.seed}-events{sim.events}-days{sim.days}"
    with _stage(report, "generate") as stage:
        with progress.task("generate shop data", total=sim.events, unit="events") as advance:
            result = simulate(sim, incoming, progress=advance)
        stage.rows_out = sum(f.rows for f in result.files)
        stage.detail = {"events": result.events, "files": len(result.files)}

    with _stage(report, "land raw") as stage:
        with progress.task("land raw files", total=len(result.files), unit="files") as advance:
            landed = land_simulation(result, lake, advance)
        stage.rows_in = stage.rows_out = landed.rows
        stage.detail = {"batches_stored": landed.stored, "batches_already_there": landed.already_there}

    report.outputs["incoming files"] = str(result.out_dir)
    report.outputs["truth file"] = str(result.truth_path)
    report.outputs["raw zone"] = lake.uri("raw/shop")
    days: dict[RawEntity, set[str]] = defaultdict(set)
    for sim_file in result.files:
        days[shop.BY_NAME[sim_file.entity]].add(sim_file.dt)
    return {entity: sorted(d) for entity, d in days.items()}


def _import_stage(
    report: RunReport, lake: Lake, source: ImportSource, progress: Progress
) -> dict[RawEntity, list[str]]:
    from ecomlab.sources.importers import import_file

    with _stage(report, f"import {source.kind}") as stage:
        with progress.task(f"check and land {source.kind} file", unit="bytes") as advance:
            result = import_file(source.kind, source.location, lake, dt=source.dt, progress=advance)
        stage.rows_in = result.validation.rows
        stage.rows_out = result.manifest.rows
        stage.detail = {"stored": result.stored, "malformed": result.validation.malformed, "dt": result.dt}
    report.outputs["raw batch"] = lake.uri(result.manifest.directory)
    return {result.entity: [result.dt]}


def _crawl_stage(
    report: RunReport, settings: Settings, lake: Lake, max_items: int, progress: Progress
) -> dict[RawEntity, list[str]]:
    from ecomlab.collection.service import crawl_sites, demo_shops

    with _stage(report, "crawl demo shop") as stage:
        with demo_shops(max_items) as sites:
            collected = crawl_sites(settings, lake, sites, progress)
        stage.rows_in = sum(o.pages_fetched for o in collected.outcomes)
        stage.rows_out = collected.records
        stage.detail = {"failures": collected.failures, "reports": [o.report_uri for o in collected.outcomes]}
    report.outputs["crawl raw zone"] = lake.uri("raw/crawl")
    return collected.plan


def _load_ods_stage(
    report: RunReport, settings: Settings, lake: Lake, plan: dict[RawEntity, list[str]], progress: Progress, spark
):
    with _stage(report, "load ODS") as stage:
        if spark is None:
            from ecomlab.warehouse.spark import create_spark

            spark = create_spark(settings, app_name="ecomlab-run")
        from ecomlab.warehouse.catalog import ensure_databases
        from ecomlab.warehouse.ods import load_many

        ensure_databases(spark, settings.warehouse_root)
        with progress.task("load ODS tables", total=len(plan), unit="tables") as advance:
            loaded = load_many(spark, lake, plan, advance)
        malformed = {}
        for entity, loads in loaded.items():
            stage.rows_in += sum(load.rows_in for load in loads)
            stage.rows_out += sum(load.rows_out for load in loads)
            malformed[entity.qualified_ods_table] = sum(load.malformed for load in loads)
        stage.detail = {"tables": len(plan), "malformed_lines_kept": malformed}
    return spark


def _clean_stage(
    report: RunReport,
    settings: Settings,
    lake: Lake,
    plan: dict[RawEntity, list[str]],
    progress: Progress,
    spark,
    run_id: str,
    truth: Path | None,
) -> None:
    from ecomlab.cleaning.engine import clean
    from ecomlab.mart import Mart

    tables = [entity.ods_table for entity in plan]
    days = sorted({day for entity_days in plan.values() for day in entity_days})
    mart = Mart.from_settings(settings)
    with _stage(report, "clean (ods -> dwd)") as stage:
        try:
            with progress.task("clean tables", total=len(tables), unit="tables") as advance:
                result = clean(
                    spark,
                    lake,
                    tables=tables,
                    days=days,
                    run_id=run_id,
                    truth_defects=truth,
                    advance=advance,
                    mart=mart,
                )
        finally:
            mart.dispose()
        batch = result.report["batch"]
        stage.rows_in, stage.rows_out = batch["rows_in"], batch["dwd_rows"]
        stage.detail = {"quarantined": batch["quarantined"], "merged_duplicates": batch["merged"]}
    report.outputs["quality report"] = result.report_uris["html"]


def _dashboards_stage(report: RunReport, settings: Settings, datasets: list[str], progress: Progress) -> None:
    from ecomlab.dashboards.stage import export_for_run

    with _stage(report, "export dashboards") as stage:
        result = export_for_run(settings, datasets, progress)
        stage.rows_out = len(result.pages)
        stage.detail = {"datasets": result.datasets, "empty_panels": result.empty_panels}
    report.outputs["dashboards"] = str(result.index)


def _has_indicators(dataset: str, plan: dict[RawEntity, list[str]]) -> bool:
    from ecomlab.indicators.dws import ADAPTERS

    return dataset in ADAPTERS and any(e.ods_table in ADAPTERS[dataset].tables for e in plan)


def _indicator_stage(
    report: RunReport,
    settings: Settings,
    plan: dict[RawEntity, list[str]],
    progress: Progress,
    spark,
    datasets: list[str],
) -> None:
    from ecomlab.indicators.stage import event_days, run_indicators
    from ecomlab.mart import Mart

    with _stage(report, "indicators (dwd -> ads -> mart)") as stage:
        mart = Mart.from_settings(settings)
        try:
            for dataset in datasets:
                # The days this run loaded; for an import, the days its records cover.
                loaded = sorted({d for e, days in plan.items() if e.ods_table.startswith(dataset) for d in days})
                days = loaded if dataset in ("shop", "crawl") and loaded else event_days(spark, dataset)
                with progress.task(f"build {dataset} indicators", total=3, unit="steps") as advance:
                    result = run_indicators(spark, mart, dataset, days, advance)
                stage.rows_in += len(result.days)
                stage.rows_out += result.rows
                stage.detail[dataset] = {
                    "days": len(result.days),
                    "indicators": result.indicators,
                    "null_with_reason": result.nulls,
                }
        finally:
            mart.dispose()
    report.outputs["indicators"] = f"ads.indicator_daily and the mart's indicator_daily ({', '.join(datasets)})"


def _mine_stage(report: RunReport, settings: Settings, plan, progress: Progress, spark, source) -> None:
    from ecomlab.mining.stage import mine

    days = sorted({day for entity_days in plan.values() for day in entity_days})
    kind = "shop" if isinstance(source, SimulatorConfig) else source.kind
    with _stage(report, "mine") as stage:
        result = mine(spark, settings, kind, days, progress)
        stage.rows_out = result.rows
        stage.detail = result.detail
    report.outputs["mining results"] = "ads.mining_*, and the mart's mining_* and realtime_minute tables"


def summary_rows(report: RunReport) -> list[tuple[str, str, str, str]]:
    """The summary table's rows: stage, rows in, rows out, seconds."""
    return [(s.stage, f"{s.rows_in:,}", f"{s.rows_out:,}", f"{s.seconds:.1f}") for s in report.stages]

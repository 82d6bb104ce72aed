"""The Python work of the stages that do not run on Spark: land data, crawl, mark a chain done or failed.

Each function takes the settings and returns a Scope; each is idempotent for its data
interval (the simulator rewrites its folder, landing stores a batch once, the marker
is replaced).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import UTC, datetime

from ecomlab.orchestration.params import RunParams
from ecomlab.orchestration.scope import RUNS_DIR, Scope, interval_key, write_plan
from ecomlab.settings import Settings
from ecomlab.storage.lake import lake_from_settings

log = logging.getLogger(__name__)


def land_source(settings: Settings, params: RunParams, chain: str) -> Scope:
    """Simulate the shop (or check a public data file) and land the files in the raw zone."""
    if params.source == "shop":
        return _land_simulation(settings, params, chain)
    return _land_import(settings, params, chain)


def _land_simulation(settings: Settings, params: RunParams, chain: str) -> Scope:
    from ecomlab.pipeline.run import land_simulation
    from ecomlab.sources.simulator import SimulatorConfig, simulate
    from ecomlab.sources.simulator import entities as shop

    config = SimulatorConfig(events=params.events, days=len(params.days), start=params.first_day, seed=params.seed)
    # One folder per interval and scale: a re-run rewrites the same bytes (the simulator is seeded).
    name = f"{interval_key(params.days)}-seed{config.seed}-events{config.events}"
    result = simulate(config, settings.home / "incoming" / "shop" / name)
    lake = lake_from_settings(settings)
    landed = land_simulation(result, lake)
    log.info("landed %d rows in %d batches (%d already there)", landed.rows, landed.stored, landed.already_there)
    plan: dict[str, set[str]] = defaultdict(set)
    for sim_file in result.files:
        plan[sim_file.entity].add(sim_file.dt)
    folder = Scope("shop", params.days, chain).folder
    path = write_plan(lake, folder, "shop", {entity: sorted(days) for entity, days in plan.items()})
    tables = sorted(shop.BY_NAME[entity].ods_table for entity in plan)
    return Scope("shop", params.days, chain, tables=tables, plan=path, truth=str(result.defects_path))


def _land_import(settings: Settings, params: RunParams, chain: str) -> Scope:
    from ecomlab.sources.importers import import_file

    lake = lake_from_settings(settings)
    dt = params.end.isoformat() if params.end else None
    result = import_file(params.source, params.input, lake, dt=dt)
    log.info(
        "%s: %d rows, %d malformed; %s as batch %s for %s",
        result.validation.file,
        result.validation.rows,
        result.validation.malformed,
        "landed" if result.stored else "already landed",
        result.manifest.batch_id,
        result.dt,
    )
    folder = Scope(params.source, [result.dt], chain).folder
    path = write_plan(lake, folder, result.entity.source, {result.entity.name: [result.dt]})
    return Scope(params.source, [result.dt], chain, tables=[result.entity.ods_table], plan=path)


def collect_demo_shop(settings: Settings, max_items: int, chain: str) -> Scope | None:
    """Crawl the demo shop and a competitor (started on loopback) and land the records.

    Returns None when nothing was landed.
    """
    from ecomlab.collection.service import crawl_sites, demo_shops

    lake = lake_from_settings(settings)
    with demo_shops(max_items) as sites:
        collected = crawl_sites(settings, lake, sites)
    log.info("crawled %d records, %d pages failed", collected.records, collected.failures)
    plan = {entity.name: days for entity, days in collected.plan.items()}
    if not plan:
        return None
    days = sorted({day for entity_days in plan.values() for day in entity_days})
    path = write_plan(lake, Scope("crawl", days, chain).folder, "crawl", plan)
    tables = sorted(entity.ods_table for entity in collected.plan)
    return Scope("crawl", days, chain, tables=tables, plan=path)


def chain_marker(chain: str, dataset: str, name: str) -> str:
    """Lake path of a chain's marker for a data set: `done`, `failed`, or the asset a stage published."""
    return f"{RUNS_DIR}/chains/{chain}/{dataset}.{name}.json"


def done_marker(chain: str, dataset: str) -> str:
    """Lake path of the marker that a chain's last stage writes for a data set."""
    return chain_marker(chain, dataset, "done")


def failure_marker(chain: str, dataset: str) -> str:
    """Lake path of the marker that a stage's failed task writes for a data set of its chain."""
    return chain_marker(chain, dataset, "failed")


def _write_marker(settings: Settings, path: str, body: dict) -> str:
    lake = lake_from_settings(settings)
    lake.makedirs(path.rsplit("/", 1)[0])
    lake.write_bytes(path, json.dumps(body, indent=2).encode())
    return path


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ChainFailed(RuntimeError):
    """A stage of the chain failed for good: nothing after it will run for that data set."""


def mark_stage(settings: Settings, scope: Scope, stage: str) -> str:
    """Record that `stage` (the asset it updates) has finished for the scope's data set and chain."""
    path = chain_marker(scope.chain, scope.dataset, stage)
    return _write_marker(settings, path, dict(scope.to_dict(), stage=stage, finished=_now()))


def stages_missing(settings: Settings, scope: Scope, stages: list[str]) -> list[str]:
    """Which of these stages have not yet finished for the scope's data set and chain."""
    lake = lake_from_settings(settings)
    return [stage for stage in stages if not lake.exists(chain_marker(scope.chain, scope.dataset, stage))]


def mark_done(settings: Settings, scope: Scope) -> str:
    """Record that every stage of a data set's chain has finished; returns the marker's path.

    A failure recorded earlier in the chain is removed: the stage was cleared and ran again.
    """
    path = _write_marker(settings, done_marker(scope.chain, scope.dataset), dict(scope.to_dict(), finished=_now()))
    lake_from_settings(settings).delete(failure_marker(scope.chain, scope.dataset))
    return path


def mark_failed(settings: Settings, scope: Scope, where: str, error: str) -> str:
    """Record that a stage's task failed for good for a data set of the chain; returns the marker's path."""
    body = {"chain": scope.chain, "dataset": scope.dataset, "where": where, "error": error, "failed": _now()}
    return _write_marker(settings, failure_marker(scope.chain, scope.dataset), body)


def chain_finished(settings: Settings, chain: str, datasets: list[str]) -> bool:
    """Whether the chain's last stage has marked every one of these data sets done.

    Raises ChainFailed, naming the task and its error, when a stage failed for a data set
    that is not done: waiting longer would not change the outcome.
    """
    lake = lake_from_settings(settings)
    pending = [dataset for dataset in datasets if not lake.exists(done_marker(chain, dataset))]
    failures = [
        json.loads(lake.read_bytes(failure_marker(chain, dataset)))
        for dataset in pending
        if lake.exists(failure_marker(chain, dataset))
    ]
    if failures:
        raise ChainFailed(
            "; ".join(f"{f['dataset']}: {f['where']} failed at {f['failed']}: {f['error']}" for f in failures)
        )
    return not pending


def scope_from_params(params, chain: str) -> Scope:
    """The scope of a stage DAG run by hand: a data set's ODS tables (all, or the named ones) and days."""
    from ecomlab.sources.registry import entities_of

    known = [entity.ods_table for entity in entities_of(params.dataset)]
    unknown = [table for table in params.tables if table not in known]
    if unknown:
        raise ValueError(f"tables: {unknown} are not ODS tables of {params.dataset}; known: {', '.join(known)}")
    return Scope(params.dataset, params.days, chain, tables=list(params.tables) or known)

"""The `ecomlab` command line."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ecomlab.mining.cli import mine_app
from ecomlab.settings import ConfigError, Settings, load_settings

app = typer.Typer(
    help="ecomlab: e-commerce big-data analysis on Spark and Hive.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
config_app = typer.Typer(help="Show or check the configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")
shop_app = typer.Typer(help="The demo web shop that labs and tests crawl.", no_args_is_help=True)
app.add_typer(shop_app, name="shop")
dashboard_app = typer.Typer(help="ECharts dashboards over the results mart.", no_args_is_help=True)
app.add_typer(dashboard_app, name="dashboard")
app.add_typer(mine_app, name="mine")
console = Console()
err = Console(stderr=True)

ProfileOption = Annotated[
    str | None,
    typer.Option("--profile", "-p", help="embedded, local or cluster (default: $ECOMLAB_PROFILE or embedded)."),
]


@app.callback()
def main(profile: ProfileOption = None, verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    if profile:
        os.environ["ECOMLAB_PROFILE"] = profile
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("py4j").setLevel(logging.WARNING)
    logging.getLogger("distributed").setLevel(logging.WARNING)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        err.print(f"[red]configuration error[/red]: {exc}", highlight=False)
        raise typer.Exit(2) from None


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error[/red]: {message}", highlight=False)
    return typer.Exit(1)


def _progress():
    from ecomlab.progress import default_progress

    return default_progress()


def _sim_config(events: int, days: int, start: str, seed: int, defect_rate: float, clean: bool):
    from ecomlab.sources.simulator import SimulatorConfig, SimulatorError

    try:
        return SimulatorConfig(
            events=events,
            days=days,
            start=date.fromisoformat(start),
            seed=seed,
            defect_rate=defect_rate,
            dirty=not clean,
        )
    except (SimulatorError, ValueError) as exc:
        raise _fail(str(exc)) from None


EventsOption = Annotated[int, typer.Option(help="Clickstream events to simulate (10 thousand to 100 million).")]
DaysOption = Annotated[int, typer.Option(help="Days to simulate.")]
StartOption = Annotated[str, typer.Option(help="First simulated day (YYYY-MM-DD).")]
SeedOption = Annotated[int, typer.Option(help="Random seed: the same seed gives the same bytes.")]
DefectOption = Annotated[float, typer.Option(help="Share of rows given a defect, per defect type.")]
CleanOption = Annotated[bool, typer.Option("--clean", help="Inject no dirty data.")]


@app.command()
def run(
    events: EventsOption = 100_000,
    days: DaysOption = 7,
    start: StartOption = "2026-11-01",
    seed: SeedOption = 20261101,
    defect_rate: DefectOption = 0.002,
    clean: CleanOption = False,
    source: Annotated[
        str, typer.Option(help="shop (simulated), or a public data file: taobao, cdnow or baskets.")
    ] = "shop",
    input_location: Annotated[
        str | None, typer.Option("--input", help="Path or URI of the file, for taobao, cdnow or baskets.")
    ] = None,
    dt: Annotated[str | None, typer.Option(help="Day to land an imported file for.")] = None,
    crawl: Annotated[
        bool, typer.Option("--crawl/--no-crawl", help="Also crawl a small demo shop and a competitor.")
    ] = True,
) -> None:
    """Run the whole pipeline in one process and print a summary of every stage."""
    from ecomlab.pipeline.run import ImportSource, run_pipeline, summary_rows
    from ecomlab.sources.fetch import FetchError
    from ecomlab.sources.importers import KINDS, InputFormatError, UnsupportedLocationError

    settings = _settings()
    if source == "shop":
        chosen = _sim_config(events, days, start, seed, defect_rate, clean)
    elif source in KINDS:
        if not input_location:
            raise _fail(f"--input: give the path or URI of the {source} file")
        chosen = ImportSource(source, input_location, dt)
    else:
        raise _fail(f"--source must be shop, {', '.join(KINDS)}; got {source!r}")
    try:
        report = run_pipeline(settings, chosen, _progress(), crawl_demo_items=24 if crawl else None)
    except (InputFormatError, UnsupportedLocationError, FetchError, FileNotFoundError) as exc:
        raise _fail(str(exc)) from None
    table = Table(title=f"ecomlab run {report.run_id} ({report.profile} profile)", min_width=64)
    for column in ("stage", "rows in", "rows out", "seconds"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for row in summary_rows(report):
        table.add_row(*row)
    console.print(table)
    for name, where in report.outputs.items():
        console.print(f"[bold]{name}[/bold]: {where}", highlight=False, soft_wrap=True)
    tables = report.outputs["ODS tables"].split(", ")
    example = "ods.shop_events" if "ods.shop_events" in tables else tables[0]
    console.print(f'Query it: ecomlab sql "SELECT dt, count(*) FROM {example} GROUP BY dt ORDER BY dt"', soft_wrap=True)
    console.print(f"Open the dashboards: {report.outputs['dashboards']}", highlight=False, soft_wrap=True)


@app.command("simulate")
def simulate_command(
    out: Annotated[Path, typer.Argument(help="Directory to write (replaced if it exists).")],
    events: EventsOption = 100_000,
    days: DaysOption = 7,
    start: StartOption = "2026-11-01",
    seed: SeedOption = 20261101,
    defect_rate: DefectOption = 0.002,
    clean: CleanOption = False,
) -> None:
    """Generate shop data (CSV files, truth.json, truth_defects.csv) without landing it."""
    from ecomlab.sources.simulator import simulate

    config = _sim_config(events, days, start, seed, defect_rate, clean)
    with _progress().task("generate shop data", total=config.events, unit="events") as advance:
        result = simulate(config, out, progress=advance)
    console.print(
        f"{result.events:,} events, {sum(f.rows for f in result.files):,} rows in "
        f"{len(result.files)} files under {result.out_dir}"
    )
    console.print(f"truth: {result.truth_path}")


@app.command()
def land(
    directory: Annotated[Path, typer.Argument(help="Output directory of `ecomlab simulate`.")],
) -> None:
    """Land the files of a simulator run in the raw zone, as received, with manifests."""
    from ecomlab.pipeline.run import land_simulation
    from ecomlab.sources.simulator import SimulatorError, read_simulation
    from ecomlab.storage.lake import lake_from_settings

    try:
        result = read_simulation(directory)
    except SimulatorError as exc:
        raise _fail(str(exc)) from None
    lake = lake_from_settings(_settings())
    with _progress().task("land raw files", total=len(result.files), unit="files") as advance:
        landed = land_simulation(result, lake, advance)
    console.print(
        f"{landed.rows:,} rows: {landed.stored} batches stored, {landed.already_there} already there, "
        f"under {lake.uri('raw/shop')}"
    )


@app.command("import")
def import_command(
    kind: Annotated[str, typer.Argument(help="taobao, cdnow or baskets.")],
    location: Annotated[str, typer.Argument(help="Path or file:// URI of the file.")],
    dt: Annotated[str | None, typer.Option(help="Day to land the batch for (default: the data's last day).")] = None,
) -> None:
    """Check a public data file, land it in the raw zone as received, and load its ODS partition."""
    from ecomlab.sources.fetch import FetchError
    from ecomlab.sources.importers import InputFormatError, UnsupportedLocationError, import_file
    from ecomlab.storage.lake import lake_from_settings
    from ecomlab.warehouse.catalog import ensure_databases
    from ecomlab.warehouse.ods import load_ods
    from ecomlab.warehouse.spark import create_spark

    settings = _settings()
    lake = lake_from_settings(settings)
    try:
        size = (
            Path(location.removeprefix("file://")).stat().st_size
            if "://" not in location or location.startswith("file://")
            else None
        )
        with _progress().task(f"check {kind} file", total=size, unit="bytes") as advance:
            result = import_file(kind, location, lake, dt=dt, progress=advance)
    except (InputFormatError, UnsupportedLocationError, FetchError, FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from None
    v = result.validation
    console.print(
        f"{v.file}: {v.rows:,} rows, {v.malformed:,} malformed, days {v.first_day} .. {v.last_day}, "
        f"users {v.users if v.users is not None else '-'}; "
        f"{'landed' if result.stored else 'already landed'} as batch {result.manifest.batch_id}"
    )
    spark = create_spark(settings, app_name=f"ecomlab-import-{kind}")
    ensure_databases(spark, settings.warehouse_root)
    for load in load_ods(spark, lake, result.entity, result.dt):
        console.print(f"{load.table} dt={load.dt}: {load.rows_out:,} rows ({load.malformed:,} malformed kept)")


@app.command("clean")
def clean_command(
    table: Annotated[list[str] | None, typer.Option(help="ODS table (repeatable; default: all in the spec).")] = None,
    dt: Annotated[list[str] | None, typer.Option(help="Day YYYY-MM-DD (repeatable; default: all landed).")] = None,
    truth: Annotated[Path | None, typer.Option(help="Simulator truth_defects.csv, to score detection.")] = None,
) -> None:
    """Clean ODS tables into DWD: profile, detect, assess, correct, output, with a quality gate."""
    from ecomlab.cleaning.engine import QualityGateError, clean
    from ecomlab.mart import Mart
    from ecomlab.storage.lake import lake_from_settings
    from ecomlab.warehouse.catalog import ensure_databases
    from ecomlab.warehouse.spark import create_spark

    settings = _settings()
    lake = lake_from_settings(settings)
    spark = create_spark(settings, app_name="ecomlab-clean")
    ensure_databases(spark, settings.warehouse_root)
    mart = Mart.from_settings(settings)
    try:
        with _progress().task("clean tables", unit="tables") as advance:
            result = clean(
                spark, lake, tables=table or None, days=dt or None, truth_defects=truth, advance=advance, mart=mart
            )
    except QualityGateError as exc:
        raise _fail(str(exc)) from None
    finally:
        mart.dispose()
    batch = result.report["batch"]
    console.print(
        f"{batch['rows_in']:,} rows: {batch['dwd_rows']:,} to DWD, {batch['quarantined']:,} quarantined, "
        f"{batch['merged']:,} duplicates merged"
    )
    console.print(f"quality report: {result.report_uris['html']}", soft_wrap=True)


@app.command()
def collect(
    url: Annotated[
        list[str] | None, typer.Option(help="Site to crawl (repeatable; default: start the demo shop).")
    ] = None,
    competitor: Annotated[list[str] | None, typer.Option(help="Competitor site to crawl (repeatable).")] = None,
    kind: Annotated[str, typer.Option(help="static, dynamic or both.")] = "static",
    max_items: Annotated[int | None, typer.Option(help="Product pages per site at most.")] = 48,
    workers: Annotated[int | None, typer.Option(help="Dask workers (default: collection.dask_workers).")] = None,
    faults: Annotated[str, typer.Option(help="Demo shop faults, e.g. transient_rate=0.2,slow_ms=50.")] = "",
    load: Annotated[bool, typer.Option("--load/--no-load", help="Load the landed batches into ODS.")] = True,
) -> None:
    """Crawl sites (default: the demo shop and a competitor on loopback), land the records, load ODS."""
    from contextlib import nullcontext

    from ecomlab.collection.crawl.policy import CrawlPolicy
    from ecomlab.collection.crawler import SiteSpec, guard_refusal
    from ecomlab.collection.dynamic.supervisor import DynamicCrawlerUnavailable
    from ecomlab.collection.service import crawl_sites, demo_shops, load_collected
    from ecomlab.collection.shop.faults import Faults
    from ecomlab.coordination import LockBusyError
    from ecomlab.storage.lake import lake_from_settings

    settings = _settings()
    if kind not in ("static", "dynamic", "both"):
        raise _fail(f"--kind must be static, dynamic or both, got {kind!r}")
    kinds = ("static", "dynamic") if kind == "both" else (kind,)
    try:
        shop_faults = Faults.from_query(faults)
    except ValueError as exc:
        raise _fail(f"--faults: {exc}") from None
    policy = CrawlPolicy.from_settings(settings.collection)
    given = [SiteSpec(u, role="own", max_items=max_items) for u in url or []]
    given += [SiteSpec(u, role="competitor", max_items=max_items) for u in competitor or []]
    for site in given:
        if (reason := guard_refusal(policy, site.url)) is not None:
            raise _fail(reason)
    lake = lake_from_settings(settings)
    with demo_shops(max_items, shop_faults) if not given else nullcontext(given) as sites:
        targets = [SiteSpec(s.url, s.role, k, s.max_items, s.name) for s in sites for k in kinds]
        try:
            collected = crawl_sites(settings, lake, targets, _progress(), workers)
        except (LockBusyError, DynamicCrawlerUnavailable, ConnectionError) as exc:
            raise _fail(str(exc)) from None
    table = Table("site", "crawler", "pages", "records", "failed", "resumed", "seconds")
    for o in collected.outcomes:
        table.add_row(
            o.site,
            o.kind,
            str(o.pages_fetched),
            str(sum(o.records.values())),
            str(len(o.failures)),
            "yes" if o.resumed else "no",
            f"{o.seconds:.1f}",
        )
    console.print(table)
    for o in collected.outcomes:
        console.print(f"crawl report: {o.report_uri}", soft_wrap=True)
    if load and collected.plan:
        from ecomlab.warehouse.catalog import ensure_databases
        from ecomlab.warehouse.spark import create_spark

        spark = create_spark(settings, app_name="ecomlab-collect")
        ensure_databases(spark, settings.warehouse_root)
        with _progress().task("load ODS tables", total=len(collected.plan), unit="tables") as advance:
            loaded = load_collected(spark, lake, collected, advance)
        for loads in loaded.values():
            for one in loads:
                console.print(f"{one.table} dt={one.dt}: {one.rows_out:,} rows ({one.malformed:,} malformed kept)")


@shop_app.command("serve")
def shop_serve(
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 8800,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback unless --allow-public).")] = "127.0.0.1",
    allow_public: Annotated[bool, typer.Option("--allow-public", help="Allow a non-loopback --host.")] = False,
    competitor: Annotated[int | None, typer.Option(help="Play rival site N (0-3) with its own prices.")] = None,
    max_items: Annotated[int | None, typer.Option(help="Items to sell at most (default: the whole catalog).")] = None,
    faults: Annotated[
        str, typer.Option(help="Faults, e.g. transient_rate=0.2,slow_ms=50 (or POST /admin/faults).")
    ] = "",
) -> None:
    """Serve the demo shop until interrupted."""
    import time

    from ecomlab.collection.shop.catalog import build_catalog
    from ecomlab.collection.shop.faults import Faults
    from ecomlab.collection.shop.server import start_shop

    try:
        shop_faults = Faults.from_query(faults)
        shop = start_shop(
            build_catalog(max_items=max_items, competitor=competitor), shop_faults, host, port, allow_public
        )
    except (ValueError, RuntimeError) as exc:
        raise _fail(str(exc)) from None
    console.print(f"{shop.catalog.site}: {len(shop.catalog.items)} items at {shop.url} (Ctrl-C stops)", highlight=False)
    print(f"listening {shop.url}", flush=True)
    try:
        while shop.thread.is_alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        shop.stop()


def _dashboard_inputs(catalog: Path | None):
    from ecomlab.dashboards.catalog import CatalogError, load_labels
    from ecomlab.mart import Mart

    try:
        labels = load_labels(catalog)
    except CatalogError as exc:
        raise _fail(str(exc)) from None
    return Mart.from_settings(_settings()), labels


CatalogOption = Annotated[Path | None, typer.Option(help="Indicator catalog YAML (default: the platform's catalog).")]


@dashboard_app.command("export")
def dashboard_export(
    out: Annotated[Path, typer.Argument(help="Directory to write (a previous export there is replaced).")],
    start: Annotated[str | None, typer.Option(help="First day to show (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option(help="Last day to show (YYYY-MM-DD).")] = None,
    dataset: Annotated[list[str] | None, typer.Option(help="Data set to export (repeatable; default: all).")] = None,
    catalog: CatalogOption = None,
) -> None:
    """Write every dashboard as static HTML that opens from disk, with ECharts alongside."""
    from ecomlab.dashboards.assets import AssetsMissing
    from ecomlab.dashboards.export import ExportError, export_dashboards
    from ecomlab.dashboards.filters import FilterError, parse_filters

    mart, labels = _dashboard_inputs(catalog)
    try:
        filters = parse_filters([(k, v) for k, v in (("start", start), ("end", end)) if v])
        with _progress().task("export dashboards", unit="pages") as advance:
            result = export_dashboards(mart, out, labels, filters, only=dataset, advance=advance)
    except (FilterError, ExportError, AssetsMissing) as exc:
        raise _fail(str(exc)) from None
    console.print(f"{len(result.pages)} pages for {', '.join(result.datasets) or 'no data set'}", highlight=False)
    console.print(f"dashboards: {result.index}", highlight=False, soft_wrap=True)


@dashboard_app.command("serve")
def dashboard_serve(
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 8050,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback unless --allow-public).")] = "127.0.0.1",
    allow_public: Annotated[bool, typer.Option("--allow-public", help="Allow a non-loopback --host.")] = False,
    catalog: CatalogOption = None,
) -> None:
    """Serve the dashboards live from the results mart until interrupted."""
    import time

    from ecomlab.dashboards.assets import AssetsMissing
    from ecomlab.dashboards.server import create_app, start_server

    mart, labels = _dashboard_inputs(catalog)
    try:
        running = start_server(create_app(mart, labels), host, port, allow_public)
    except (ValueError, RuntimeError, AssetsMissing) as exc:
        raise _fail(str(exc)) from None
    console.print(f"dashboards at {running.url}/ (Ctrl-C stops)", highlight=False)
    print(f"listening {running.url}", flush=True)
    try:
        while running.thread.is_alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="A Spark SQL statement.")],
    limit: Annotated[int, typer.Option(help="Rows to show at most.")] = 100,
    output: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Run Spark SQL against the warehouse and print the result."""
    from ecomlab.warehouse.spark import create_spark

    if output not in ("table", "csv", "json"):
        raise _fail(f"--format must be table, csv or json, got {output!r}")
    spark = create_spark(_settings(), app_name="ecomlab-sql")
    try:
        frame = spark.sql(query)
        rows = frame.limit(limit).collect()
    except Exception as exc:  # Spark raises its own exception types with a readable message
        raise _fail(str(exc).splitlines()[0]) from None
    columns = frame.columns
    if output == "json":
        for row in rows:
            print(json.dumps(row.asDict(), default=str))
    elif output == "csv":
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows([list(r) for r in rows])
    else:
        table = Table()
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*("NULL" if v is None else str(v) for v in row))
        console.print(table)
        console.print(f"{len(rows)} row(s)" + (f" (limited to {limit})" if len(rows) == limit else ""))


@app.command()
def indicators(
    day: Annotated[str, typer.Option("--date", help="Day YYYY-MM-DD.")],
    category: Annotated[str | None, typer.Option(help="Only this category (overall, traffic, ...).")] = None,
    dataset: Annotated[str, typer.Option(help="shop, taobao or cdnow.")] = "shop",
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Build the day again even if the mart has it.")] = False,
) -> None:
    """Print a day's indicator values (built from DWD with Spark when the mart lacks the day)."""
    from ecomlab.indicators.view import show_day

    try:
        date.fromisoformat(day)
    except ValueError:
        raise _fail(f"--date must be YYYY-MM-DD, got {day!r}") from None
    try:
        show_day(_settings(), console, day, dataset, category, rebuild, _progress())
    except ValueError as exc:
        raise _fail(str(exc)) from None


@app.command()
def tables() -> None:
    """List the warehouse's tables, layer by layer."""
    from ecomlab.warehouse.catalog import LAYERS, ensure_databases
    from ecomlab.warehouse.spark import create_spark

    settings = _settings()
    spark = create_spark(settings, app_name="ecomlab-tables")
    ensure_databases(spark, settings.warehouse_root)
    table = Table("database", "table", "partitions")
    for database in LAYERS:
        for t in spark.catalog.listTables(database):
            parts = spark.sql(f"SHOW PARTITIONS {database}.{t.name}").count()
            table.add_row(database, t.name, str(parts))
    console.print(table)


@config_app.command("show")
def config_show() -> None:
    """Print the effective configuration (passwords hidden)."""
    console.print_json(json.dumps(_settings().redacted()))


@config_app.command("check")
def config_check() -> None:
    """Check the configuration; exit 2 with the wrong keys named when it is not valid."""
    settings = _settings()
    console.print(f"configuration of the {settings.profile} profile is valid")


# The local platform: up, down, status, logs.
from ecomlab.services.commands import register as _register_platform  # noqa: E402

_register_platform(app)

if __name__ == "__main__":
    app()

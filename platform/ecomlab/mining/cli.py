"""`ecomlab mine ...`: each mining method on its own, from a file or from the warehouse."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

mine_app = typer.Typer(help="Mining: rules, behaviour, recommendation, segments, lifetime value, streaming.")
console = Console()
err = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error[/red]: {message}", highlight=False)
    return typer.Exit(1)


def _spark(app_name: str):
    from ecomlab.cli import _settings
    from ecomlab.warehouse.catalog import ensure_databases
    from ecomlab.warehouse.spark import create_spark

    settings = _settings()
    spark = create_spark(settings, app_name=app_name)
    ensure_databases(spark, settings.warehouse_root)
    return settings, spark


@mine_app.command("rules")
def rules_command(
    input_file: Annotated[
        Path, typer.Option("--input", help="Basket file: one transaction per line, items comma-separated.")
    ],
    min_support: Annotated[float, typer.Option(help="Minimum support (share of transactions).")] = 0.01,
    min_confidence: Annotated[float, typer.Option(help="Minimum confidence.")] = 0.2,
    top: Annotated[int, typer.Option(help="How many rules to print.")] = 10,
) -> None:
    """Association rules (FPGrowth) over a basket file: rule count and the top rules by lift."""
    from ecomlab.mining.rules import RuleParams, RulesError, mine_rules, read_basket_file

    try:
        params = RuleParams(min_support, min_confidence)
        if not input_file.is_file():
            raise RulesError(f"--input: {input_file}: no such basket file")
        _, spark = _spark("ecomlab-mine-rules")
        result = mine_rules(read_basket_file(spark, input_file), params)
    except RulesError as exc:
        raise _fail(str(exc)) from None
    console.print(
        f"{result.transactions:,} transactions, {result.frequent_itemsets:,} frequent itemsets, "
        f"{len(result.rules):,} rules (min support {min_support}, min confidence {min_confidence})"
    )
    table = Table(title=f"top {min(top, len(result.rules))} rules by lift")
    for column in ("rank", "antecedent", "consequent", "support", "confidence", "lift", "conviction"):
        table.add_column(column, justify="left" if column in ("antecedent", "consequent") else "right")
    for row in result.rules.head(top).itertuples():
        table.add_row(
            str(row.rank),
            row.antecedent,
            row.consequent,
            f"{row.support:.4f}",
            f"{row.confidence:.3f}",
            f"{row.lift:.3f}",
            f"{row.conviction:.3f}",
        )
    console.print(table)


@mine_app.command("clv")
def clv_command(
    input_file: Annotated[
        Path, typer.Option("--input", help="Transactions: CDNOW layout, or CSV with customer_id,date,value.")
    ],
    calibration_end: Annotated[str, typer.Option(help="Last day of the calibration period, YYYY-MM-DD.")],
    horizon_weeks: Annotated[float, typer.Option(help="Weeks ahead for expected purchases and value.")] = 52.0,
    top: Annotated[int, typer.Option(help="How many customers (highest expected value) to print.")] = 5,
    min_repeat_customers: Annotated[
        int, typer.Option(help="Fewest customers with repeat purchases a model is fitted on (else it is skipped).")
    ] = 10,
) -> None:
    """Customer lifetime value: BG/NBD and Gamma-Gamma fitted by maximum likelihood."""
    from ecomlab.mining import clv

    try:
        end = date.fromisoformat(calibration_end)
    except ValueError:
        raise _fail(f"--calibration-end: not a date YYYY-MM-DD: {calibration_end!r}") from None
    try:
        summary = clv.summarise(clv.read_transactions(input_file), end)
        model = clv.fit(summary, min_repeat_customers)
    except clv.ClvError as exc:
        raise _fail(str(exc)) from None
    console.print(f"{model.customers:,} customers, {model.repeat_customers:,} with repeat purchases")
    b, g = model.bgnbd, model.gamma_gamma
    if b is not None:
        console.print(
            f"BG/NBD: r={b.r:.4f} alpha={b.alpha:.4f} a={b.a:.4f} b={b.b:.4f} log-likelihood={b.log_likelihood:.2f}"
        )
    if g is not None:
        console.print(f"Gamma-Gamma: p={g.p:.4f} q={g.q:.4f} gamma={g.gamma:.4f} log-likelihood={g.log_likelihood:.2f}")
    for name, reason in model.skipped.items():
        console.print(f"{name} skipped: {reason}", highlight=False)
    if b is None:
        return
    values = clv.customer_values(model, summary, horizon_weeks)
    values = values.nlargest(top, "expected_value" if g is not None else "expected_purchases")
    for row in values.itertuples():
        worth = f"{row.expected_value:.2f} expected value" if g is not None else "no expected value"
        console.print(
            f"customer {row.customer_id}: {row.expected_purchases:.2f} purchases, {worth} in {horizon_weeks:g} weeks"
        )


DatasetOption = Annotated[
    str, typer.Option(help="Data set in DWD: shop, taobao (behaviour, recommend) or cdnow (segment).")
]


def _run_task(task: str, dataset: str, run_dt: str | None, dt: list[str] | None) -> None:
    from datetime import UTC, datetime

    from ecomlab.mart import Mart
    from ecomlab.mining.tasks import RUNNERS

    settings, spark = _spark(f"ecomlab-mine-{task}")
    mart = Mart.from_settings(settings)
    day = run_dt or datetime.now(UTC).date().isoformat()
    try:
        outcome = RUNNERS[task](spark, mart, dataset, day, days=dt or None)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    finally:
        mart.dispose()
    for table, rows in outcome.rows.items():
        console.print(f"{table}: {rows:,} rows ({dataset}, {day})")
    for key, value in outcome.summary.items():
        console.print(f"{key}: {value}", highlight=False, soft_wrap=True)


RunDtOption = Annotated[str | None, typer.Option("--run-dt", help="Day the results are stored under (default today).")]
DayOption = Annotated[list[str] | None, typer.Option("--dt", help="DWD day to read (repeatable; default all).")]


@mine_app.command("behaviour")
def behaviour_command(dataset: DatasetOption = "shop", run_dt: RunDtOption = None, dt: DayOption = None) -> None:
    """Sessions, funnel, paths before purchase, hourly/weekday activity and cohort retention."""
    _run_task("behaviour", dataset, run_dt, dt)


@mine_app.command("segment")
def segment_command(dataset: DatasetOption = "shop", run_dt: RunDtOption = None, dt: DayOption = None) -> None:
    """RFM scores and K-means segments (k by silhouette), with segment profiles."""
    _run_task("segment", dataset, run_dt, dt)


@mine_app.command("recommend")
def recommend_command(dataset: DatasetOption = "shop", run_dt: RunDtOption = None, dt: DayOption = None) -> None:
    """ALS (implicit) against popularity: P@10, R@10, NDCG@10, and top-N per user."""
    _run_task("recommend", dataset, run_dt, dt)


@mine_app.command("stream")
def stream_command(
    events: Annotated[
        str | None, typer.Option(help="Events landing directory or glob (default: the lake's raw zone).")
    ] = None,
    orders: Annotated[
        str | None, typer.Option(help="Orders landing directory or glob (default: the lake's raw zone).")
    ] = None,
    available_now: Annotated[bool, typer.Option("--available-now", help="Process what has landed, then stop.")] = False,
) -> None:
    """Per-minute UV, PV, orders and GMV over the landing directory (Structured Streaming)."""
    from ecomlab.mart import Mart
    from ecomlab.mining.streaming import lake_stream_config, published_totals, quarantine_counts, start

    settings, spark = _spark("ecomlab-realtime")
    config = lake_stream_config(settings, events=events, orders=orders, mart_url=Mart.from_settings(settings).url)
    query = start(spark, config, available_now=available_now)
    console.print(f"streaming into {config.sink} (checkpoint {config.checkpoint}); Ctrl-C stops")
    try:
        query.awaitTermination()
    except KeyboardInterrupt:
        query.stop()
    totals = published_totals(spark, config.sink)
    console.print(
        f"published: {totals['minutes']:,} closed minutes, {totals['pv']:,} page views, "
        f"{totals['orders']:,} orders, GMV {totals['gmv']:,.2f}"
    )
    quarantined = quarantine_counts(spark, config.sink)
    console.print(
        f"quarantined: {sum(quarantined.values()):,} rows ("
        + ", ".join(f"{reason} {rows:,}" for reason, rows in quarantined.items())
        + f") under {config.sink}/quarantine"
    )

"""Benchmarks of the foundation: simulator, raw -> ODS load and ODS -> DWD cleaning throughput.

Each size runs as separate processes (as a user runs them) in a home of its own; wall
time and the peak resident memory of the whole process tree (Python and the JVM) are
measured. Targets are ratios within one run, not absolute times, because machines differ:

- scaling: throughput at the largest size / throughput at the smallest (near 1 = linear);
- memory: peak memory at the largest size / at the smallest (near 1 = bounded).

The crawl section crawls a demo shop (its own process, on loopback, with 100 ms added to
each response to stand in for network latency) with 1, 2 and 4 Dask workers, static and
dynamic: product pages fanned out per second per worker count, and peak memory of the crawl's process tree (for the
dynamic crawler that includes Node and Chromium). Ratios: pages/s with n workers / with 1.

The indicators section builds every shop indicator of each size's cleaned DWD (Spark, with
the session start-up left out), then runs the same indicator SQL on the same Parquet files
in DuckDB and a plain pandas implementation (the independent one of the tests). Ratios:
pandas seconds / Spark seconds (target: above 1 at every size) and Spark seconds / DuckDB
seconds (target: at most 3 at the largest size).

The cleaning job's own quality report gives the number of passes over the data its five
stages make (each ODS table is scanned once to profile and once to detect; later stages read
the staged annotated rows);
it is copied into the result with the batch counts.

The platform section (`bench_platform.py`) starts every service of the local profile
(`ecomlab up`): seconds to all healthy, the stack's PSS idle and during a master DAG run on
one day of demo data against a 4 GiB budget, the seconds from that run's trigger to its
success, and a warm start on the kept data against the first one.

    python tests/benchmarks/run_benchmarks.py --out var/bench [--sizes 1000000 10000000]

The mining section runs FPGrowth, ALS fit and evaluation, K-means, and the streaming query
(throughput over every landed file, and the latency from a file landing to its minute
being visible) over a clean simulated week of each size, in one process per size.
Ratios: throughput at the largest size / at the smallest.

"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
# Targets checked at the end; a miss makes the run exit non-zero.
TARGETS = {
    "simulator_scaling_min": 0.6,  # events/s at 10M >= 0.6 x events/s at 1M
    "simulator_memory_ratio_max": 1.5,  # peak RSS at 10M <= 1.5 x peak RSS at 1M
    "ods_scaling_min": 0.6,
    "clean_scaling_min": 0.6,  # ODS rows/s cleaned at 10M >= 0.6 x at 1M
    "static_crawl_scaling_4_min": 1.8,  # static pages/s with 4 workers >= 1.8 x with 1
    "dynamic_crawl_scaling_2_min": 1.2,  # dynamic pages/s with 2 workers >= 1.2 x with 1 (2 cores)
    "dynamic_crawl_scaling_4_min": 1.4,  # still growing with 4 workers, though their browsers share 2 cores
    "platform_pss_share_max": 1.0,  # the stack's PSS, idle and during a run / 4 GiB budget <= 1
    "platform_warm_start_ratio_max": 1.5,  # `up` on kept data / first `up` <= 1.5
    "indicators_vs_pandas_min": 1.0,  # pandas seconds / Spark seconds at every size
    "indicators_vs_duckdb_max": 3.0,  # Spark seconds / DuckDB seconds at the largest size
    "mining_scaling_min": 0.5,  # FPGrowth, ALS, K-means and streaming throughput at 10M >= 0.5 x at 1M
}
PLATFORM_PSS_BUDGET_MIB = 4096
MINING_STEPS = {"fpgrowth": "baskets_per_s", "als": "interactions_per_s", "kmeans": "customers_per_s"}
MINING_STEPS["streaming"] = "events_per_s"
CRAWL_WORKERS = (1, 2, 4)
CRAWL_ITEMS = {"static": 120, "dynamic": 24}


def measure(command: list[str], env: dict[str, str], keep_output: bool = False):
    """Wall seconds and peak RSS (MiB) of a command and all its children."""
    # The child's output goes to a file, not a pipe: unread, a pipe fills (Spark logs a lot)
    # and the child blocks on its next write while this loop waits for it to end.
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        root = psutil.Process(process.pid)
        peak = 0
        while process.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        log.seek(0)
        output = log.read() if keep_output or process.returncode != 0 else ""
    if process.returncode != 0:
        sys.stderr.write(output[-4000:])
        raise SystemExit(f"benchmark command failed ({process.returncode}): {' '.join(command)}")
    measured = {"seconds": round(seconds, 2), "peak_rss_mib": round(peak / 2**20, 1)}
    return (measured, output) if keep_output else measured


def bench_indicators(env: dict[str, str]) -> dict:
    """Every shop indicator of the home's DWD: Spark, the same SQL in DuckDB, plain pandas."""
    script = REPO / "tests" / "benchmarks" / "indicators_once.py"
    measured, output = measure([str(BIN / "python"), str(script)], env, keep_output=True)
    result = json.loads(output.strip().splitlines()[-1])
    return {**result, "peak_rss_mib": measured["peak_rss_mib"]}


def indicator_summary(results: list[dict]) -> tuple[dict, dict]:
    """pandas / Spark seconds at each size, Spark / DuckDB seconds; checks against the targets."""
    timed = [r for r in results if r.get("indicators")]
    if not timed:
        return {}, {}
    ratios = {}
    for r in timed:
        i = r["indicators"]
        ratios[f"indicators_pandas_over_spark_{r['events']}"] = round(i["pandas_s"] / i["spark_s"], 2)
        ratios[f"indicators_spark_over_duckdb_{r['events']}"] = round(i["spark_s"] / i["duckdb_s"], 2)
    largest = timed[-1]["events"]
    checks = {
        "indicators_vs_pandas_min": all(
            ratios[f"indicators_pandas_over_spark_{r['events']}"] >= TARGETS["indicators_vs_pandas_min"] for r in timed
        ),
        "indicators_vs_duckdb_max": ratios[f"indicators_spark_over_duckdb_{largest}"]
        <= TARGETS["indicators_vs_duckdb_max"],
    }
    return ratios, checks


def bench_size(events: int, work: Path, indicators: bool = False) -> dict:
    home = work / f"home-{events}"
    env = {**os.environ, "ECOMLAB_HOME": str(home), "PYSPARK_PYTHON": sys.executable}
    out = home / "incoming" / "bench"
    sim = measure([str(BIN / "ecomlab"), "simulate", str(out), "--events", str(events), "--days", "7"], env)
    truth = json.loads((out / "truth.json").read_text())
    rows = sum(truth["rows_written"].values())
    megabytes = sum(p.stat().st_size for p in out.rglob("*.csv") if p.name != "truth_defects.csv") / 2**20

    land = measure([str(BIN / "ecomlab"), "land", str(out)], env)
    ods = measure(
        [
            str(BIN / "spark-submit"),
            "--driver-memory",
            "2g",
            str(REPO / "jobs" / "load_ods.py"),
            "--source",
            "shop",
            "--all-landed",
        ],
        env,
    )
    started = time.time()
    clean = measure([str(BIN / "spark-submit"), "--driver-memory", "2g", str(REPO / "jobs" / "clean.py")], env)
    quality = clean_report(home, started)
    built = bench_indicators(env) if indicators else None
    shutil.rmtree(home, ignore_errors=True)
    return {
        "events": truth["events"],
        "rows": rows,
        "csv_mib": round(megabytes, 1),
        "simulate": {**sim, "events_per_s": round(truth["events"] / sim["seconds"])},
        "land_raw": {**land, "mib_per_s": round(megabytes / land["seconds"], 1)},
        "load_ods": {**ods, "rows_per_s": round(rows / ods["seconds"])},
        "clean": {
            **clean,
            "rows_per_s": round(rows / clean["seconds"]),
            "passes": quality["passes"],
            "batch": {k: quality["batch"][k] for k in ("rows_in", "dwd_rows", "quarantined", "merged")},
        },
        "indicators": built,
    }


def start_shop(timeout: float = 120.0):
    """A demo shop on a free loopback port: (process, its output file, url)."""
    # The shop's output goes to a file that is read for its address: a pipe left unread
    # after the first line would block the shop as soon as it wrote a pipe's worth more.
    output = tempfile.NamedTemporaryFile("w+", encoding="utf-8", suffix=".log")  # noqa: SIM115
    shop = subprocess.Popen(
        [str(BIN / "ecomlab"), "shop", "serve", "--port", "0", "--max-items", "200", "--faults", "slow_ms=100"],
        stdout=output,
        stderr=subprocess.DEVNULL,
    )
    url = ""
    deadline = time.monotonic() + timeout
    while not url and shop.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
        lines = Path(output.name).read_text(encoding="utf-8", errors="replace").splitlines()
        url = next((line.split()[1] for line in lines if line.startswith("listening ")), "")
    if not url:
        shop.terminate()
        shop.wait(timeout=30)
        output.close()
        raise SystemExit("the demo shop did not start")
    return shop, output, url


def bench_crawl(work: Path) -> dict:
    """Static and dynamic pages/s and peak memory with 1, 2 and 4 Dask workers against one demo shop."""
    shop, shop_output, url = start_shop()
    try:
        results: dict[str, dict] = {}
        for kind, items in CRAWL_ITEMS.items():
            results[kind] = {}
            for workers in CRAWL_WORKERS:
                home = work / f"crawl-{kind}-{workers}"
                env = {
                    **os.environ,
                    "ECOMLAB_HOME": str(home),
                    "ECOMLAB_COLLECTION__REQUESTS_PER_SECOND_PER_HOST": "1000",
                    "ECOMLAB_COLLECTION__CHUNK_SIZE": "4",
                    "ECOMLAB_COLLECTION__DYNAMIC_CHUNK_SIZE": "6",
                }
                command = [sys.executable, str(Path(__file__).with_name("crawl_once.py")), "--url", url]
                command += ["--kind", kind, "--workers", str(workers), "--max-items", str(items)]
                measured, output = measure(command, env, keep_output=True)
                numbers = json.loads(output.strip().splitlines()[-1])
                results[kind][workers] = {
                    **numbers,
                    # Product pages fanned out per second (discovery of the frontier is one sequential walk).
                    "pages_per_s": round(numbers["pages"] / numbers["fetch_seconds"], 2),
                    "peak_rss_mib": measured["peak_rss_mib"],
                }
                print(f"  {kind} crawl, {workers} workers: {results[kind][workers]}", flush=True)
    finally:
        shop.terminate()
        shop.wait(timeout=30)
        shop_output.close()
    return results


def bench_mining(events: int, work: Path) -> dict:
    """Mining methods over a clean simulated week of `events` (one process, peak memory of its tree)."""
    home = work / f"mine-{events}"
    env = {**os.environ, "ECOMLAB_HOME": str(home), "PYSPARK_PYTHON": sys.executable}
    out = home / "incoming" / "bench"
    measure([str(BIN / "ecomlab"), "simulate", str(out), "--events", str(events), "--days", "7", "--clean"], env)
    command = [str(BIN / "spark-submit"), "--driver-memory", "4g", str(REPO / "tests" / "benchmarks" / "mine_once.py")]
    measured, output = measure([*command, str(out), str(home / "work")], env, keep_output=True)
    shutil.rmtree(home, ignore_errors=True)
    result = json.loads(output.strip().splitlines()[-1])
    return {"events": events, **measured, **result}


def mining_summary(mining: list[dict]) -> tuple[dict, dict]:
    if len(mining) < 2:
        return {}, {}
    small, large = mining[0], mining[-1]
    ratios = {f"{step}_scaling": round(large[step][key] / small[step][key], 2) for step, key in MINING_STEPS.items()}
    ratios["streaming_latency_ratio"] = round(large["streaming"]["latency_s"] / small["streaming"]["latency_s"], 2)
    checks = {
        f"{step}_scaling_min": ratios[f"{step}_scaling"] >= TARGETS["mining_scaling_min"] for step in MINING_STEPS
    }
    return ratios, checks


def clean_report(home: Path, since: float) -> dict:
    """The quality report the clean job just wrote (the newest under lake/runs/*/quality/)."""
    reports = [p for p in (home / "lake" / "runs").glob("*/quality/report.json") if p.stat().st_mtime >= since - 1]
    if not reports:
        raise SystemExit(f"the clean job wrote no quality report under {home / 'lake' / 'runs'}")
    return json.loads(max(reports, key=lambda p: p.stat().st_mtime).read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "var" / "bench")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument(
        "--sections",
        nargs="+",
        choices=["foundation", "indicators", "crawl", "platform", "mining"],
        default=["foundation", "indicators", "crawl", "platform", "mining"],
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ecomlab-bench-", dir=args.out))
    try:
        results = []
        # The indicators are built on the foundation's cleaned DWD of each size.
        for size in args.sizes if {"foundation", "indicators"} & set(args.sections) else []:
            print(f"benchmarking {size:,} events ...", flush=True)
            results.append(bench_size(size, work, indicators="indicators" in args.sections))
        mining = []
        for size in args.sizes if "mining" in args.sections else []:
            print(f"benchmarking mining at {size:,} events ...", flush=True)
            mining.append(bench_mining(size, work))
        crawl = None
        if "crawl" in args.sections:
            print("benchmarking crawls ...", flush=True)
            crawl = bench_crawl(work)
        platform_result = None
        if "platform" in args.sections:
            from bench_platform import bench_platform

            print("benchmarking the local platform ...", flush=True)
            platform_result = bench_platform(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not results and not mining:
        return report_sections(args.out, crawl, platform_result)
    if not results:
        return report_mining_only(args.out, mining)

    small, large = results[0], results[-1]
    ratios = {
        "simulator_scaling": round(large["simulate"]["events_per_s"] / small["simulate"]["events_per_s"], 2),
        "simulator_memory_ratio": round(large["simulate"]["peak_rss_mib"] / small["simulate"]["peak_rss_mib"], 2),
        "ods_scaling": round(large["load_ods"]["rows_per_s"] / small["load_ods"]["rows_per_s"], 2),
        "ods_memory_ratio": round(large["load_ods"]["peak_rss_mib"] / small["load_ods"]["peak_rss_mib"], 2),
        "clean_scaling": round(large["clean"]["rows_per_s"] / small["clean"]["rows_per_s"], 2),
        "clean_memory_ratio": round(large["clean"]["peak_rss_mib"] / small["clean"]["peak_rss_mib"], 2),
    }
    crawl_ratios, crawl_checks = crawl_summary(crawl)
    platform_ratios, platform_checks = platform_summary(platform_result)
    ratios.update(crawl_ratios)
    indicator_ratios, indicator_checks = indicator_summary(results)
    ratios.update(platform_ratios)
    ratios.update(indicator_ratios)
    mining_ratios, mining_checks = mining_summary(mining)
    ratios.update(mining_ratios)
    checks = {
        **crawl_checks,
        **platform_checks,
        **indicator_checks,
        **mining_checks,
        "simulator_scaling_min": ratios["simulator_scaling"] >= TARGETS["simulator_scaling_min"],
        "simulator_memory_ratio_max": ratios["simulator_memory_ratio"] <= TARGETS["simulator_memory_ratio_max"],
        "ods_scaling_min": ratios["ods_scaling"] >= TARGETS["ods_scaling_min"],
        "clean_scaling_min": ratios["clean_scaling"] >= TARGETS["clean_scaling_min"],
    }
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(),
        },
        "results": results,
        "crawl": crawl,
        "platform": platform_result,
        "mining": mining,
        "ratios": ratios,
        "targets": TARGETS,
        "targets_met": checks,
    }
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n")

    print(
        f"{'events':>12} {'sim ev/s':>10} {'sim MiB':>8} {'land MiB/s':>10} "
        f"{'ODS rows/s':>11} {'ODS s':>7} {'ODS MiB':>8} {'clean rows/s':>12} {'clean s':>8} {'clean MiB':>9}"
    )
    for r in results:
        print(
            f"{r['events']:>12,} {r['simulate']['events_per_s']:>10,} {r['simulate']['peak_rss_mib']:>8} "
            f"{r['land_raw']['mib_per_s']:>10} {r['load_ods']['rows_per_s']:>11,} {r['load_ods']['seconds']:>7} "
            f"{r['load_ods']['peak_rss_mib']:>8} {r['clean']['rows_per_s']:>12,} {r['clean']['seconds']:>8} "
            f"{r['clean']['peak_rss_mib']:>9}"
        )
    for r in results:
        batch = r["clean"]["batch"]
        print(
            f"{r['events']:>12,} clean: ODS scans {r['clean']['passes'].get('ods_scans')}, rows in {batch['rows_in']:,}"
            f" -> DWD {batch['dwd_rows']:,}, quarantined {batch['quarantined']:,}, merged {batch['merged']:,}"
        )
    for r in results:
        if r["indicators"]:
            i = r["indicators"]
            print(
                f"{r['events']:>12,} indicators: {i['indicators']} for {i['days']} days ({i['rows']:,} rows) in "
                f"Spark {i['spark_s']} s, DuckDB {i['duckdb_s']} s, pandas {i['pandas_s']} s"
            )
    print_mining(mining)
    return verdict(ratios, checks, args.out / "report.json")


def print_mining(mining: list[dict]) -> None:
    for r in mining:
        print(
            f"{r['events']:>12,} mining: FPGrowth {r['fpgrowth']['baskets_per_s']:,} baskets/s, "
            f"ALS {r['als']['interactions_per_s']:,} interactions/s (P@10 {r['als']['precision_at_10']} vs "
            f"{r['als']['popular_precision_at_10']}), K-means {r['kmeans']['customers_per_s']:,} customers/s, "
            f"streaming {r['streaming']['events_per_s']:,} events/s, latency {r['streaming']['latency_s']} s, "
            f"peak {r['peak_rss_mib']} MiB"
        )


def report_mining_only(out: Path, mining: list[dict]) -> int:
    ratios, checks = mining_summary(mining)
    report = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "mining": mining, "ratios": ratios}
    report["targets_met"] = checks
    (out / "report-mining.json").write_text(json.dumps(report, indent=2) + "\n")
    print_mining(mining)
    return verdict(ratios, checks, out / "report-mining.json")


def verdict(ratios: dict, checks: dict, report: Path) -> int:
    """Print the ratios and where the report is; exit status 1 when a target was missed."""
    for name, value in ratios.items():
        print(f"{name}: {value}")
    print(f"report: {report}")
    missed = [name for name, ok in checks.items() if not ok]
    if missed:
        print(f"targets missed: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


def crawl_summary(crawl: dict | None) -> tuple[dict, dict]:
    """Crawl ratios (pages/s with n workers / with 1; memory with 4 / with 1) and their target checks."""
    if not crawl:
        return {}, {}
    ratios = {}
    for kind, by_workers in crawl.items():
        base = by_workers[1]
        for workers in CRAWL_WORKERS[1:]:
            ratios[f"{kind}_crawl_scaling_{workers}"] = round(
                by_workers[workers]["pages_per_s"] / base["pages_per_s"], 2
            )
        ratios[f"{kind}_crawl_memory_ratio_4"] = round(by_workers[4]["peak_rss_mib"] / base["peak_rss_mib"], 2)
    checks = {
        "static_crawl_scaling_4_min": ratios["static_crawl_scaling_4"] >= TARGETS["static_crawl_scaling_4_min"],
        "dynamic_crawl_scaling_2_min": ratios["dynamic_crawl_scaling_2"] >= TARGETS["dynamic_crawl_scaling_2_min"],
        "dynamic_crawl_scaling_4_min": ratios["dynamic_crawl_scaling_4"] >= TARGETS["dynamic_crawl_scaling_4_min"],
    }
    return ratios, checks


def platform_summary(result: dict | None) -> tuple[dict, dict]:
    """The stack's PSS against its 4 GiB budget (idle and during a run) and warm / first start time."""
    if not result:
        return {}, {}
    ratios = {
        "platform_idle_pss_share": round(result["idle_pss_mib"] / PLATFORM_PSS_BUDGET_MIB, 2),
        "platform_run_pss_share": round(result["run_pss_mib"] / PLATFORM_PSS_BUDGET_MIB, 2),
        "platform_warm_start_ratio": round(result["warm_up_seconds"] / result["up_seconds"], 2),
    }
    checks = {
        "platform_pss_share_max": max(ratios["platform_idle_pss_share"], ratios["platform_run_pss_share"])
        <= TARGETS["platform_pss_share_max"],
        "platform_warm_start_ratio_max": ratios["platform_warm_start_ratio"]
        <= TARGETS["platform_warm_start_ratio_max"],
    }
    return ratios, checks


def report_sections(out: Path, crawl: dict | None, platform_result: dict | None) -> int:
    """The report of a run without the foundation sizes (crawl and/or platform only)."""
    crawl_ratios, crawl_checks = crawl_summary(crawl)
    platform_ratios, platform_checks = platform_summary(platform_result)
    ratios = {**crawl_ratios, **platform_ratios}
    checks = {**crawl_checks, **platform_checks}
    name = "report-crawl.json" if not platform_result else "report-sections.json"
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "crawl": crawl,
        "platform": platform_result,
        "ratios": ratios,
        "targets_met": checks,
    }
    (out / name).write_text(json.dumps(report, indent=2) + "\n")
    if crawl:
        print(f"{'crawler':>8} {'workers':>7} {'pages/s':>8} {'MiB':>7}")
        for kind, by_workers in crawl.items():
            for workers, r in by_workers.items():
                print(f"{kind:>8} {workers:>7} {r['pages_per_s']:>8} {r['peak_rss_mib']:>7}")
    if platform_result:
        r = platform_result
        print(
            f"platform: {len(r['services'])} services healthy in {r['up_seconds']} s (warm {r['warm_up_seconds']} s); "
            f"PSS idle {r['idle_pss_mib']} MiB over {r['processes']} processes, during a run {r['run_pss_mib']} MiB; "
            f"master DAG trigger to success {r['pipeline_seconds']} s"
        )
    return verdict(ratios, checks, out / name)


if __name__ == "__main__":
    sys.exit(main())

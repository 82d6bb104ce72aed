"""Real-time indicators: a streaming query killed mid-stream (SIGKILL) and restarted loses
nothing and counts nothing twice; closed windows agree with an offline computation; rows with
a bad id or time, or a time off their file's day, are quarantined with their reason."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from ecomlab.mining.streaming import StreamConfig, offline_minutes, quarantine_counts, start
from ecomlab.sources.simulator import SimulatorConfig, simulate

PIECES = 12  # files per entity, two hours each, landed in event-time order


def _split(source: Path, time_column: str, target: Path, name: str) -> list[Path]:
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    frame = frame.sort_values(time_column, kind="stable")
    hour = pd.to_datetime(frame[time_column]).dt.hour // (24 // PIECES)
    paths = []
    for piece in range(PIECES):
        path = target / f"{name}-{piece:02d}.csv"
        frame[hour == piece].to_csv(path, index=False)
        paths.append(path)
    return paths


def _land(path: Path, landing: Path) -> None:
    # Atomic arrival, as the raw zone lands files: written aside, then renamed into place.
    # Files arrive in time order: each is stamped a second after the one before.
    staged = landing.parent / f".{landing.name}-{path.name}"
    staged.write_bytes(path.read_bytes())
    stamp = time.time() - 3600 + int(path.stem.rsplit("-", 1)[1])
    os.utime(staged, (stamp, stamp))
    staged.rename(landing / path.name)


def _stream(tmp: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "ECOMLAB_HOME": str(tmp / "home"), "PYSPARK_PYTHON": sys.executable}
    env["ECOMLAB_SPARK__SHUFFLE_PARTITIONS"] = "2"
    command = [sys.executable, "-m", "ecomlab.mining.streaming", "--events", str(tmp / "landing" / "events")]
    command += ["--orders", str(tmp / "landing" / "orders"), "--sink", str(tmp / "sink")]
    command += ["--checkpoint", str(tmp / "checkpoint"), "--max-files-per-trigger", "1", *extra]
    log = (tmp / "stream.log").open("ab")
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)


def _batches(tmp: Path) -> int:
    counts = tmp / "sink" / "counts"
    return len([p for p in counts.glob("batch=*") if (p / "_SUCCESS").exists()]) if counts.exists() else 0


@pytest.mark.spark
@pytest.mark.slow
def test_a_killed_stream_restarts_without_loss_or_double_counting(tmp_path):
    sim = simulate(SimulatorConfig(events=10_000, days=1, dirty=False), tmp_path / "shop")
    staged = tmp_path / "pieces"
    staged.mkdir()
    events = _split(next(sim.out_dir.glob("events/dt=*/events.csv")), "event_time", staged, "events")
    orders = _split(next(sim.out_dir.glob("orders/dt=*/orders.csv")), "order_time", staged, "orders")
    for name in ("events", "orders"):
        (tmp_path / "landing" / name).mkdir(parents=True)
    for path in events[:6]:
        _land(path, tmp_path / "landing" / "events")
    for path in orders[:6]:
        _land(path, tmp_path / "landing" / "orders")

    first = _stream(tmp_path, "--trigger-seconds", "1")
    deadline = time.monotonic() + 400
    while _batches(tmp_path) < 3 and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.5)
    assert _batches(tmp_path) >= 3, (tmp_path / "stream.log").read_text()[-3000:]
    first.send_signal(signal.SIGKILL)  # no chance to clean up or commit
    first.wait(30)
    assert _batches(tmp_path) < 2 * 6, "the first run should have been stopped mid-stream"

    for path in events[6:]:
        _land(path, tmp_path / "landing" / "events")
    for path in orders[6:]:
        _land(path, tmp_path / "landing" / "orders")
    second = _stream(tmp_path, "--available-now", "--max-files-per-trigger", "6")
    assert second.wait(600) == 0, (tmp_path / "stream.log").read_text()[-3000:]

    realtime = pd.read_parquet(tmp_path / "sink" / "minutes").sort_values("window_start").reset_index(drop=True)
    offline = offline_minutes(
        pd.concat(pd.read_csv(p, dtype={"event_id": str, "visitor_id": str}) for p in events),
        pd.concat(pd.read_csv(p, dtype={"order_id": str}) for p in orders),
    )
    realtime["window_start"] = pd.to_datetime(realtime["window_start"]).dt.tz_localize(None)
    closed = offline[offline["window_start"] <= realtime["window_start"].max()].reset_index(drop=True)
    # Only windows the watermark has closed are published: the last minutes of the day stay open.
    assert len(closed) == len(realtime) and len(realtime) > 1000
    merged = closed.merge(realtime, on="window_start", suffixes=("_offline", "_realtime"))
    for column in ("uv", "pv", "orders"):
        assert (merged[f"{column}_offline"] == merged[f"{column}_realtime"]).all(), column
    assert merged["gmv_offline"].round(2).equals(merged["gmv_realtime"].round(2))
    # Nothing lost, nothing counted twice: page views over the closed minutes match exactly.
    assert realtime["pv"].sum() == closed["pv"].sum()


# Rows planted into the landed files: (entity, id, time, expected reason). The day is the file's.
PLANTED = [
    ("events", "990000001", "not a date", "bad_timestamp"),
    ("events", "990000002", "{next_year} 12:00:00", "outside_file_day"),
    ("events", "x990000003", "{day} 12:00:00", "bad_key"),
    ("orders", "990000004", "{last_year} 08:30:00", "outside_file_day"),
    ("orders", "990000005", "", "bad_timestamp"),
]


def _plant(frame: pd.DataFrame, entity: str, day: str) -> pd.DataFrame:
    key, time = ("event_id", "event_time") if entity == "events" else ("order_id", "order_time")
    year = int(day[:4])
    rows = []
    for planted_entity, planted_id, planted_time, _ in PLANTED:
        if planted_entity == entity:
            row = frame.iloc[0].copy()
            row[key] = planted_id
            row[time] = planted_time.format(day=day, next_year=f"{year + 1}{day[4:]}", last_year=f"{year - 1}{day[4:]}")
            rows.append(row)
    # Planted rows in the middle of the file: a year-ahead time early on would have moved the watermark.
    middle = len(frame) // 2
    return pd.concat([frame.iloc[:middle], pd.DataFrame(rows), frame.iloc[middle:]], ignore_index=True)


@pytest.mark.spark
@pytest.mark.slow
def test_rows_with_a_bad_id_or_time_or_off_their_files_day_are_quarantined_not_published(tmp_path, spark):
    sim = simulate(SimulatorConfig(events=10_000, days=1, dirty=False), tmp_path / "shop")
    frames = {}
    for entity in ("events", "orders"):
        source = next(sim.out_dir.glob(f"{entity}/dt=*/{entity}.csv"))
        day = source.parent.name.removeprefix("dt=")
        frame = _plant(pd.read_csv(source, dtype=str, keep_default_na=False), entity, day)
        # Two files per entity in the day's partition, so the query runs more than one batch.
        halves = (frame.iloc[: len(frame) // 2], frame.iloc[len(frame) // 2 :])
        for batch, half in enumerate(halves, start=1):
            target = tmp_path / "landing" / entity / f"dt={day}" / f"batch={batch}"
            target.mkdir(parents=True)
            half.to_csv(target / f"{entity}.csv", index=False)
        frames[entity] = frame.assign(dt=day)

    landing = tmp_path / "landing"
    config = StreamConfig(
        events_path=str(landing / "events") + "/dt=*/batch=*/*.csv",
        orders_path=str(landing / "orders") + "/dt=*/batch=*/*.csv",
        sink=str(tmp_path / "sink"),
        checkpoint=str(tmp_path / "checkpoint"),
        max_files_per_trigger=1,
    )
    assert quarantine_counts(spark, config.sink) == {"bad_key": 0, "bad_timestamp": 0, "outside_file_day": 0}
    start(spark, config, available_now=True).awaitTermination()

    assert quarantine_counts(spark, config.sink) == {"bad_key": 1, "bad_timestamp": 2, "outside_file_day": 2}
    quarantined = pd.read_parquet(tmp_path / "sink" / "quarantine")
    assert len(quarantined["batch"].unique()) >= 2, "the quarantine is written per batch"
    got = sorted(zip(quarantined["source"], quarantined["key"], quarantined["reason"], strict=True))
    assert got == sorted((entity, key, reason) for entity, key, _, reason in PLANTED)
    assert quarantined["file"].str.contains("/dt=").all()
    raw = dict(zip(quarantined["key"], quarantined["raw_timestamp"], strict=True))
    assert raw["990000001"] == "not a date" and raw["990000002"].startswith(str(int(day[:4]) + 1))

    realtime = pd.read_parquet(tmp_path / "sink" / "minutes").sort_values("window_start").reset_index(drop=True)
    realtime["window_start"] = pd.to_datetime(realtime["window_start"]).dt.tz_localize(None)
    # No stray minute a year off, and the last minutes of the day are still open (no runaway watermark).
    assert (realtime["window_start"].dt.strftime("%Y-%m-%d") == day).all()
    offline = offline_minutes(frames["events"], frames["orders"])
    assert len(offline) > len(realtime) > 500
    closed = offline[offline["window_start"] <= realtime["window_start"].max()].reset_index(drop=True)
    assert len(closed) == len(realtime)
    merged = closed.merge(realtime, on="window_start", suffixes=("_offline", "_realtime"))
    for column in ("uv", "pv", "orders"):
        assert (merged[f"{column}_offline"] == merged[f"{column}_realtime"]).all(), column
    assert merged["gmv_offline"].round(2).equals(merged["gmv_realtime"].round(2))

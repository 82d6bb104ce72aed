"""Starts the Node crawler, feeds it a job, reads its JSON lines and keeps it honest.

The crawler must print a line at least every `page_timeout` seconds (it prints one per
page); a crawler that stalls is killed, and one that dies is restarted with the URLs it
had not finished, up to `restarts` times. A URL the crawler gave up on is a failure with
its reason; nothing is lost silently.
"""

from __future__ import annotations

import json
import logging
import queue
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)
PROGRAM = Path(__file__).with_name("crawler.mjs")
NODE_MODULES = Path(__file__).with_name("node_modules")


class DynamicCrawlerUnavailable(RuntimeError):
    """Node, playwright-core or Chromium is missing; the message says how to install it."""


@dataclass
class DynamicResult:
    records: list[dict] = field(default_factory=list)
    links: dict[str, list[str]] = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)
    pages: int = 0
    restarts: int = 0


@dataclass(frozen=True)
class DynamicOptions:
    chromium: str = "/usr/bin/chromium"
    node: str = "node"
    user_agent: str = "ecomlab-crawler/0.1"
    page_timeout: float = 20.0
    interval: float = 0.0
    max_scrolls: int = 60
    restarts: int = 2


def check_available(options: DynamicOptions) -> None:
    if shutil.which(options.node) is None:
        raise DynamicCrawlerUnavailable(f"node ({options.node}) is not on PATH; install Node.js 18+")
    if not (NODE_MODULES / "playwright-core").is_dir():
        raise DynamicCrawlerUnavailable(f"playwright-core is not installed; run `npm ci --prefix {PROGRAM.parent}`")
    if not Path(options.chromium).exists():
        raise DynamicCrawlerUnavailable(
            f"Chromium not found at {options.chromium} (collection.chromium_path); run infra/scripts/ensure-chromium.sh"
        )


def _reader(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def run_dynamic(
    urls: list[str],
    options: DynamicOptions,
    mode: str,
    allowed_origins: list[str],
    site: str = "",
    role: str = "own",
    crawled_at: str = "",
) -> DynamicResult:
    """Crawl urls with the Node crawler (mode items or listing), restarting it if it dies or stalls."""
    check_available(options)
    result = DynamicResult()
    pending = list(urls)
    attempts: dict[str, int] = {}
    while pending:
        job = {
            "mode": mode,
            "urls": pending,
            "allowed_origins": allowed_origins,
            "chromium": options.chromium,
            "user_agent": options.user_agent,
            "site": site,
            "role": role,
            "crawled_at": crawled_at,
            "timeout_ms": int(options.page_timeout * 1000),
            "interval_ms": int(options.interval * 1000),
            "max_scrolls": options.max_scrolls,
        }
        finished, problem = _one_process(job, options, result)
        pending = [u for u in pending if u not in finished]
        if not pending:
            break
        # The process ended early: the URL it was on is charged with the problem.
        current = pending[0]
        attempts[current] = attempts.get(current, 0) + 1
        if attempts[current] > options.restarts or result.restarts >= options.restarts * max(len(urls), 1):
            result.failures.append({"url": current, "reason": f"dynamic crawler: {problem}"})
            pending = pending[1:]
        log.warning("dynamic crawler restarted (%s); %d pages left", problem, len(pending))
        result.restarts += 1
    return result


def _one_process(job: dict, options: DynamicOptions, result: DynamicResult) -> tuple[set[str], str]:
    """Run one Node process over the job; returns the URLs it finished and, if it stopped early, why."""
    finished: set[str] = set()
    process = subprocess.Popen(
        [options.node, str(PROGRAM)],
        cwd=PROGRAM.parent,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stderr_tail: list[str] = []
    threading.Thread(target=lambda: stderr_tail.extend(process.stderr), daemon=True).start()
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
    try:
        process.stdin.write(json.dumps(job))
        process.stdin.close()
    except BrokenPipeError:
        pass
    # Chromium's start-up counts against the first page's allowance.
    deadline_gap = options.page_timeout * 2 + 10
    problem = ""
    try:
        while True:
            try:
                line = lines.get(timeout=deadline_gap)
            except queue.Empty:
                problem = f"no output for {deadline_gap:.0f}s (stalled); killed"
                break
            if line is None:
                break
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                log.warning("dynamic crawler printed a line that is not JSON: %.200s", line)
                continue
            kind = message.get("type")
            if kind == "record":
                result.records.append(message["record"])
            elif kind == "links":
                result.links[message["url"]] = message["items"]
            elif kind == "failure":
                result.failures.append({"url": message["url"], "reason": f"dynamic: {message['reason']}"})
            elif kind == "page_done":
                finished.add(message["url"])
                result.pages += 1
            elif kind == "done":
                break
    finally:
        if process.poll() is None:
            try:
                process.wait(timeout=5 if not problem else 0.1)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    if not problem and len(finished) < len(job["urls"]):
        time.sleep(0.1)  # let the stderr thread catch the last lines
        tail = " | ".join(line.strip() for line in stderr_tail[-3:]) or "no message"
        problem = f"exited with code {process.returncode} ({tail[:400]})"
    return finished, problem

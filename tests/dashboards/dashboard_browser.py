"""One headless Chromium session for all dashboard pages, driven through browser_driver.mjs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("browser_driver.mjs")
# playwright-core is installed for the dynamic crawler by `make browser`.
PLAYWRIGHT_FROM = ROOT / "platform" / "ecomlab" / "collection" / "dynamic" / "package.json"
CHROMIUM = "/usr/bin/chromium"


def unavailable() -> str | None:
    """Why the browser cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed (make browser)"
    if not Path(CHROMIUM).exists():
        return "chromium is not installed (make browser)"
    if not (PLAYWRIGHT_FROM.parent / "node_modules" / "playwright-core").is_dir():
        return "playwright-core is not installed (make browser)"
    return None


class Browser:
    def __init__(self) -> None:
        env = dict(os.environ, PLAYWRIGHT_CORE_FROM=str(PLAYWRIGHT_FROM), CHROMIUM=CHROMIUM)
        self.process = subprocess.Popen(
            ["node", str(DRIVER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )

    def _ask(self, command: dict) -> dict:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the browser driver exited (code {self.process.poll()})")
        answer = json.loads(line)
        if "failure" in answer:
            raise AssertionError(f"browser: {answer['failure']} ({command})")
        return answer

    def visit(
        self,
        url: str,
        screenshot: Path | None = None,
        hover: bool = True,
        keep: bool = False,
        cookies=None,
        frame: str | None = None,
    ) -> dict:
        return self._ask(
            {
                "cmd": "visit",
                "cookies": cookies,
                "frame": frame,
                "url": url,
                "screenshot": str(screenshot) if screenshot else None,
                "hover": hover,
                "keep": keep,
            }
        )

    def collect(self, page: int, chart: str, points: int, timeout_ms: int = 20000, screenshot: Path | None = None):
        """The report of a kept page once `chart`'s first series has `points` points (a refresh arrived)."""
        return self._ask(
            {
                "cmd": "collect",
                "page": page,
                "chart": chart,
                "points": points,
                "timeout_ms": timeout_ms,
                "screenshot": str(screenshot) if screenshot else None,
            }
        )

    def close_page(self, page: int) -> None:
        self._ask({"cmd": "close", "page": page})

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

"""One crawl for the crawl benchmark: prints its numbers as one JSON line (run as its own process)."""

from __future__ import annotations

import argparse
import json
import time

from ecomlab.collection.crawler import SiteSpec
from ecomlab.collection.service import crawl_sites
from ecomlab.settings import load_settings
from ecomlab.storage.lake import lake_from_settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--kind", choices=["static", "dynamic"], required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--max-items", type=int, required=True)
    args = parser.parse_args()
    settings = load_settings()
    started = time.perf_counter()
    collected = crawl_sites(
        settings,
        lake_from_settings(settings),
        [SiteSpec(args.url, kind=args.kind, max_items=args.max_items)],
        workers=args.workers,
    )
    outcome = collected.outcomes[0]
    print(
        json.dumps(
            {
                "pages": outcome.pages_fetched,
                "fetch_seconds": outcome.fetch_seconds,
                "failures": len(outcome.failures),
                "crawl_seconds": outcome.seconds,
                "process_seconds": round(time.perf_counter() - started, 2),
            }
        )
    )


if __name__ == "__main__":
    main()

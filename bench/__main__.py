"""``python -m bench`` (``make bench``, ``rag bench``): benchmarks beside LlamaIndex's default pipeline.

Writes bench/results.json, bench/results.md and bench/growth.svg.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.run import markdown, run_bench, write
from rag.config import PROJECT_ROOT, set_offline_env


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--sizes", default="3,1000,10000", help="corpus sizes in articles (3 = seeds/)")
    ap.add_argument("--out", type=Path, default=None, help="default: bench/ in the project")
    ap.add_argument("--no-http", action="store_true", help="skip the `rag serve` HTTP measurements")
    ap.add_argument("--no-anchor", action="store_true", help="skip the LlamaIndex default pipeline")
    args = ap.parse_args(argv)
    try:
        sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    except ValueError:
        ap.error(f"--sizes {args.sizes!r}: give whole numbers separated by commas, e.g. 3,1000")
    set_offline_env()
    out = args.out or PROJECT_ROOT / "bench"
    results = run_bench(sizes, out, http=not args.no_http, anchor=not args.no_anchor)
    write(results, out)
    print(json.dumps(results, indent=2))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

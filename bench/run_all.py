"""`make bench`: every benchmark under bench/, one after the other, into one report.

Each benchmark prints Markdown sections with its figures beside a raw baseline measured in the
same run; this collects them under the machine's details in ``bench/RESULTS.md`` (or ``--out``).
``--quick`` runs every benchmark at a small size (a smoke run: its ratios are not the issue's
figures). Benchmarks never fail on speed; a benchmark that crashes is reported and the run
goes on, then exits 1.

Run: `make bench` or `.venv/bin/python bench/run_all.py [--quick] [--only codec,publish]`.
The PostgreSQL benchmarks (Kafka → view at its best, weekly statistics) need
CASESYNC_BENCH_DATABASE_URL; without it the view benchmarks use SQLite and the statistics one
is skipped, and the report says so.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
POSTGRES_VARIABLE = "CASESYNC_BENCH_DATABASE_URL"


@dataclass(frozen=True)
class Benchmark:
    """One script and its arguments at full and at quick size."""

    name: str
    script: str
    full: tuple[str, ...]
    quick: tuple[str, ...]
    needs_postgres: bool = False


BENCHMARKS = (
    Benchmark("codec", "codec_bench.py", (), ("--events", "2000", "--rounds", "2")),
    Benchmark("publish", "publish_bench.py", (), ("--victims", "300")),
    Benchmark("kafka-to-view", "consume_bench.py", ("--victims", "2000"), ("--victims", "200")),
    Benchmark("scale-out", "scale_bench.py", (), ("--victims", "300")),
    Benchmark("dedup-100k", "dedup_bench.py", ("--records", "100000"), ("--records", "5000")),
    Benchmark("dedup-1m", "dedup_bench.py", ("--records", "1000000"), ("--records", "20000")),
    Benchmark(
        "weekly-statistics-10m",
        "stats_bench.py",
        (),
        ("--persons", "20000", "--events", "200000"),
        needs_postgres=True,
    ),
)


def machine() -> list[str]:
    """Lines describing where the figures were measured."""
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split("\n", 1)[0].split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    return [
        f"- Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()}",
        f"- {os.cpu_count()} CPUs ({platform.processor() or platform.machine()}){memory}",
        f"- Python {platform.python_version()}, {platform.system()} {platform.release()}",
        f"- View database: {'PostgreSQL' if os.environ.get(POSTGRES_VARIABLE) else 'SQLite'}",
    ]


def run(bench: Benchmark, quick: bool) -> tuple[str, float, int]:
    """The benchmark's Markdown output, its wall time, and its exit status."""
    args = bench.quick if quick else bench.full
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(BENCH / bench.script), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=BENCH.parent,
    )
    output = (
        done.stdout
        if done.returncode == 0
        else done.stdout + "\n```\n" + done.stderr[-3000:] + "\n```\n"
    )
    return output, time.perf_counter() - began, done.returncode


def main() -> None:
    """Run the benchmarks and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Small sizes (a smoke run).")
    parser.add_argument("--only", help="Comma-separated benchmark names.")
    parser.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    args = parser.parse_args()
    chosen = [b for b in BENCHMARKS if not args.only or b.name in args.only.split(",")]
    postgres = bool(os.environ.get(POSTGRES_VARIABLE))
    profile = "quick (smoke sizes; not the issue's figures)" if args.quick else "full"
    sections = ["# Benchmark results", "", *machine(), f"- Profile: {profile}", ""]
    failed = []
    for bench in chosen:
        if bench.needs_postgres and not postgres:
            sections += [
                f"## {bench.name}",
                "",
                "Skipped: CASESYNC_BENCH_DATABASE_URL is not set.",
                "",
            ]
            continue
        print(f"bench: {bench.name} ...", file=sys.stderr, flush=True)
        output, seconds, status = run(bench, args.quick)
        if status != 0:
            failed.append(bench.name)
        used = " ".join(bench.quick if args.quick else bench.full)
        comment = f"<!-- {bench.name}: {bench.script} {used}, {seconds:.0f} s, exit {status} -->"
        sections += [comment, output.strip(), ""]
    args.out.write_text("\n".join(sections) + "\n", encoding="utf-8")
    print(f"bench: wrote {args.out}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()

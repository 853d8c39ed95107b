"""Scale-out: 1, 2 and 4 `casesync consume` processes in one group, and proof of exactly once.

Run: `make bench` or `.venv/bin/python bench/scale_bench.py [--victims N] [--members 1,2,4]`.
Needs the local services (started if not running). A caseload is published once to 5 agency
topics of 6 partitions each (30 partitions); then, for each member count, a fresh view database
(CASESYNC_BENCH_DATABASE_URL's server, else SQLite, whose single writer makes extra members
pointless) and a fresh group drain it. Rates are from the processes' launch and from the first
commit to the last event applied. Exactly once: the view's tracking rows number the events
published, none repeated, and the members' own counts add up to it.
"""

from __future__ import annotations

import argparse
import signal
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from consume_bench import bench_database, bench_settings, publish_generated, raw_consume_rate
from lag_bench import start_consumers
from sqlalchemy import Engine, text

from consumers.database import upgrade
from infra.database import make_engine
from infra.settings import Settings


@dataclass(frozen=True)
class Drain:
    """One member count's run."""

    members: int
    from_launch_s: float
    from_first_commit_s: float
    per_member: list[int]
    tracking_rows: int
    distinct_events: int


def applied(engine: Engine) -> tuple[int, int]:
    """Tracking rows, and distinct event ids among them."""
    with engine.connect() as connection:
        rows, distinct = connection.execute(
            text("SELECT count(*), count(DISTINCT event_id) FROM applied_events")
        ).one()
    return int(rows), int(distinct)


def drain(settings: Settings, folder: Path, members: int, events: int, timeout_s: float) -> Drain:
    """Start ``members`` consumers on a fresh view and group; time them to the last event."""
    view = settings.model_copy(update={"database_url": bench_database(folder)})
    engine = make_engine(view)
    upgrade(engine)
    processes = start_consumers(view, f"scale-{members}-{uuid.uuid4().hex[:6]}", members)
    began = time.monotonic()
    first = None
    deadline = began + timeout_s
    while time.monotonic() < deadline:
        count = applied(engine)[0]
        if first is None and count > 0:
            first = time.monotonic()
        if count >= events:
            break
        time.sleep(0.2)
    done = time.monotonic()
    for process in processes:
        process.send_signal(signal.SIGTERM)
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    rows, distinct = applied(engine)
    engine.dispose()
    return Drain(
        members=members,
        from_launch_s=done - began,
        from_first_commit_s=done - (first or began),
        per_member=[int(out.split("applied ", 1)[1].split(",", 1)[0]) for out in outputs],
        tracking_rows=rows,
        distinct_events=distinct,
    )


def main() -> None:
    """Publish once, then drain with each member count."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--victims", type=int, default=6000)
    parser.add_argument("--members", default="1,2,4")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = bench_settings(Path(folder), "scale")
        events = publish_generated(settings, Path(folder), args.victims)
        raw, raw_events = raw_consume_rate(settings)
        drains = [
            drain(settings, Path(folder), int(n), events, args.timeout)
            for n in args.members.split(",")
        ]
        backend = make_engine(settings).url.get_backend_name()
    print(f"## Scale-out: consumer processes in one group ({events:,} events, {backend})")
    print()
    print(
        "| members | events/s from launch | events/s from first commit | speed-up "
        "| ratio to raw | events per member | exactly once |"
    )
    print("|---:|---:|---:|---:|---:|---|---|")
    single = events / drains[0].from_first_commit_s
    for run in drains:
        rate = events / run.from_first_commit_s
        once = (
            run.tracking_rows == run.distinct_events == events == sum(run.per_member)
            and raw_events == events
        )
        verdict = "yes" if once else f"NO: {run.tracking_rows} rows, {run.distinct_events} ids"
        print(
            f"| {run.members} | {events / run.from_launch_s:,.0f} | {rate:,.0f} "
            f"| {rate / single:.2f} | {rate / raw:.2f} "
            f"| {' + '.join(f'{n:,}' for n in run.per_member)} | {verdict} |"
        )
    print(f"| raw consume + decode (1 process) | | {raw:,.0f} | | 1.00 | {raw_events:,} | |")
    print()
    print(
        "Exactly once = tracking rows = distinct event ids = events published = the sum of the "
        "members' own `applied` counts. The speed-up is against 1 member, from first commit."
    )


if __name__ == "__main__":
    main()

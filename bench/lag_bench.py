"""Consumer lag under a sustained produce rate, with one or more `casesync consume` processes.

Run: `.venv/bin/python bench/lag_bench.py [--rate 5000] [--seconds 30] [--consumers 1]`.
Needs the local services (started if not running). The view goes to CASESYNC_BENCH_DATABASE_URL
(a fresh database on that PostgreSQL server), else a SQLite file. Events are a generated
caseload, encoded before the clock starts, then produced at ``--rate`` (agencies interleaved,
each agency's order kept) while the consumer processes apply them. Lag is the group's committed
offsets against the topics' ends, sampled every 2 s (the consumer commits every 5 s, so lag
reads up to 5 s of events high).
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from consume_bench import bench_settings

from consumers.database import upgrade
from consumers.operations import group_lag
from infra.clients import make_consumer, make_producer, make_registry_client
from infra.database import make_engine
from infra.security import ADMIN_ROLE, JOINT_VIEW_ROLE
from infra.settings import Settings
from producers.agencies import adapter_for
from producers.generate import EXPORT_FILES, generate
from producers.pipeline import map_rows
from schemas.codec import RegistryCodec
from schemas.topics import agency_topic, agency_topics

EVENTS_PER_VICTIM = 8.3  # measured on the generator's default mix
Message = tuple[str, bytes, bytes]


def encoded_caseload(folder: Path, codec: RegistryCodec, prefix: str) -> list[Message]:
    """Every event of the caseload as (topic, key, value), agencies interleaved."""
    per_agency: list[list[Message]] = []
    for agency, name in EXPORT_FILES.items():
        messages = []
        for _line, outcome in map_rows(adapter_for(agency), folder / name):
            if isinstance(outcome, list):
                for event in outcome:
                    topic = agency_topic(event.agency.code, prefix)
                    messages.append((topic, event.case_ref.encode(), codec.encode(topic, event)))
        per_agency.append(messages)
    mixed = itertools.chain.from_iterable(itertools.zip_longest(*per_agency))
    return [message for message in mixed if message is not None]


class LagSampler(threading.Thread):
    """Samples the group's total lag every ``every_s`` seconds until stopped."""

    def __init__(self, settings: Settings, group: str, topics: list[str], every_s: float) -> None:
        super().__init__(daemon=True)
        self._consumer = make_consumer(
            settings, JOINT_VIEW_ROLE, group_id=group
        )  # reads the group's commits
        self._topics, self._every_s = topics, every_s
        self.samples: list[tuple[float, int]] = []
        self.stop = threading.Event()
        self._began = time.monotonic()

    def run(self) -> None:
        """Sample until stopped."""
        while not self.stop.is_set():
            lag = sum(t.lag for t in group_lag(self._consumer, self._topics))
            self.samples.append((time.monotonic() - self._began, lag))
            self.stop.wait(self._every_s)
        self._consumer.close()

    def latest(self) -> int:
        """The last sampled lag (-1 before the first sample)."""
        return self.samples[-1][1] if self.samples else -1


def start_consumers(settings: Settings, group: str, count: int) -> list[subprocess.Popen[str]]:
    """``count`` `casesync consume` processes in one group; their summaries on stdout."""
    env = {
        **os.environ,
        "CASESYNC_KAFKA_BOOTSTRAP": settings.effective_kafka_bootstrap,
        "CASESYNC_SCHEMA_REGISTRY_URL": settings.effective_schema_registry_url,
        "CASESYNC_TOPIC_PREFIX": settings.topic_prefix,
        "CASESYNC_DATABASE_URL": settings.effective_database_url,
        "CASESYNC_CONSUMER_GROUP": group,
        "CASESYNC_METRICS_PORT": "0",
    }
    casesync = str(Path(sys.executable).with_name("casesync"))
    return [
        subprocess.Popen(
            [casesync, "consume"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(count)
    ]


def produce_at_rate(settings: Settings, messages: list[Message], rate: int) -> float:
    """Produce ``messages`` at ``rate`` per second; the seconds it took."""
    producer = make_producer(settings, ADMIN_ROLE, **{"linger.ms": 5})
    began = time.monotonic()
    for number, (topic, key, value) in enumerate(messages):
        ahead = began + number / rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
        while True:
            try:
                producer.produce(topic, value, key)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    producer.flush(60)
    return time.monotonic() - began


def print_report(
    title: str,
    *,
    produced: int,
    produced_s: float,
    drained_s: float | None,
    sampler: LagSampler,
    lag_at_end: int,
) -> None:
    """The benchmark's Markdown table."""
    peak = max(lag for _t, lag in sampler.samples)
    print(f"## {title}")
    print()
    print("| measure | value |")
    print("|---|---:|")
    print(f"| events produced | {produced:,} |")
    print(f"| producer rate achieved | {produced / produced_s:,.0f} events/s |")
    print(f"| lag when production ended ({produced_s:.0f} s) | {lag_at_end:,} |")
    print(f"| peak lag | {peak:,} |")
    if drained_s is None:
        print("| time to drain after production ended | not drained (timeout) |")
    else:
        print(f"| time to drain after production ended | {drained_s - produced_s:.0f} s |")
        print(f"| consumer throughput, start to drained | {produced / drained_s:,.0f} events/s |")
    step = max(len(sampler.samples) // 12, 1)
    trace = ", ".join(f"{t:.0f}s:{lag}" for t, lag in sampler.samples[::step])
    print()
    print(f"Lag samples (seconds since start: lag): {trace}")


def main() -> None:
    """Encode a caseload, start the consumers, produce at the rate, and watch the lag."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=5000, help="Events per second to produce.")
    parser.add_argument("--seconds", type=int, default=20, help="How long to produce.")
    parser.add_argument("--consumers", type=int, default=1, help="Consumer processes.")
    parser.add_argument("--drain-timeout", type=int, default=600)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = bench_settings(Path(folder), "lag")
        prefix = settings.topic_prefix
        group = f"lag-{uuid.uuid4().hex[:6]}"
        victims = int(args.rate * args.seconds / EVENTS_PER_VICTIM) + 1
        generate(Path(folder), weeks=12, victims=victims, seed=7, bad_row_rate=0.0)
        codec = RegistryCodec(make_registry_client(settings))
        messages = encoded_caseload(Path(folder), codec, prefix)[: args.rate * args.seconds]
        upgrade(make_engine(settings))
        consumers = start_consumers(settings, group, args.consumers)
        time.sleep(8)  # let the group form before the clock starts
        sampler = LagSampler(settings, group, agency_topics(prefix), every_s=2.0)
        sampler.start()
        produced_s = produce_at_rate(settings, messages, args.rate)
        lag_at_end = sampler.latest()
        deadline = time.monotonic() + args.drain_timeout
        while sampler.latest() != 0 and time.monotonic() < deadline:
            time.sleep(0.5)
        drained_s = sampler.samples[-1][0] if sampler.latest() == 0 else None
        sampler.stop.set()
        sampler.join(10)
        for process in consumers:
            process.send_signal(signal.SIGTERM)
        for process in consumers:
            process.communicate(timeout=60)
        backend = make_engine(settings).url.get_backend_name()
    title = (
        f"Lag under a sustained {args.rate:,} events/s ({backend}, {args.consumers} consumer(s))"
    )
    print_report(
        title,
        produced=len(messages),
        produced_s=produced_s,
        drained_s=drained_s,
        sampler=sampler,
        lag_at_end=lag_at_end,
    )


if __name__ == "__main__":
    main()

"""An export → events → Kafka: rejects written with row, field and reason; the rest published."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from infra.errors import ExportRowError
from producers.agencies import Adapter, adapter_for
from producers.generate import EXPORT_FILES
from producers.publisher import Publisher
from schemas.events import Envelope
from schemas.topics import DEFAULT_PREFIX, agency_topic


@dataclass(frozen=True)
class Reject:
    """One row that did not become events, and why (no personal values in ``reason``)."""

    row: int
    field: str
    reason: str


@dataclass
class PublishSummary:
    """What one run did with one export."""

    read: int = 0
    events: int = 0
    published: int = 0
    rejected: int = 0
    duplicates: int = 0
    dry_run: bool = False


def map_rows(adapter: Adapter, path: Path) -> Iterator[tuple[int, list[Envelope] | Reject]]:
    """Each row's events, or its Reject; a bad row never stops the rest of the file."""
    for number, row in adapter.rows(path):
        try:
            yield number, adapter.to_events(row)
        except ExportRowError as exc:
            yield number, Reject(number, exc.field, exc.reason)


def caseload_events(folder: Path, agencies: Iterable[str] | None = None) -> Iterator[Envelope]:
    """Every valid event of a generated caseload's exports (``agencies``: default all five)."""
    for agency in agencies if agencies is not None else EXPORT_FILES:
        for _line, outcome in map_rows(adapter_for(agency), folder / EXPORT_FILES[agency]):
            if isinstance(outcome, list):
                yield from outcome


def publish_export(
    adapter: Adapter,
    path: Path,
    publisher: Publisher | None,
    rejects_path: Path,
    *,
    on_row: Callable[[], None] = lambda: None,
    topic: str | None = None,
    topic_prefix: str = DEFAULT_PREFIX,
) -> PublishSummary:
    """Map every row, write rejects, publish the events (``publisher=None``: dry run).

    ``topic`` overrides the agency's topic (benchmarks and tests); agencies never set it.
    """
    summary = PublishSummary(dry_run=publisher is None)
    topic = topic or agency_topic(adapter.agency.code, topic_prefix)
    seen: set[str] = set()
    with rejects_path.open("w", encoding="utf-8", newline="") as handle:
        rejects = csv.writer(handle)
        rejects.writerow(["row", "field", "reason"])
        for _number, outcome in map_rows(adapter, path):
            summary.read += 1
            on_row()
            if isinstance(outcome, Reject):
                summary.rejected += 1
                rejects.writerow([outcome.row, outcome.field, outcome.reason])
                continue
            for event in outcome:
                summary.events += 1
                key = str(event.event_id)
                if key in seen:  # the same record version twice in one export
                    summary.duplicates += 1
                    continue
                seen.add(key)
                if publisher is not None:
                    publisher.publish(topic, event)
    if publisher is not None:
        summary.published = len(publisher.flush())
    return summary


def publish_caseload(
    folder: Path,
    publisher: Publisher,
    *,
    topic: str | None = None,
    topic_prefix: str = DEFAULT_PREFIX,
) -> int:
    """Publish every agency export of a generated caseload; return how many were delivered."""
    delivered = 0
    for agency, name in EXPORT_FILES.items():
        summary = publish_export(
            adapter_for(agency),
            folder / name,
            publisher,
            folder / f"{name}.rejects.csv",
            topic=topic,
            topic_prefix=topic_prefix,
        )
        delivered += summary.published
    return delivered

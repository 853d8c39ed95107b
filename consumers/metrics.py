"""Prometheus metrics of `casesync consume` (served on 127.0.0.1:<CASESYNC_METRICS_PORT>)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from confluent_kafka import Consumer
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from schemas.events import Envelope

LAG_REFRESH_S = 5.0
log = logging.getLogger(__name__)


class ConsumerMetrics:
    """Counters, a latency histogram and per-partition lag, on a registry of their own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.applied = Counter(
            "casesync_events_applied",
            "Events applied to the joint view",
            ["agency"],
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "casesync_dead_letters",
            "Messages sent to the dead-letter topic",
            ["error_type"],
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "casesync_batch_seconds",
            "Time to decode, apply and commit one batch",
            registry=self.registry,
        )
        self.changes_published = Counter(
            "casesync_changes_published",
            "Joint-view change records published to the change stream",
            registry=self.registry,
        )
        self.lag = Gauge(
            "casesync_consumer_lag",
            "Messages behind the end of each partition",
            ["topic", "partition"],
            registry=self.registry,
        )
        self._lag_checked = 0.0

    def serve(self, port: int) -> bool:
        """Expose /metrics on loopback; False (and a warning) if the port is taken.

        A second consumer on the same host must still consume; it just has no endpoint.
        """
        try:
            start_http_server(port, addr="127.0.0.1", registry=self.registry)
        except OSError as exc:
            log.warning("metrics not served: 127.0.0.1:%s is in use (%s)", port, exc)
            return False
        return True

    def batch_done(
        self, events: Sequence[Envelope], dead_letter_types: Sequence[str], seconds: float
    ) -> None:
        """Record one committed batch."""
        for event in events:
            self.applied.labels(event.agency.code).inc()
        for error_type in dead_letter_types:
            self.dead_letters.labels(error_type).inc()
        self.batch_seconds.observe(seconds)

    def observe_lag(self, consumer: Consumer) -> None:
        """Refresh lag from cached watermarks, at most every few seconds."""
        now = time.monotonic()
        if now - self._lag_checked < LAG_REFRESH_S:
            return
        self._lag_checked = now
        assignment = consumer.assignment()
        if not assignment:
            return
        for position in consumer.position(assignment):
            low, high = consumer.get_watermark_offsets(position, cached=True)
            current = position.offset if position.offset >= 0 else low
            self.lag.labels(position.topic, str(position.partition)).set(max(high - current, 0))

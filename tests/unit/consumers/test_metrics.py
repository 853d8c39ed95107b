"""What `casesync consume` exposes to Prometheus after a batch."""

from __future__ import annotations

from prometheus_client import generate_latest

from consumers.metrics import ConsumerMetrics
from schemas.examples import all_examples


def test_a_batch_counts_events_per_agency_dead_letters_and_latency() -> None:
    metrics = ConsumerMetrics()
    events = all_examples()

    metrics.batch_done(events, ["CodecError", "CodecError", "AgencyTopicMismatch"], 0.25)

    text = generate_latest(metrics.registry).decode()
    uk_sca = sum(1 for e in events if e.agency.code == "uk-sca")
    assert f'casesync_events_applied_total{{agency="uk-sca"}} {float(uk_sca)}' in text
    assert 'casesync_dead_letters_total{error_type="CodecError"} 2.0' in text
    assert 'casesync_dead_letters_total{error_type="AgencyTopicMismatch"} 1.0' in text
    assert "casesync_batch_seconds_count 1.0" in text
    assert "casesync_batch_seconds_sum 0.25" in text


def test_each_consumer_has_its_own_registry() -> None:
    first, second = ConsumerMetrics(), ConsumerMetrics()
    first.batch_done(all_examples()[:1], [], 0.1)

    assert "casesync_batch_seconds_count 0.0" in generate_latest(second.registry).decode()

"""The metrics endpoint on a real socket."""

from __future__ import annotations

import socket

import pytest

from consumers.metrics import ConsumerMetrics

pytestmark = pytest.mark.integration


def test_a_taken_port_turns_metrics_off_instead_of_failing() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        assert ConsumerMetrics().serve(port) is False

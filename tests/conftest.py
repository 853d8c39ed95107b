"""Shared test rules: with CI=true a missing service fails the run; locally it skips, loudly."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def service_missing(reason: str) -> NoReturn:
    """Fail under CI (a missing service is a broken run), skip with the reason elsewhere."""
    if IN_CI:
        pytest.fail(f"required service missing under CI=true: {reason}", pytrace=False)
    pytest.skip(f"service missing: {reason}")

"""What a reader is told beside a record, per SIENA handling code."""

from __future__ import annotations

from schemas.vocabulary import (
    NO_ONWARD_DISSEMINATION,
    NOT_FOR_JUDICIAL_USE,
    handling_notice,
    onward,
)


def test_each_code_has_its_notice() -> None:
    assert handling_notice("H0") is None
    assert handling_notice("H1") == NOT_FOR_JUDICIAL_USE
    assert "not for judicial use" in NOT_FOR_JUDICIAL_USE
    assert handling_notice("H2") == NO_ONWARD_DISSEMINATION
    assert handling_notice("H3", "UK officers only") == "H3: UK officers only"
    assert handling_notice("H3", None).startswith("H3: restricted")  # type: ignore[union-attr]
    assert handling_notice(None) is None


def test_only_h2_stays_in_the_view() -> None:
    assert [code for code in ("H0", "H1", "H2", "H3", None) if not onward(code)] == ["H2"]

from __future__ import annotations

from pathlib import Path

from schemas.catalog import event_schemas
from schemas.docs import render_events_markdown
from schemas.events import Envelope

PAGE = Path(__file__).resolve().parents[3] / "docs" / "events.md"


def test_docs_events_md_is_what_casesync_schemas_docs_renders() -> None:
    rendered = render_events_markdown(event_schemas(), len(Envelope.model_fields))

    assert PAGE.read_text() == rendered, "run: casesync schemas docs"


def test_every_event_has_a_section() -> None:
    page = PAGE.read_text()

    for name in event_schemas():
        assert f"## {name}\n" in page

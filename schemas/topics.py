"""Topic names: part of the contract downstream subscribers rely on."""

from __future__ import annotations

from infra.topics import TopicSpec

AGENCY_CODES = ("uk-police", "uk-sca", "ro-anitp", "ro-police", "ro-diicot")
AGENCY_TOPIC_PREFIX = "casesync.events."
DEAD_LETTER_TOPIC = "casesync.dlq"
AGENCY_TOPIC_PARTITIONS = 6


def agency_topic(agency_code: str) -> str:
    """The topic an agency publishes its events to, e.g. ``casesync.events.uk-police``."""
    if agency_code not in AGENCY_CODES:
        raise ValueError(f"unknown agency code {agency_code!r}; expected one of {AGENCY_CODES}")
    return AGENCY_TOPIC_PREFIX + agency_code


def agency_topics() -> list[str]:
    """Every agency's event topic."""
    return [agency_topic(code) for code in AGENCY_CODES]


def contract_topics() -> list[TopicSpec]:
    """Every topic casesync creates: one per agency, and the dead-letter topic."""
    topics = [TopicSpec(topic, AGENCY_TOPIC_PARTITIONS) for topic in agency_topics()]
    topics.append(TopicSpec(DEAD_LETTER_TOPIC, 1))
    return topics

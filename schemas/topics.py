"""Topic names: part of the contract downstream subscribers rely on.

Every name starts with a prefix (setting ``CASESYNC_TOPIC_PREFIX``, default ``casesync.``), so
one broker can hold several isolated pipelines (tests, staging) side by side.
"""

from __future__ import annotations

import re

from infra.topics import TopicSpec

AGENCY_CODES = ("uk-police", "uk-sca", "ro-anitp", "ro-police", "ro-diicot")
DEFAULT_PREFIX = "casesync."
AGENCY_TOPIC_PARTITIONS = 6


def agency_topic(agency_code: str, prefix: str = DEFAULT_PREFIX) -> str:
    """The topic an agency publishes its events to, e.g. ``casesync.events.uk-police``."""
    if agency_code not in AGENCY_CODES:
        raise ValueError(f"unknown agency code {agency_code!r}; expected one of {AGENCY_CODES}")
    return f"{prefix}events.{agency_code}"


def agency_topics(prefix: str = DEFAULT_PREFIX) -> list[str]:
    """Every agency's event topic."""
    return [agency_topic(code, prefix) for code in AGENCY_CODES]


def agency_topic_pattern(prefix: str = DEFAULT_PREFIX) -> str:
    """The subscription regex for every agency topic (librdkafka: a leading ^ means regex)."""
    return f"^{re.escape(prefix)}events\\..*"


def agency_code_of_topic(topic: str, prefix: str = DEFAULT_PREFIX) -> str | None:
    """The agency code a topic belongs to, or None if it is not an agency topic."""
    head = f"{prefix}events."
    code = topic[len(head) :] if topic.startswith(head) else None
    return code if code in AGENCY_CODES else None


def dead_letter_topic(prefix: str = DEFAULT_PREFIX) -> str:
    """Where the consumer puts what it cannot apply."""
    return f"{prefix}dlq"


def joint_view_changes_topic(prefix: str = DEFAULT_PREFIX) -> str:
    """The change stream of the joint view (compacted, keyed by joint case)."""
    return f"{prefix}joint-view.changes"


def person_links_topic(prefix: str = DEFAULT_PREFIX) -> str:
    """Persons found by matching, with their (pseudonymous) records (compacted, by person)."""
    return f"{prefix}person-links"


def weekly_statistics_topic(prefix: str = DEFAULT_PREFIX) -> str:
    """Public weekly statistics after disclosure control (compacted, by figure)."""
    return f"{prefix}stats.weekly"


def downstream_topics(prefix: str = DEFAULT_PREFIX) -> dict[str, str]:
    """Topics casesync derives for downstream subscribers, with their record's name."""
    return {
        joint_view_changes_topic(prefix): "JointViewChanged",
        person_links_topic(prefix): "PersonLinksChanged",
        weekly_statistics_topic(prefix): "WeeklyStatistic",
    }


def contract_topics(prefix: str = DEFAULT_PREFIX) -> list[TopicSpec]:
    """Every topic casesync creates: per agency, dead letters, and the derived topics."""
    topics = [TopicSpec(topic, AGENCY_TOPIC_PARTITIONS) for topic in agency_topics(prefix)]
    topics.append(TopicSpec(dead_letter_topic(prefix), 1))
    # Compacted: the latest record per key is the key's state, kept for ever.
    compacted = {"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.1"}
    for topic in downstream_topics(prefix):
        topics.append(TopicSpec(topic, AGENCY_TOPIC_PARTITIONS, compacted))
    return topics

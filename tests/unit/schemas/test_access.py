"""The ACL rules of a pipeline: who may read and write which topic."""

from __future__ import annotations

from confluent_kafka.admin import AclOperation, ResourceType

from infra.security import ADMIN_ROLE, DOWNSTREAM_ROLE, FLOWS_ROLE, JOINT_VIEW_ROLE, agency_role
from schemas.access import client_roles, pipeline_grants
from schemas.topics import (
    AGENCY_CODES,
    agency_topic,
    agency_topics,
    contract_topics,
    dead_letter_topic,
    downstream_topics,
)

PREFIX = "p1."


def _may(role: str, operation: AclOperation, topic: str) -> bool:
    """Whether the grants let ``role`` do ``operation`` on ``topic`` (literal or prefix match)."""
    for grant in pipeline_grants(PREFIX):
        if grant.role != role or grant.resource != ResourceType.TOPIC:
            continue
        matches = topic.startswith(grant.name) if grant.prefixed else topic == grant.name
        if matches and grant.operation == operation:
            return True
    return False


def _every_topic() -> list[str]:
    return [spec.name for spec in contract_topics(PREFIX)]


def test_an_agency_writes_only_its_own_topic_and_reads_nothing() -> None:
    for code in AGENCY_CODES:
        role = agency_role(code)
        written = [t for t in _every_topic() if _may(role, AclOperation.WRITE, t)]
        read = [t for t in _every_topic() if _may(role, AclOperation.READ, t)]

        assert written == [agency_topic(code, PREFIX)]
        assert read == []


def test_the_consumer_reads_agency_topics_and_writes_derived_ones_and_the_dlq() -> None:
    for topic in agency_topics(PREFIX):
        assert _may(JOINT_VIEW_ROLE, AclOperation.READ, topic)
        assert not _may(JOINT_VIEW_ROLE, AclOperation.WRITE, topic)
    assert _may(JOINT_VIEW_ROLE, AclOperation.WRITE, dead_letter_topic(PREFIX))
    assert _may(JOINT_VIEW_ROLE, AclOperation.WRITE, f"{PREFIX}joint-view.changes")


def test_the_downstream_reader_reads_derived_topics_only() -> None:
    readable = {t for t in _every_topic() if _may(DOWNSTREAM_ROLE, AclOperation.READ, t)}

    assert readable == set(downstream_topics(PREFIX))
    assert not any(_may(DOWNSTREAM_ROLE, AclOperation.WRITE, t) for t in _every_topic())


def test_the_flows_write_person_links_and_statistics_and_read_no_topic() -> None:
    written = {t for t in _every_topic() if _may(FLOWS_ROLE, AclOperation.WRITE, t)}

    assert written == {f"{PREFIX}person-links", f"{PREFIX}stats.weekly"}
    assert not any(_may(FLOWS_ROLE, AclOperation.READ, t) for t in _every_topic())


def test_no_grant_reaches_another_pipeline_and_the_admin_needs_none() -> None:
    for grant in pipeline_grants(PREFIX):
        assert grant.role != ADMIN_ROLE
        if grant.resource == ResourceType.TOPIC:
            assert grant.name.startswith(PREFIX)
    assert len(set(client_roles())) == len(client_roles()) == 4 + len(AGENCY_CODES)

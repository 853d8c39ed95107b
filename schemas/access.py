"""Who may read and write which topic: the broker ACLs of one pipeline (a topic prefix).

An agency writes only its own topic and reads nothing; the joint-view consumer reads the agency
topics and person links and writes the dead letters and the change stream; the flows write the
person links and the statistics; a downstream reader reads the derived topics only. The admin is
a super user (`infra up`, `dlq`), so it needs no rule here.
"""

from __future__ import annotations

from confluent_kafka.admin import AclOperation, AdminClient, ResourceType

from infra.security import (
    ADMIN_ROLE,
    DOWNSTREAM_ROLE,
    FLOWS_ROLE,
    JOINT_VIEW_ROLE,
    Grant,
    agency_role,
    ensure_credentials_file,
    upsert_scram_users,
)
from infra.settings import Settings
from schemas.topics import (
    AGENCY_CODES,
    agency_topic,
    dead_letter_topic,
    downstream_topics,
    joint_view_changes_topic,
    person_links_topic,
    weekly_statistics_topic,
)

# Consumer groups are named freely (tests, tools, downstream teams): any group, topics decide.
ANY_GROUP = "*"


def client_roles() -> list[str]:
    """Every role a casesync client can play (each is one SCRAM principal)."""
    agencies = [agency_role(code) for code in AGENCY_CODES]
    return [ADMIN_ROLE, *agencies, JOINT_VIEW_ROLE, FLOWS_ROLE, DOWNSTREAM_ROLE]


def _writes(role: str, topic: str) -> list[Grant]:
    return [
        Grant(role, ResourceType.TOPIC, topic, AclOperation.WRITE),
        Grant(role, ResourceType.TOPIC, topic, AclOperation.DESCRIBE),
    ]


def _reads(role: str, topic: str, prefixed: bool = False) -> list[Grant]:
    return [
        Grant(role, ResourceType.TOPIC, topic, AclOperation.READ, prefixed),
        Grant(role, ResourceType.TOPIC, topic, AclOperation.DESCRIBE, prefixed),
    ]


def pipeline_grants(prefix: str) -> list[Grant]:
    """The ACL rules of the pipeline whose topics start with ``prefix``."""
    grants: list[Grant] = []
    for code in AGENCY_CODES:
        grants += _writes(agency_role(code), agency_topic(code, prefix))
    grants += _reads(JOINT_VIEW_ROLE, f"{prefix}events.", prefixed=True)
    grants += _reads(JOINT_VIEW_ROLE, person_links_topic(prefix))
    grants += _writes(JOINT_VIEW_ROLE, dead_letter_topic(prefix))
    grants += _writes(JOINT_VIEW_ROLE, joint_view_changes_topic(prefix))
    grants += _writes(FLOWS_ROLE, person_links_topic(prefix))
    grants += _writes(FLOWS_ROLE, weekly_statistics_topic(prefix))
    for topic in downstream_topics(prefix):
        grants += _reads(DOWNSTREAM_ROLE, topic)
    for role in (JOINT_VIEW_ROLE, DOWNSTREAM_ROLE):
        grants.append(Grant(role, ResourceType.GROUP, ANY_GROUP, AclOperation.READ))
    return grants


def install_principals(admin: AdminClient, settings: Settings) -> None:
    """Give every role a password in the local credentials file and a SCRAM user on the broker."""
    password_of = ensure_credentials_file(settings.resolved_kafka_credentials_file, client_roles())
    # The admin's credential was seeded when storage was formatted (it is the one in use).
    upsert_scram_users(admin, {r: p for r, p in password_of.items() if r != ADMIN_ROLE})

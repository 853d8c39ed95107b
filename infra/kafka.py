"""Apache Kafka 4.x in KRaft mode (one combined broker+controller) from Maven Central jars."""

from __future__ import annotations

import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from infra.clients import quiet_client_config
from infra.errors import InfraError
from infra.maven import run_maven
from infra.security import (
    ADMIN_ROLE,
    CONTROLLER_ROLE,
    SCRAM_MECHANISM,
    Credentials,
    ensure_credentials_file,
    principal,
    principal_name,
    sasl_config,
)
from infra.service import LocalService, mark_done, marker_done
from infra.settings import LOOPBACK, Settings
from infra.tools import find_java

KAFKA_MAIN_CLASS = "kafka.Kafka"
STORAGE_TOOL_CLASS = "kafka.tools.StorageTool"


def _jaas(module: str, username: str, password: str, **users: str) -> str:
    options = [f'username="{username}"', f'password="{password}"']
    options += [f'user_{user}="{secret}"' for user, secret in users.items()]
    return f"org.apache.kafka.common.security.{module} required {' '.join(options)};"


def server_properties(
    settings: Settings, data_dir: Path, admin: Credentials, controller: Credentials
) -> str:
    """The broker's server.properties: single-node KRaft on loopback, SASL and ACLs on.

    Clients and the broker itself use SCRAM-SHA-512 on the CLIENT listener; the broker reaches
    its controller over SASL/PLAIN with a static user that only this file knows.
    """
    port, cport = settings.kafka_port, settings.kafka_controller_port
    admin_password = admin.password.get_secret_value()
    controller_password = controller.password.get_secret_value()
    lines = {
        "process.roles": "broker,controller",
        "node.id": "1",
        # Static quorum; storage is therefore formatted without --standalone.
        "controller.quorum.voters": f"1@{LOOPBACK}:{cport}",
        "listeners": f"CLIENT://{LOOPBACK}:{port},CONTROLLER://{LOOPBACK}:{cport}",
        "advertised.listeners": f"CLIENT://{LOOPBACK}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "CLIENT",
        "listener.security.protocol.map": "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
        "sasl.enabled.mechanisms": SCRAM_MECHANISM,
        "sasl.mechanism.inter.broker.protocol": SCRAM_MECHANISM,
        "listener.name.client.scram-sha-512.sasl.jaas.config": _jaas(
            "scram.ScramLoginModule", admin.username, admin_password
        ),
        # SCRAM users live in the metadata log, which the controller must read first: PLAIN.
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config": _jaas(
            "plain.PlainLoginModule",
            controller.username,
            controller_password,
            **{controller.username: controller_password},
        ),
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": f"{principal(ADMIN_ROLE)};{principal(CONTROLLER_ROLE)}",
        "allow.everyone.if.no.acl.found": "false",
        "log.dirs": str(data_dir),
        # Topics are created explicitly by casesync; a typo must not create a topic.
        "auto.create.topics.enable": "false",
        "num.partitions": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "10",
        # Without these, init_transactions() hangs ~120 s on a single broker.
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        # Events are the record of every case: the local broker never ages them out.
        "log.retention.ms": "-1",
    }
    return "".join(f"{key}={value}\n" for key, value in lines.items())


def kafka_answers(bootstrap: str, credentials: Credentials | None = None) -> bool:
    """True if a broker at ``bootstrap`` answers a metadata request within about a second."""
    admin = AdminClient({**quiet_client_config(bootstrap), **sasl_config(credentials)})
    try:
        metadata = admin.list_topics(timeout=1)
    except KafkaException:
        return False
    return len(metadata.brokers) > 0


class KafkaService(LocalService):
    """The local broker: classpath resolved by Maven, storage formatted once, pid-tracked."""

    name = "kafka"

    @property
    def address(self) -> str:
        """bootstrap.servers of the local broker."""
        return self.settings.local_kafka_bootstrap

    @property
    def libs_dir(self) -> Path:
        """The resolved classpath folder (shared cache, one per Kafka version)."""
        return self.settings.resolved_cache_dir / f"kafka-{self.settings.kafka_version}" / "libs"

    @property
    def data_dir(self) -> Path:
        """The broker's log.dirs."""
        return self.home / "data"

    @property
    def properties_file(self) -> Path:
        """The generated server.properties."""
        return self.home / "server.properties"

    @property
    def admin_credentials(self) -> Credentials:
        """The super user the broker and `infra up` use (seeded into storage at format time)."""
        return self._credentials(ADMIN_ROLE)

    def _credentials(self, role: str) -> Credentials:
        file = self.settings.resolved_kafka_credentials_file
        password_of = ensure_credentials_file(file, (ADMIN_ROLE, CONTROLLER_ROLE))
        return Credentials(principal_name(role), password_of[role])

    def prepare(self) -> None:
        """Resolve the jars, write the config and format storage (each only once)."""
        java = find_java(self.settings.java_home)
        self._resolve_classpath()
        self.home.mkdir(parents=True, exist_ok=True)
        if (self.data_dir / "meta.properties").is_file() and not self.sasl_marker.is_file():
            raise InfraError(
                f"the broker storage in {self.data_dir} was formatted without SASL credentials; "
                f"delete {self.home} (its events are lost) and run `casesync infra up` again"
            )
        properties = server_properties(
            self.settings, self.data_dir, self.admin_credentials, self._credentials(CONTROLLER_ROLE)
        )
        descriptor = os.open(self.properties_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:  # it holds the broker's own passwords
            handle.write(properties)
        log4j = self.home / "log4j2.properties"
        log4j.write_text(
            resources.files("infra").joinpath("resources/kafka-log4j2.properties").read_text()
        )
        if not (self.data_dir / "meta.properties").is_file():
            self._format_storage(java)
            self.sasl_marker.write_text("SCRAM-SHA-512 admin seeded at format time\n")

    @property
    def sasl_marker(self) -> Path:
        """Written once storage is formatted with the admin's SCRAM credential."""
        return self.home / "sasl-formatted"

    def command(self) -> list[str]:
        """The JVM line the release scripts use, trimmed."""
        java = find_java(self.settings.java_home)
        return [
            str(java),
            f"-Xmx{self.settings.kafka_heap}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dkafka.logs.dir={self.home / 'logs'}",
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
            "-cp",
            f"{self.libs_dir}/*",
            KAFKA_MAIN_CLASS,
            str(self.properties_file),
        ]

    def is_ready(self) -> bool:
        """True if the broker answers the admin's metadata request."""
        file = self.settings.resolved_kafka_credentials_file
        if not file.exists():
            return False
        return kafka_answers(self.address, self.admin_credentials)

    def _resolve_classpath(self) -> None:
        folder = self.libs_dir.parent
        if marker_done(folder):
            return
        shutil.rmtree(self.libs_dir, ignore_errors=True)
        pom = folder / "pom.xml"
        folder.mkdir(parents=True, exist_ok=True)
        pom.write_text(resources.files("infra").joinpath("resources/kafka-pom.xml").read_text())
        run_maven(
            [
                "-f",
                str(pom),
                f"-Dkafka.version={self.settings.kafka_version}",
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={self.libs_dir}",
            ],
            cwd=folder,
        )
        mark_done(folder)

    def _format_storage(self, java: Path) -> None:
        classpath = ["-cp", f"{self.libs_dir}/*", STORAGE_TOOL_CLASS]
        cluster_id = self._storage_tool(java, [*classpath, "random-uuid"]).strip().splitlines()[-1]
        admin = self.admin_credentials
        secret = admin.password.get_secret_value()
        scram = f"{SCRAM_MECHANISM}=[name={admin.username},password={secret}]"
        self._storage_tool(
            java,
            [
                *classpath,
                "format",
                "-t",
                cluster_id,
                "-c",
                str(self.properties_file),
                "-g",
                "--add-scram",
                scram,
            ],
        )

    def _storage_tool(self, java: Path, args: list[str]) -> str:
        done = subprocess.run(
            [str(java), *args], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise InfraError(
                f"kafka StorageTool {args[3]} failed (exit {done.returncode}): "
                f"{(done.stdout + done.stderr).strip()[-2000:]}"
            )
        return done.stdout

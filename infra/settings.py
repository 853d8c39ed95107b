"""Settings for every casesync process: frozen, read from ``CASESYNC_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

LOOPBACK = "127.0.0.1"


class Settings(BaseSettings):
    """One immutable bag of configuration, built once per process and passed down explicitly."""

    model_config = SettingsConfigDict(env_prefix="CASESYNC_", frozen=True, extra="ignore")

    state_dir: Path = Field(
        default_factory=lambda: Path.cwd() / ".casesync",
        description="Folder for the local services' data, logs and pid files.",
    )
    cache_dir: Path | None = Field(
        default=None,
        description="Folder for downloaded jars and distributions; default <state_dir>/cache.",
    )
    kafka_bootstrap: str | None = Field(
        default=None,
        description="bootstrap.servers of an external broker; unset means the local launcher's.",
    )
    kafka_username: str | None = Field(
        default=None,
        description="SCRAM user every client of this process authenticates as; unset: each "
        "client takes its role's principal from the credentials file.",
    )
    kafka_password: SecretStr | None = Field(
        default=None, description="Password of CASESYNC_KAFKA_USERNAME."
    )
    kafka_credentials_file: Path | None = Field(
        default=None,
        description="JSON file of the local broker's passwords per role (0600), written by "
        "`casesync infra up`; default <state_dir>/kafka/credentials.json.",
    )
    kafka_port: int = Field(default=19092, description="Local broker's client port (SASL).")
    kafka_controller_port: int = Field(default=19093, description="Local KRaft controller port.")
    kafka_version: str = Field(default="4.1.1", description="org.apache.kafka:kafka_2.13 version.")
    kafka_heap: str = Field(default="512m", description="Local broker's -Xmx.")
    schema_registry_url: str | None = Field(
        default=None,
        description="Confluent-compatible registry URL; unset means the local Apicurio's.",
    )
    registry_port: int = Field(default=18081, description="Local schema registry's HTTP port.")
    registry_version: str = Field(
        default="3.0.9",
        description="io.apicurio:apicurio-registry-app version (3.0.x runs on Java 17).",
    )
    registry_heap: str = Field(default="512m", description="Local schema registry's -Xmx.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the joint view; unset: SQLite at <state_dir>/casesync.db.",
    )
    prefect_port: int = Field(default=4200, description="Port of `casesync infra up --prefect`.")
    java_home: Path | None = Field(
        default=None, description="JDK to run Kafka and the registry; default java on PATH."
    )
    topic_prefix: str = Field(
        default="casesync.",
        description="Prefix of every topic name (isolates pipelines sharing a broker).",
    )
    consumer_group: str = Field(
        default="casesync-joint-view", description="Consumer group of `casesync consume`."
    )
    consumer_batch_size: int = Field(
        default=500, ge=1, description="Most events applied in one database transaction."
    )
    consumer_session_timeout_ms: int = Field(
        default=45_000,
        ge=6_000,
        le=300_000,
        description="How long the group waits for a silent `casesync consume` (killed, hung) "
        "before its partitions go to another member (session.timeout.ms; the broker's range "
        "is 6 s to 300 s).",
    )
    metrics_port: int = Field(
        default=9464, description="Prometheus metrics port of `casesync consume` (0: off)."
    )
    api_host: str = Field(
        default="127.0.0.1", description="Interface the read API (`casesync api`) listens on."
    )
    api_port: int = Field(default=8088, description="Port of the read API (`casesync api`).")
    match_link_threshold: float = Field(
        default=0.95,
        gt=0,
        lt=1,
        description="Match probability at or above which two person records are one person.",
    )
    match_review_threshold: float = Field(
        default=0.5,
        gt=0,
        lt=1,
        description="Match probability from which a pair below the link threshold is reviewed.",
    )
    match_backend: Literal["duckdb", "spark"] = Field(
        default="duckdb",
        description="Where person matching runs: DuckDB in-process, or Spark in local mode.",
    )
    pseudonym_key: SecretStr | None = Field(
        default=None,
        description="Secret for pseudonymous record keys on downstream topics (HMAC-SHA256); "
        "default: a random key kept in <state dir>/pseudonym.key.",
    )
    stats_k: int = Field(
        default=11,
        ge=2,
        description="Disclosure threshold of the public statistics: counts 1 to k-1 are "
        "suppressed (CTDC's k = 11).",
    )
    reports_dir: Path | None = Field(
        default=None,
        description="Where `casesync stats` writes CSV files and HTML reports; "
        "unset: <state dir>/reports.",
    )
    startup_timeout_s: float = Field(
        default=60.0, description="How long a local service may take to become ready."
    )

    @property
    def resolved_cache_dir(self) -> Path:
        """Where downloads are kept (shared across state folders when set explicitly)."""
        return self.cache_dir if self.cache_dir is not None else self.state_dir / "cache"

    @property
    def local_kafka_bootstrap(self) -> str:
        """bootstrap.servers of the broker the launcher runs."""
        return f"{LOOPBACK}:{self.kafka_port}"

    @property
    def resolved_kafka_credentials_file(self) -> Path:
        """Where the local broker's passwords per role are kept."""
        if self.kafka_credentials_file is not None:
            return self.kafka_credentials_file
        return self.state_dir / "kafka" / "credentials.json"

    @property
    def effective_kafka_bootstrap(self) -> str:
        """The broker clients connect to: the external one if configured, else the local one."""
        return self.kafka_bootstrap or self.local_kafka_bootstrap

    @property
    def local_schema_registry_url(self) -> str:
        """Confluent-compatible API of the registry the launcher runs."""
        return f"http://{LOOPBACK}:{self.registry_port}/apis/ccompat/v7"

    @property
    def effective_schema_registry_url(self) -> str:
        """The registry clients use: the external one if configured, else the local one."""
        return self.schema_registry_url or self.local_schema_registry_url

    @property
    def effective_database_url(self) -> str:
        """The joint view's database URL (SQLite file in the state folder by default)."""
        return self.database_url or f"sqlite:///{self.state_dir / 'casesync.db'}"

    @property
    def prefect_api_url(self) -> str:
        """API URL of the Prefect server `casesync infra up --prefect` starts."""
        return f"http://{LOOPBACK}:{self.prefect_port}/api"

    @property
    def resolved_reports_dir(self) -> Path:
        """The reports folder (one sub-folder per ISO week)."""
        return self.reports_dir if self.reports_dir is not None else self.state_dir / "reports"

    @property
    def prefect_home(self) -> Path:
        """PREFECT_HOME for casesync's processes: inside the state folder, never ~/.prefect."""
        return self.state_dir / "prefect"

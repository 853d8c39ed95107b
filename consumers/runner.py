"""The joint-view consumer loop: poll → decode → validate → apply → commit → dead letters → store.

Offsets are stored only after the view transaction has committed (and dead letters are flushed),
so a crash anywhere re-delivers what was not yet durable; the tracking table skips what was.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from consumers.apply import BatchResult, apply_batch
from consumers.changes import ChangeRelay
from consumers.handlers import AppliedEvent, PersonLinks
from consumers.metrics import ConsumerMetrics
from infra.clients import raise_if_refused
from infra.errors import CasesyncError, CodecError, RegistryUnavailableError
from schemas.codec import RegistryCodec
from schemas.topics import (
    agency_code_of_topic,
    agency_topic_pattern,
    dead_letter_topic,
    person_links_topic,
)

log = logging.getLogger(__name__)

HANDLER_ATTEMPTS = 3
Item = tuple[Message, AppliedEvent | PersonLinks]
MAX_BACKOFF_S = 30.0


@dataclass
class ConsumerStats:
    """Running totals of one consumer process."""

    applied: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    batches: int = 0
    database_retries: int = 0
    registry_retries: int = 0
    changes_published: int = 0
    relay_failures: int = 0


@dataclass(frozen=True)
class DeadLetter:
    """A message the consumer could not apply, and why (no personal values in ``reason``)."""

    message: Message
    error_type: str
    reason: str


class DatabaseUnavailable(CasesyncError):
    """The view's database did not accept the batch; nothing was stored."""


class JointViewConsumer:
    """Keeps the joint view equal to what the agency topics say."""

    def __init__(
        self,
        consumer: Consumer,
        codec: RegistryCodec,
        engine: Engine,
        dead_letters: Producer,
        *,
        topic_prefix: str,
        batch_size: int,
        metrics: ConsumerMetrics | None = None,
        relay: ChangeRelay | None = None,
    ) -> None:
        self._consumer, self._codec, self._engine = consumer, codec, engine
        self._relay = relay
        self._dead_letters = dead_letters
        self._prefix, self._batch_size = topic_prefix, batch_size
        self._person_links = person_links_topic(topic_prefix)
        self._metrics = metrics
        self._backoff = 0.5
        self.stats = ConsumerStats()

    def run(
        self, should_stop: Callable[[], bool], exit_when_caught_up: bool = False
    ) -> ConsumerStats:
        """Consume until ``should_stop()`` (or, if asked, until every partition is caught up)."""
        self._consumer.subscribe(
            [agency_topic_pattern(self._prefix), person_links_topic(self._prefix)],
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )
        try:
            while not should_stop():
                messages = self._consumer.consume(self._batch_size, timeout=1.0)
                if messages:
                    self._handle(messages, should_stop)
                elif exit_when_caught_up and self._caught_up():
                    self._relay_changes()
                    break
                self._relay_changes()
                if self._metrics is not None:
                    self._metrics.observe_lag(self._consumer)
        finally:
            self._consumer.close()  # commits the offsets stored so far
            self._dead_letters.flush(30)
        return self.stats

    def _relay_changes(self) -> None:
        """Publish committed changes; on failure they stay in the outbox for the next round."""
        if self._relay is None:
            return
        try:
            published = self._relay.relay()
        except (CasesyncError, OperationalError, DBAPIError) as exc:
            self.stats.relay_failures += 1
            log.warning("change stream relay failed; changes kept in the outbox: %s", exc)
            return
        self.stats.changes_published += published
        if self._metrics is not None and published:
            self._metrics.changes_published.inc(published)

    def _handle(self, messages: Sequence[Message], should_stop: Callable[[], bool]) -> None:
        began = time.perf_counter()
        try:
            good, dead = self._decode(messages)
        except RegistryUnavailableError as exc:
            # Not the messages' fault: nothing is dead-lettered or stored; read them again.
            self.stats.registry_retries += 1
            self._pause("schema registry unavailable", exc, messages, should_stop)
            return
        try:
            applied, more_dead = self._apply(good)
        except DatabaseUnavailable as exc:
            self.stats.database_retries += 1
            self._pause("database unavailable", exc, messages, should_stop)
            return
        self._backoff = 0.5
        dead += more_dead
        self._publish_dead_letters(dead)
        self._store_offsets(messages)
        self.stats.batches += 1
        self.stats.applied += applied
        self.stats.dead_letters += len(dead)
        if self._metrics is not None:
            events = [item.event for _message, item in good if isinstance(item, AppliedEvent)]
            self._metrics.batch_done(
                events, [d.error_type for d in dead], time.perf_counter() - began
            )

    def _pause(
        self,
        what: str,
        exc: Exception,
        messages: Sequence[Message],
        should_stop: Callable[[], bool],
    ) -> None:
        """Rewind the batch and back off (0.5 s doubling to MAX_BACKOFF_S) before retrying."""
        log.warning("%s, pausing %.1fs: %s", what, self._backoff, exc)
        self._rewind(messages)
        self._sleep(self._backoff, should_stop)
        self._backoff = min(self._backoff * 2, MAX_BACKOFF_S)

    def _decode(self, messages: Sequence[Message]) -> tuple[list[Item], list[DeadLetter]]:
        good: list[Item] = []
        dead: list[DeadLetter] = []
        now = datetime.now(UTC)
        for message in messages:
            error = message.error()
            if error is not None:
                raise_if_refused(error, message.topic())  # no ACL: stop, do not spin
                if error.code() != KafkaError._PARTITION_EOF:
                    log.warning("consume error on %s: %s", message.topic(), error)
                continue
            topic = str(message.topic())
            partition, offset = int(message.partition() or 0), int(message.offset() or 0)
            if topic == self._person_links:
                if message.value() is None:
                    continue  # a withdrawn person: the cases it joined stay joined
                try:
                    record = self._codec.decode_downstream(
                        topic, message.value() or b"", "PersonLinksChanged"
                    )
                except CodecError as exc:
                    dead.append(DeadLetter(message, type(exc).__name__, str(exc)))
                    continue
                good.append((message, PersonLinks(record, topic, partition, offset, now)))
                continue
            try:
                event = self._codec.decode(topic, message.value() or b"")
            except CodecError as exc:
                dead.append(DeadLetter(message, type(exc).__name__, str(exc)))
                continue
            if agency_code_of_topic(topic, self._prefix) != event.agency.code:
                reason = f"event of agency {event.agency.code} arrived on topic {topic}"
                dead.append(DeadLetter(message, "AgencyTopicMismatch", reason))
                continue
            good.append((message, AppliedEvent(event, topic, partition, offset, now)))
        return good, dead

    def _apply(self, good: list[Item]) -> tuple[int, list[DeadLetter]]:
        """The batch in one transaction; if a handler fails, each event alone, with retries."""
        if not good:
            return 0, []
        try:
            result = _apply_items(self._engine, [item for _message, item in good])
        except (OperationalError, DBAPIError) as exc:
            if _is_outage(exc):
                raise DatabaseUnavailable(str(exc.orig or exc)[:300]) from exc
            return self._apply_one_by_one(good)
        except Exception:  # a handler bug: isolate the event that causes it
            log.exception("batch failed; applying its %d events one by one", len(good))
            return self._apply_one_by_one(good)
        self.stats.duplicates += result.duplicates
        return result.applied, []

    def _apply_one_by_one(self, good: list[Item]) -> tuple[int, list[DeadLetter]]:
        applied = 0
        dead: list[DeadLetter] = []
        for message, item in good:
            for attempt in range(1, HANDLER_ATTEMPTS + 1):
                try:
                    result = _apply_items(self._engine, [item])
                except (OperationalError, DBAPIError) as exc:
                    if _is_outage(exc):
                        raise DatabaseUnavailable(str(exc.orig or exc)[:300]) from exc
                    error: Exception = exc
                except Exception as exc:  # any handler failure is retried, then dead-lettered
                    error = exc
                else:
                    applied += result.applied
                    self.stats.duplicates += result.duplicates
                    break
                if attempt == HANDLER_ATTEMPTS:
                    reason = f"{type(error).__name__}: {str(error)[:300]}"
                    dead.append(DeadLetter(message, "HandlerError", reason))
        return applied, dead

    def _publish_dead_letters(self, dead: list[DeadLetter]) -> None:
        topic = dead_letter_topic(self._prefix)
        for letter in dead:
            message = letter.message
            original = message.headers() or []
            headers: list[tuple[str, str | bytes | None]] = [
                (str(header[0]), header[1]) for header in original if len(header) == 2
            ]
            headers += [
                ("dlq.error_type", letter.error_type.encode()),
                ("dlq.error", letter.reason[:1000].encode()),
                ("dlq.source.topic", str(message.topic()).encode()),
                ("dlq.source.partition", str(message.partition()).encode()),
                ("dlq.source.offset", str(message.offset()).encode()),
            ]
            self._dead_letters.produce(
                topic, value=message.value(), key=message.key(), headers=headers
            )
            log.warning(
                "dead letter from %s[%s]@%s: %s",
                message.topic(),
                message.partition(),
                message.offset(),
                letter.error_type,
            )
        if dead and self._dead_letters.flush(30) > 0:
            raise CasesyncError(f"dead letters not acknowledged by {topic}; offsets not stored")

    def _store_offsets(self, messages: Sequence[Message]) -> None:
        last: dict[tuple[str, int], int] = {}
        for message in messages:
            key = (str(message.topic()), int(message.partition() or 0))
            last[key] = max(last.get(key, -1), int(message.offset() or 0))
        offsets = [
            TopicPartition(topic, partition, offset + 1)
            for (topic, partition), offset in last.items()
        ]
        try:
            self._consumer.store_offsets(offsets=offsets)
        except KafkaException as exc:  # partitions revoked meanwhile: their new owner re-reads them
            log.info("offsets not stored (%s); the next owner will skip what was applied", exc)

    def _rewind(self, messages: Sequence[Message]) -> None:
        first: dict[tuple[str, int], int] = {}
        for message in messages:
            key = (str(message.topic()), int(message.partition() or 0))
            first[key] = min(first.get(key, 1 << 62), int(message.offset() or 0))
        for (topic, partition), offset in first.items():
            try:
                self._consumer.seek(TopicPartition(topic, partition, offset))
            except KafkaException as exc:
                log.info("cannot rewind %s[%s] (%s)", topic, partition, exc)

    def _caught_up(self) -> bool:
        """True when the whole group has read every agency and person-links partition to its end.

        Not just this process's assignment: a member that died keeps its partitions until its
        session times out, and what it had not committed is still to be applied by someone.
        """
        metadata = self._consumer.list_topics(timeout=10)
        head = f"{self._prefix}events."
        partitions = [
            TopicPartition(name, number)
            for name, topic in metadata.topics.items()
            if name.startswith(head) or name == self._person_links
            for number in topic.partitions
        ]
        if not partitions or not self._consumer.assignment():
            return False
        owned = {
            (p.topic, p.partition): p.offset
            for p in self._consumer.position(self._consumer.assignment())
        }
        committed = {
            (c.topic, c.partition): c.offset
            for c in self._consumer.committed(partitions, timeout=10)
        }
        for partition in partitions:
            key = (partition.topic, partition.partition)
            # Cached: fetch responses carry the high watermark (a broker query costs ~0.5 s).
            low, high = self._consumer.get_watermark_offsets(partition, cached=True)
            if high < 0:  # not fetched by us: ask the broker
                low, high = self._consumer.get_watermark_offsets(partition, timeout=5, cached=False)
            if high <= low:
                continue  # empty partition
            current = max(owned.get(key, -1), committed.get(key, -1))
            if current < high:
                return False
        return True

    @staticmethod
    def _sleep(seconds: float, should_stop: Callable[[], bool]) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not should_stop():
            time.sleep(0.1)

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info("assigned %s", ", ".join(f"{p.topic}[{p.partition}]" for p in partitions))

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info(
            "revoked %s; committing stored offsets",
            ", ".join(f"{p.topic}[{p.partition}]" for p in partitions),
        )
        try:
            consumer.commit(asynchronous=False)
        except KafkaException as exc:  # nothing stored yet
            log.debug("nothing to commit on revoke: %s", exc)

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.warning(
            "lost %s (their new owner re-reads from the last commit)",
            ", ".join(f"{p.topic}[{p.partition}]" for p in partitions),
        )


def _apply_items(engine: Engine, items: Sequence[AppliedEvent | PersonLinks]) -> BatchResult:
    """Events and person links of one batch, in one transaction."""
    events = [item for item in items if isinstance(item, AppliedEvent)]
    links = [item for item in items if isinstance(item, PersonLinks)]
    return apply_batch(engine, events, links)


def _is_outage(exc: DBAPIError) -> bool:
    """Connection-level failures (server down, network) rather than a bad statement."""
    return bool(exc.connection_invalidated) or isinstance(exc, OperationalError)

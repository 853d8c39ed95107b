"""Person matching with Splink 5 (Fellegi-Sunter): the model, training, prediction, clustering.

Input rows come from `flows.normalise.matching_row`; the engine is DuckDB in-process by default.
Every comparison starts from prior m and u probabilities, so a small dataset (where sampling
and EM have little to learn from) still gets sensible weights; training refines them where the
data allow.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, SparkAPI, block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator

log = logging.getLogger(__name__)

# Names of the comparisons, as Splink prefixes them in its output (gamma_<name>, bf_<name>).
EVIDENCE = (
    "family_name",
    "given_names",
    "date_of_birth",
    "sex",
    "nationality",
    "cnp",
    "passport",
    "phone",
    "role",
    "exploitation",
)


@dataclass(frozen=True)
class MatchThresholds:
    """Match probabilities: at or above ``link`` is the same person; ``review`` up to it is grey."""

    link: float = 0.95
    review: float = 0.5

    def __post_init__(self) -> None:
        if not 0 < self.review <= self.link < 1:
            raise ValueError(f"need 0 < review ({self.review}) <= link ({self.link}) < 1")


def _family_name() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="family_name",
        comparison_levels=[
            cll.NullLevel("family_name"),
            cll.ExactMatchLevel("family_name").configure(tf_adjustment_column="family_name"),
            cll.CustomLevel(
                "family_as_given_l = given_names_r OR given_names_l = family_as_given_r",
                label_for_charts="swapped with the given name",
            ),
            cll.DamerauLevenshteinLevel("family_name", 1),
            cll.JaroWinklerLevel("family_name", 0.92),
            cll.JaroWinklerLevel("family_name", 0.8),
            cll.ElseLevel(),
        ],
    ).configure(
        m_probabilities=[0.7, 0.15, 0.06, 0.04, 0.03, 0.02],
        u_probabilities=[0.02, 0.001, 0.003, 0.005, 0.02, 0.951],
    )


def _given_names() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="given_names",
        comparison_levels=[
            cll.NullLevel("given_names"),
            cll.ExactMatchLevel("given_names").configure(tf_adjustment_column="given_names"),
            cll.ExactMatchLevel("given_name"),
            cll.CustomLevel(
                "given_names_l = family_as_given_r OR family_as_given_l = given_names_r",
                label_for_charts="swapped with the family name",
            ),
            cll.JaroWinklerLevel("given_name", 0.92),
            cll.ElseLevel(),
        ],
    ).configure(
        m_probabilities=[0.75, 0.08, 0.07, 0.05, 0.05],
        u_probabilities=[0.02, 0.02, 0.001, 0.01, 0.949],
    )


def _date_of_birth() -> ComparisonCreator:
    same_year = "dob_year_l = dob_year_r"
    return cl.CustomComparison(
        output_column_name="date_of_birth",
        comparison_levels=[
            cll.CustomLevel("dob_year_l IS NULL OR dob_year_r IS NULL").configure(
                is_null_level=True
            ),
            cll.CustomLevel(
                f"{same_year} AND dob_month_l = dob_month_r AND dob_day_l = dob_day_r",
                label_for_charts="exact",
            ),
            cll.CustomLevel(
                f"{same_year} AND dob_month_l = dob_day_r AND dob_day_l = dob_month_r",
                label_for_charts="day and month swapped",
            ),
            cll.CustomLevel(
                f"{same_year} AND (dob_month_l IS NULL OR dob_month_r IS NULL"
                " OR (dob_month_l = dob_month_r AND (dob_day_l IS NULL OR dob_day_r IS NULL)))",
                label_for_charts="same year, the rest unknown on one side",
            ),
            cll.CustomLevel(same_year, label_for_charts="same year"),
            cll.CustomLevel("abs(dob_year_l - dob_year_r) <= 1", label_for_charts="within a year"),
            cll.ElseLevel(),
        ],
    ).configure(
        m_probabilities=[0.7, 0.04, 0.12, 0.04, 0.08, 0.02],
        u_probabilities=[0.0003, 0.00002, 0.005, 0.02, 0.04, 0.93468],
    )


def _cnp() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="cnp",
        comparison_levels=[
            cll.NullLevel("cnp"),
            cll.CustomLevel(
                "cnp_l = cnp_r AND cnp_consistent_l AND cnp_consistent_r",
                label_for_charts="same valid CNP, consistent with both records",
            ),
            cll.ExactMatchLevel("cnp"),
            cll.ElseLevel(),
        ],
    ).configure(m_probabilities=[0.97, 0.02, 0.01], u_probabilities=[1e-6, 1e-6, 0.999998])


def _document(column: str, m_differ: float) -> ComparisonCreator:
    """An identifier compared exactly. How often one person's values differ is domain knowledge
    (typos, renewals), fixed rather than learnt: EM on name blocks, where namesakes abound,
    would otherwise learn that different documents are common among matches."""
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column).configure(m_probability=1 - m_differ, u_probability=1e-5),
            cll.ElseLevel().configure(
                m_probability=m_differ, u_probability=1 - 1e-5, fix_m_probability=True
            ),
        ],
    )


def comparisons() -> list[ComparisonCreator]:
    """The evidence compared for each candidate pair (see EVIDENCE for the names)."""
    return [
        _family_name(),
        _given_names(),
        _date_of_birth(),
        cl.ExactMatch("sex").configure(m_probabilities=[0.97, 0.03], u_probabilities=[0.5, 0.5]),
        cl.ExactMatch("nationality").configure(
            m_probabilities=[0.9, 0.1], u_probabilities=[0.4, 0.6]
        ),
        _cnp(),
        _document("passport", m_differ=0.05),
        _document("phone", m_differ=0.3),
        cl.ExactMatch("role").configure(m_probabilities=[0.95, 0.05], u_probabilities=[0.5, 0.5]),
        # Case context: one person's records name the same forms of exploitation, mostly.
        cl.ExactMatch("exploitation").configure(
            m_probabilities=[0.85, 0.15], u_probabilities=[0.35, 0.65]
        ),
    ]


def blocking_rules() -> list[BlockingRuleCreator]:
    """Which pairs are compared at all: any rule suffices (their union, without repeats)."""
    # Names alone, or a name with only the birth year, make blocks that grow with the data
    # (a million records → hundreds of comparisons each): each rule pairs a name with a year
    # and the other name, or with the full birth date.
    return [
        block_on("family_name", "given_name", "dob_year"),
        block_on("name_tokens", "dob_year"),
        block_on("family_name", "dob_year", "dob_month", "dob_day"),
        block_on("given_name", "dob_year", "dob_month", "dob_day"),
        block_on("cnp"),
        block_on("passport"),
        block_on("phone"),
    ]


def settings() -> SettingsCreator:
    """The Splink model before training."""
    evidence: list[ComparisonCreator | dict[str, Any]] = [*comparisons()]
    rules: list[BlockingRuleCreator | dict[str, Any]] = [*blocking_rules()]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=evidence,
        blocking_rules_to_generate_predictions=rules,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,
        probability_two_random_records_match=1e-4,
    )


# Below this many records, random sampling and EM see too few pairs per level: keep the priors.
MIN_RECORDS_TO_TRAIN = 1000


def train(linker: Linker, records: int, seed: int = 7) -> None:
    """Estimate λ from deterministic rules; u by random sampling and m by EM on enough data."""
    linker.training.estimate_probability_two_random_records_match(
        [
            "l.cnp = r.cnp",
            "l.name_tokens = r.name_tokens AND l.dob_year = r.dob_year"
            " AND l.dob_month = r.dob_month AND l.dob_day = r.dob_day",
        ],
        recall=0.7,
    )
    settings_obj = linker._settings_obj  # Splink has no public setter for λ
    if not 0 < settings_obj._probability_two_random_records_match < 1:
        # No deterministic match at all (or only matches): about one match per record instead.
        settings_obj._probability_two_random_records_match = min(0.5, 1 / max(records, 2))
    if records < MIN_RECORDS_TO_TRAIN:
        log.info(
            "%d records: m and u priors kept (training needs %d)", records, MIN_RECORDS_TO_TRAIN
        )
        return
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
    # EM on pairs that share a document: nearly all are the same person, so the m
    # probabilities learnt (how one person's names and dates vary) are not diluted by
    # namesakes, as they are on name or date blocks (measured: docs/matching.md).
    for rule in (block_on("passport"), block_on("cnp")):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        except Exception as exc:  # too few pairs to learn from: keep the priors
            log.warning("EM on %s skipped, priors kept: %s", rule, exc)


@dataclass
class MatchResult:
    """Scored pairs (above the review threshold), clusters, and the trained model."""

    pairs: list[dict[str, Any]]
    clusters: dict[str, str]
    model: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Backend:
    """Where Splink runs: DuckDB in-process (default), or Spark (``spark`` a SparkSession)."""

    name: str = "duckdb"
    spark: Any = None


IN_PROCESS = Backend()


def backend_for(name: str, work_dir: Path) -> Backend:
    """The backend a setting names (``CASESYNC_MATCH_BACKEND``); Spark starts a local session."""
    if name == "duckdb":
        return IN_PROCESS
    if name == "spark":
        from flows.spark import spark_session  # noqa: PLC0415 (pyspark is optional)

        return Backend("spark", spark_session(work_dir))
    raise ValueError(f"match backend must be duckdb or spark, not {name!r}")


def _api(backend: Backend) -> Any:
    if backend.name == "spark":
        return SparkAPI(spark_session=backend.spark)  # type: ignore[no-untyped-call]
    return DuckDBAPI()


def _register(backend: Backend, api: Any, rows: Sequence[dict[str, Any]], name: str) -> Any:
    # A Spark session outlives one match and keeps its views: every run gets fresh names.
    name = f"{name}_{uuid.uuid4().hex[:8]}"
    if backend.name == "spark":
        from flows.spark import spark_frame  # noqa: PLC0415 (pyspark is optional)

        return api.register(spark_frame(backend.spark, list(rows)), table_name=name)
    return api.register(list(rows), table_name=name)


def match(
    rows: Sequence[dict[str, Any]],
    thresholds: MatchThresholds = MatchThresholds(),
    model: dict[str, Any] | None = None,
    backend: Backend = Backend(),
) -> MatchResult:
    """Score candidate pairs and cluster records whose match probability reaches ``link``.

    ``model`` is a model saved from an earlier run (then no training); otherwise one is trained.
    """
    if not rows:
        return MatchResult([], {}, model or {})
    table = _register(backend, _api(backend), rows, "person_records")
    # Splink reports untrained levels at WARNING on every run; those are our priors, by design.
    linker = Linker(table, model if model is not None else settings(), log_level=logging.ERROR)
    if model is None:
        train(linker, len(rows))
    predictions = linker.inference.predict(threshold_match_probability=thresholds.review)
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=thresholds.link
    )
    pairs = predictions.as_record_list()
    clusters = {str(row["unique_id"]): str(row["cluster_id"]) for row in clustered.as_record_list()}
    return MatchResult(pairs, clusters, linker.misc.save_model_to_json())


def match_incremental(
    existing: Sequence[dict[str, Any]],
    new: Sequence[dict[str, Any]],
    model: dict[str, Any],
    thresholds: MatchThresholds,
    backend: Backend = Backend(),
) -> list[dict[str, Any]]:
    """Score ``new`` rows against ``existing`` ones and each other with a saved model.

    No training and no comparison among existing rows: the frequent, cheap run between full
    reruns. Term frequencies are computed over both sets together.
    """
    if not new:
        return []
    api = _api(backend)
    everything = _register(backend, api, [*existing, *new], "person_records_all")
    linker = Linker(everything, model, log_level=logging.ERROR)
    for column in ("family_name", "given_names"):
        linker.table_management.compute_tf_table(column)
    fresh = _register(backend, api, new, "person_records_new")
    pairs = linker.inference.predict_within(
        fresh, threshold_match_probability=thresholds.review
    ).as_record_list()
    if existing:
        known = _register(backend, api, existing, "person_records_known")
        pairs += linker.inference.predict_between(
            known, fresh, threshold_match_probability=thresholds.review
        ).as_record_list()
    return pairs

"""The weekly report's files: CSV tables and a self-contained HTML report with SVG charts.

Two editions from one snapshot: *restricted* (full counts, for the agencies) and *public*
(disclosure control applied, the rule printed on every table). Jinja2 escapes everything the
report shows; charts are matplotlib SVG embedded in the page (no scripts, no external files).
"""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from matplotlib.figure import Figure  # no pyplot: no global figure state, no display

from flows.disclosure import disclosure_rule
from flows.statistics import (
    CUMULATIVE,
    DIMENSIONS,
    DOUBLE_COUNTED,
    MEASURE_LABELS,
    MEASURES,
    OVERLAP_MEASURES,
    OVERLAP_VIEWS,
    RECONCILED,
    WEEK,
    CellKey,
    weeks_between,
)
from flows.weekly import Revision, Snapshot, revisions

RESTRICTED, PUBLIC = "restricted", "public"
SUPPRESSED_MARK = "[c]"
VIEW_LABELS = {
    "uk": "UK agencies",
    "ro": "Romanian agencies",
    RECONCILED: "Reconciled (distinct persons)",
    DOUBLE_COUNTED: "Double-counted",
    "both": "Known to both",
    "uk_only": "UK only",
    "ro_only": "Romania only",
}
COLOURS = {"uk": "#1f4e9c", "ro": "#e0a800", RECONCILED: "#2b2b2b", DOUBLE_COUNTED: "#c0392b"}
COLOURS.update({"both": "#6c3483", "uk_only": "#1f4e9c", "ro_only": "#e0a800"})
BREAKDOWN_MEASURES = ("potential_victims", "suspects")


@dataclass(frozen=True)
class Edition:
    """What one edition of the report shows: values (None = suppressed) and revisions."""

    name: str  # restricted | public
    report_week: str
    first_week: str
    snapshot_id: int
    created_at: datetime
    k: int
    values: Mapping[CellKey, int | None]
    revisions: Sequence[Revision]

    @property
    def public(self) -> bool:
        """True for the public edition."""
        return self.name == PUBLIC

    def text(self, key: CellKey) -> str:
        """A cell as printed: its value, [c] when suppressed, or an empty string."""
        if key not in self.values:
            return ""
        value = self.values[key]
        return SUPPRESSED_MARK if value is None else f"{value:,}"


def editions(snapshot: Snapshot, previous: Snapshot | None) -> dict[str, Edition]:
    """The restricted and public editions of a snapshot, with revisions since ``previous``.

    The public edition shows hidden cells as None, and only revisions between figures it
    published both times (else a revision would reveal a suppressed value).
    """
    changed = revisions(previous, snapshot.cells) if previous is not None else []
    before_hidden = previous.hidden if previous is not None else {}
    head = (snapshot.report_week, snapshot.first_week, snapshot.id, snapshot.created_at, snapshot.k)
    # The public edition is counted without H2 records; its revisions compare those figures.
    public_changed = (
        revisions(replace(previous, cells=previous.public_cells), snapshot.public_cells)
        if previous is not None
        else []
    )
    shown = [
        r for r in public_changed if r.key not in snapshot.hidden and r.key not in before_hidden
    ]
    values = {
        key: (None if key in snapshot.hidden else value)
        for key, value in snapshot.public_cells.items()
    }
    return {
        RESTRICTED: Edition(RESTRICTED, *head, snapshot.cells, changed),
        PUBLIC: Edition(PUBLIC, *head, values, shown),
    }


def discrepancy_rows(edition: Edition, period: str) -> list[list[str]]:
    """Per measure: UK, RO, reconciled, double counted, for the report week or cumulative."""
    rows = []
    for measure in MEASURES:
        keys = [
            CellKey(measure, view, period, edition.report_week)
            for view in ("uk", "ro", RECONCILED, DOUBLE_COUNTED)
        ]
        rows.append([MEASURE_LABELS[measure], *(edition.text(key) for key in keys)])
    return rows


def overlap_rows(edition: Edition) -> list[list[str]]:
    """Victims and suspects known to both sides, UK only, Romania only, and all persons."""
    rows = []
    for measure in OVERLAP_MEASURES:
        keys = [CellKey(measure, view, CUMULATIVE, edition.report_week) for view in OVERLAP_VIEWS]
        total = CellKey(measure, RECONCILED, CUMULATIVE, edition.report_week)
        rows.append(
            [MEASURE_LABELS[measure], *(edition.text(k) for k in keys), edition.text(total)]
        )
    return rows


def breakdown_rows(edition: Edition, measure: str, dimension: str) -> list[list[str]]:
    """Categories of one breakdown (cumulative to the report week) in UK, RO, reconciled."""
    categories = sorted(
        {
            key.category
            for key in edition.values
            if key.measure == measure and key.dimension == dimension
        }
    )
    views = ("uk", "ro") if dimension == "agency" else ("uk", "ro", RECONCILED)
    return [
        [
            category,
            *(
                edition.text(
                    CellKey(measure, view, CUMULATIVE, edition.report_week, dimension, category)
                )
                for view in views
            ),
        ]
        for category in categories
    ]


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: inline in HTML


def trend_chart(edition: Edition) -> str:
    """Weekly figures by country and reconciled, one panel per measure (gaps: suppressed)."""
    weeks = weeks_between(edition.first_week, edition.report_week)
    figure = Figure(figsize=(11, 11))
    axes = figure.subplots(4, 2, sharex=True)
    for axis, measure in zip(axes.flat, MEASURES, strict=False):
        for view in ("uk", "ro", RECONCILED):
            values = [edition.values.get(CellKey(measure, view, WEEK, week)) for week in weeks]
            axis.plot(
                range(len(weeks)),
                [float("nan") if v is None else v for v in values],
                marker="o",
                markersize=3,
                color=COLOURS[view],
                label=VIEW_LABELS[view],
            )
        axis.set_title(MEASURE_LABELS[measure], fontsize=9)
        axis.grid(alpha=0.3)
    axes.flat[-1].axis("off")
    for axis in axes[-1]:
        axis.set_xticks(range(len(weeks)), [w[-3:] for w in weeks], rotation=90, fontsize=7)
    axes.flat[0].legend(fontsize=8)
    figure.suptitle(f"Weekly figures, {edition.first_week} to {edition.report_week}")
    return _svg(figure)


def _value(edition: Edition, key: CellKey) -> float:
    """A cell's value to draw: 0 when suppressed (the chart marks it [c], see _mark_hidden)."""
    value = edition.values.get(key)
    return 0.0 if value is None else float(value)


def _mark_hidden(
    axis: Any, positions: Sequence[float], hidden: Sequence[bool], *, horizontal: bool
) -> None:
    """Write [c] where a suppressed value would be drawn, so it never reads as zero."""
    for position, is_hidden in zip(positions, hidden, strict=True):
        if not is_hidden:
            continue
        if horizontal:
            axis.text(0, position, f" {SUPPRESSED_MARK}", va="center", fontsize=7, color="#555")
        else:
            axis.text(
                position, 0, SUPPRESSED_MARK, ha="center", va="bottom", fontsize=7, color="#555"
            )


def overlap_chart(edition: Edition) -> str:
    """Stacked bars: persons known to both countries, to the UK only, to Romania only."""
    figure = Figure(figsize=(9, 2.6))
    axis = figure.subplots()
    labels = [MEASURE_LABELS[m] for m in OVERLAP_MEASURES]
    left = [0.0] * len(OVERLAP_MEASURES)
    hidden = [
        any(
            edition.values.get(CellKey(m, v, CUMULATIVE, edition.report_week), 0) is None
            for v in OVERLAP_VIEWS
        )
        for m in OVERLAP_MEASURES
    ]
    for view in OVERLAP_VIEWS:
        widths = [
            _value(edition, CellKey(m, view, CUMULATIVE, edition.report_week))
            for m in OVERLAP_MEASURES
        ]
        axis.barh(labels, widths, left=left, color=COLOURS[view], label=VIEW_LABELS[view])
        left = [a + b for a, b in zip(left, widths, strict=True)]
    axis.legend(fontsize=8, loc="lower right")
    suffix = " (a [c] part is suppressed and left out)" if any(hidden) else ""
    axis.set_title(f"Who knows whom, to the end of {edition.report_week}{suffix}", fontsize=10)
    return _svg(figure)


def discrepancy_chart(edition: Edition) -> str:
    """Grouped bars per measure: UK, Romania, reconciled (cumulative)."""
    figure = Figure(figsize=(11, 3.8))
    axis = figure.subplots()
    width = 0.27
    for offset, view in enumerate(("uk", "ro", RECONCILED)):
        keys = [CellKey(m, view, CUMULATIVE, edition.report_week) for m in MEASURES]
        positions = [i + (offset - 1) * width for i in range(len(MEASURES))]
        heights = [_value(edition, key) for key in keys]
        axis.bar(positions, heights, width, color=COLOURS[view], label=VIEW_LABELS[view])
        hidden = [edition.values.get(key, 0) is None for key in keys]
        _mark_hidden(axis, positions, hidden, horizontal=False)
    names = [textwrap.fill(m.replace("_", " "), 14) for m in MEASURES]
    axis.set_xticks(range(len(MEASURES)), names, fontsize=8)
    axis.legend(fontsize=8)
    axis.set_title("Reported by each country vs distinct persons (cumulative)", fontsize=10)
    return _svg(figure)


def breakdown_chart(edition: Edition, measure: str) -> str:
    """Reconciled persons by each breakdown (cumulative), one panel per dimension."""
    dimensions = [d for d in DIMENSIONS if d != "agency"]
    figure = Figure(figsize=(12, 3.2))
    axes = figure.subplots(1, len(dimensions))
    for axis, dimension in zip(axes, dimensions, strict=True):
        keys = [
            key
            for key in sorted(edition.values)
            if key.measure == measure
            and key.view == RECONCILED
            and key.dimension == dimension
            and key.week == edition.report_week
        ]
        values = [_value(edition, key) for key in keys]
        axis.barh([key.category for key in keys], values, color=COLOURS[RECONCILED])
        axis.set_xlim(0, max([*values, 1.0]) * 1.15)
        hidden = [edition.values[key] is None for key in keys]
        _mark_hidden(axis, list(range(len(keys))), hidden, horizontal=True)
        axis.set_title(dimension.replace("_", " "), fontsize=9)
        axis.tick_params(labelsize=7)
    figure.suptitle(f"{MEASURE_LABELS[measure]}: distinct persons", fontsize=10)
    return _svg(figure)


def _template() -> jinja2.Template:
    source = resources.files("flows").joinpath("templates", "weekly_report.html.j2").read_text()
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return environment.from_string(source)


def render_html(edition: Edition) -> str:
    """The edition as one self-contained HTML page."""
    return _template().render(
        edition=edition,
        rule=disclosure_rule(edition.k),
        labels=MEASURE_LABELS,
        view_labels=VIEW_LABELS,
        week_rows=discrepancy_rows(edition, WEEK),
        cumulative_rows=discrepancy_rows(edition, CUMULATIVE),
        overlap=overlap_rows(edition),
        breakdowns=[
            (
                MEASURE_LABELS[measure],
                breakdown_chart(edition, measure),
                [(d, breakdown_rows(edition, measure, d)) for d in DIMENSIONS],
            )
            for measure in BREAKDOWN_MEASURES
        ],
        charts={
            "trend": trend_chart(edition),
            "overlap": overlap_chart(edition),
            "discrepancy": discrepancy_chart(edition),
        },
        revisions=edition.revisions,
    )


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_edition(edition: Edition, folder: Path) -> Path:
    """cells.csv, discrepancy.csv, revisions.csv and report.html into ``folder``; the HTML path."""
    folder.mkdir(parents=True, exist_ok=True)
    rule = [disclosure_rule(edition.k)] if edition.public else []
    cells = [
        [
            *(key.measure, key.view, key.period, key.week, key.dimension, key.category),
            "" if value is None else value,
            "yes" if value is None else "no",
        ]
        for key, value in sorted(edition.values.items())
    ]
    columns = ("measure", "view", "period", "week", "dimension", "category", "value", "suppressed")
    _write_csv(folder / "cells.csv", columns, [*cells, *([[f"# {r}"] for r in rule])])
    discrepancy = [[edition.report_week, WEEK, *row] for row in discrepancy_rows(edition, WEEK)]
    discrepancy += [
        [edition.report_week, CUMULATIVE, *row] for row in discrepancy_rows(edition, CUMULATIVE)
    ]
    _write_csv(
        folder / "discrepancy.csv",
        ("report_week", "period", "measure", "uk", "ro", "reconciled", "double_counted"),
        [*discrepancy, *([[f"# {r}"] for r in rule])],
    )
    _write_csv(
        folder / "revisions.csv",
        ("measure", "view", "week", "before", "after"),
        [[r.key.measure, r.key.view, r.key.week, r.before, r.after] for r in edition.revisions],
    )
    html = folder / "report.html"
    html.write_text(render_html(edition), encoding="utf-8")
    return html

"""The one table every benchmark prints: each path's rate beside the raw baseline's."""

from __future__ import annotations

import platform


def print_rates(title: str, rows: list[tuple[str, float]], raw: tuple[str, float]) -> None:
    """A Markdown section: machine, then path / events/s / ratio to the raw baseline."""
    raw_label, raw_rate = raw
    print(f"## {title}")
    print()
    python = platform.python_version()
    print(f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {python}")
    print()
    print("| path | events/s | ratio to raw |")
    print("|---|---:|---:|")
    for label, rate in rows:
        print(f"| {label} | {rate:,.0f} | {rate / raw_rate:.2f} |")
    print(f"| {raw_label} | {raw_rate:,.0f} | 1.00 |")

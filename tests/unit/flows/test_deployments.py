"""The deployments `casesync serve` serves: names, parameters, schedules."""

from __future__ import annotations

from datetime import timedelta

from flows.dedup_flow import dedup_deployments


def test_incremental_every_15_minutes_and_full_weekly_in_london_time() -> None:
    deployments = {d.name: d for d in dedup_deployments()}

    incremental, full = deployments["dedup-incremental"], deployments["dedup-full"]
    assert incremental.parameters == {"mode": "incremental"}
    assert full.parameters == {"mode": "full"}
    (every,) = [s.schedule for s in incremental.schedules or []]
    (weekly,) = [s.schedule for s in full.schedules or []]
    assert getattr(every, "interval", None) == timedelta(minutes=15)
    assert getattr(weekly, "cron", None) == "0 2 * * 0"
    assert getattr(weekly, "timezone", None) == "Europe/London"


def test_weekly_statistics_on_monday_morning_in_london_time() -> None:
    from flows.stats_flow import statistics_deployments  # noqa: PLC0415

    (weekly,) = statistics_deployments()

    assert weekly.name == "weekly-statistics"
    (schedule,) = [s.schedule for s in weekly.schedules or []]
    assert getattr(schedule, "cron", None) == "0 6 * * 1"
    assert getattr(schedule, "timezone", None) == "Europe/London"

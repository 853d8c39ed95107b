"""Child process: run one small flow against the Prefect server named by PREFECT_API_URL."""

from __future__ import annotations

from prefect import flow, task


@task
def double(value: int) -> int:
    """A task, so the run records task state too."""
    return value * 2


@flow(name="casesync-probe")
def probe_flow(value: int) -> int:
    """Thin flow over one task."""
    result: int = double(value)
    return result


if __name__ == "__main__":
    print(probe_flow(21))

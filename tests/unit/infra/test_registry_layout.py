from __future__ import annotations

from pathlib import Path

import pytest

from infra.errors import InfraError
from infra.registry import launch_jar


def test_3x_quarkus_app_layout(tmp_path: Path) -> None:
    (tmp_path / "quarkus-app").mkdir()
    (tmp_path / "quarkus-app" / "quarkus-run.jar").touch()

    assert launch_jar(tmp_path) == tmp_path / "quarkus-app" / "quarkus-run.jar"


def test_runner_jar_layout(tmp_path: Path) -> None:
    (tmp_path / "apicurio-registry-app-3.0.9-runner.jar").touch()

    assert launch_jar(tmp_path).name == "apicurio-registry-app-3.0.9-runner.jar"


def test_unrecognised_layout_is_an_error_naming_the_folder(tmp_path: Path) -> None:
    with pytest.raises(InfraError, match=str(tmp_path)):
        launch_jar(tmp_path)

from __future__ import annotations

from pathlib import Path

import pytest

from infra.errors import MissingToolError
from infra.tools import find_java, find_tool


def test_missing_tool_error_names_the_tool_and_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(
        MissingToolError, match=r"'mvn' was not found on PATH.*apt-get install -y maven"
    ):
        find_tool("mvn", path=str(tmp_path))


def test_java_home_without_a_java_binary_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MissingToolError, match="has no bin/java"):
        find_java(tmp_path)


def test_java_home_with_a_java_binary_is_used(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "java").write_text("#!/bin/sh\n")

    assert find_java(tmp_path) == tmp_path / "bin" / "java"

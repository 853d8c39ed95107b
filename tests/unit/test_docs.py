"""Every setting and command a user meets is documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer

from infra.cli import app
from infra.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_in_the_configuration_page(field: str) -> None:
    page = (ROOT / "docs" / "configuration.md").read_text()

    assert f"`CASESYNC_{field.upper()}`" in page


def test_readme_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme[: readme.index("## Architecture")]

    assert "make demo" in first_block
    assert "make test" in first_block


def _commands(group: Any, prefix: str) -> list[str]:
    names = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a sub-app
            names += _commands(command, f"{prefix} {name}")
        else:
            names.append(f"{prefix} {name}")
    return names


ALL_COMMANDS = _commands(typer.main.get_group(app), "casesync")


def test_the_cli_has_the_commands_this_test_expects() -> None:
    assert "casesync infra up" in ALL_COMMANDS
    assert "casesync schemas check" in ALL_COMMANDS


@pytest.mark.parametrize("command", ALL_COMMANDS)
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"`{command}" in (ROOT / "README.md").read_text()

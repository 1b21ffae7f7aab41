"""The notes of notebooks 05 and 06 on what differs from the walkthrough say what the repository
does: 05's gunicorn command is the Dockerfile's, 06's format "2.0" note matches the parser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from statefun.local import parse_module

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "notebooks" / "src"


def markdown(stem: str, lang: str) -> str:
    source = yaml.safe_load((SRC / f"{stem}.yaml").read_text(encoding="utf-8"))
    return "\n".join(
        cell["md"][lang] for cell in source["cells"] if isinstance(cell, dict) and "md" in cell
    )


def dockerfile_command() -> str:
    """The CMD of the greeter's image, as one shell line."""
    text = (ROOT / "greeter" / "Dockerfile").read_text(encoding="utf-8")
    match = re.search(r"^CMD (\[.*?\])\s*$", text.replace("\\\n", ""), re.MULTILINE | re.DOTALL)
    assert match, "greeter/Dockerfile has no exec-form CMD"
    return " ".join(json.loads(match[1]))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_05_quotes_the_dockerfile_command_exactly(lang: str) -> None:
    command = dockerfile_command()
    assert command.startswith("gunicorn ")
    blocks = re.findall(r"```\n(gunicorn [^\n]*)\n```", markdown("05-wiring-it-together", lang))
    assert blocks == [command], "update notebook 05 to the Dockerfile's CMD"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_05_every_gunicorn_command_names_an_app_that_exists(lang: str) -> None:
    for command in re.findall(
        r"(?:`|```\n)(gunicorn [^`\n]*)", markdown("05-wiring-it-together", lang)
    ):
        module, app = command.split()[-1].split(":")
        text = (ROOT / "greeter" / f"{module}.py").read_text(encoding="utf-8")
        assert re.search(rf"^{app} = ", text, re.MULTILINE), command


def test_06_format_2_0_reads_expire_after_without_expire_mode() -> None:
    """What the note says a 2.1 runtime reads is a complete module for the parser too."""
    text = (ROOT / "module-2.0.yaml").read_text(encoding="utf-8")
    without_mode = re.sub(r"\n\s*expireMode: [a-z-]+", "", text)
    assert without_mode != text
    state = parse_module(without_mode).functions["example/greeter"].states[0]
    assert state.expire_after is not None and state.expire_mode == "after-invoke"
    for lang in ("en", "zh"):
        note = markdown("06-configuring-the-run", lang)
        assert "2.1" in note and "expireMode" in note and "expireAfter" in note

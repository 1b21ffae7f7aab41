"""The README's Python examples run as written and print what their comments say."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from golden import GOLDEN_REQUEST

ROOT = Path(__file__).resolve().parents[2]
# `expression  # what it gives`, where the comment starts like a repr: {...} or [...]
CLAIM = re.compile(r"^(?P<expr>\S.*?)\s+#\s+(?P<repr>[\[{].*)$")


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def block(starting: str) -> str:
    (found,) = [b for b in python_blocks() if b.startswith(starting)]
    return found


def test_the_sdk_runtime_and_serving_examples_run_and_give_what_they_claim(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)  # the examples use repository paths (module.yaml)
    ns: dict[str, Any] = {}
    exec(compile(block("from statefun import StatefulFunctions"), "README:sdk", "exec"), ns)
    runtime_example = block("from datetime import timedelta")
    exec(compile(runtime_example, "README:runtime", "exec"), ns)
    claims = [m for line in runtime_example.splitlines() if (m := CLAIM.match(line))]
    assert len(claims) == 2, claims  # the state and the egress lines
    for claim in claims:
        got = repr(eval(claim["expr"], ns))
        pattern = ".*".join(map(re.escape, claim["repr"].split("...")))
        assert re.fullmatch(pattern, got), f"{claim['expr']} gives {got}, README: {claim['repr']}"
    assert "Egressed       example/greets [greetings] key='Jerry'" in capsys.readouterr().out

    exec(compile(block("from statefun.serving import flask_app"), "README:serving", "exec"), ns)
    reply = ns["app"].test_client().post("/statefun", data=GOLDEN_REQUEST)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/octet-stream"
    assert ns["handler"](GOLDEN_REQUEST) == reply.data  # the README's greeter, both ways

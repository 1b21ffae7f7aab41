"""statefun-lab doctor on small projects: each finding with its file:line, exit statuses."""

from __future__ import annotations

import argparse
import re
import textwrap
from pathlib import Path

import pytest
from module_yaml_texts import module_with

from statefun.project import doctor

ROOT = Path(__file__).resolve().parents[2]

MODULE = module_with(
    """\
    functions:
      - function:
          meta:
            kind: http
            type: shop/cart
          spec:
            endpoint: http://localhost:8000/statefun
            states:
              - items
      - function:
          meta:
            kind: http
            type: shop/forgotten
          spec:
            endpoint: http://localhost:8000/statefun
    egresses:
      - egress:
          meta:
            type: statefun.kafka.io/generic-egress
            id: shop/out
          spec:
            address: localhost:9092
    """
)

FUNCTIONS = """\
from statefun import StatefulFunctions

functions = StatefulFunctions()


@functions.bind("shop/cart")
def cart(context, message):
    context.state("items")
    context["total"]
    context.pack_and_send_egress("shop/elsewhere", message)
    context.pack_and_send("shop/nobody", "id", message)


@functions.bind("shop/extra")
def extra(ctx, message):
    pass
"""


def project(tmp_path: Path, **files: str) -> Path:
    for name, text in files.items():
        path = tmp_path / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return tmp_path


def lines(tmp_path: Path) -> list[str]:
    return [str(f) for f in doctor.diagnose(tmp_path).findings]


def test_what_module_yaml_and_the_code_disagree_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project(tmp_path, **{"module.yaml": MODULE, "app.py": FUNCTIONS}))
    found = lines(tmp_path)
    expected = [
        r"^app\.py:9: error: cart\(\) uses state 'total', which module\.yaml:7 does not declare",
        r"^app\.py:10: error: cart\(\) sends to egress 'shop/elsewhere', which no module\.yaml",
        r"^app\.py:11: error: cart\(\) sends messages to function type 'shop/nobody'",
        r"^app\.py:14: error: function type 'shop/extra' is bound here but no module\.yaml",
        r"^module\.yaml:15: error: function type 'shop/forgotten' is declared but no Python",
    ]
    assert len(found) == len(expected), found
    for pattern in expected:
        assert any(re.search(pattern, line) for line in found), (pattern, found)
    assert all(" Fix: " in line for line in found)


def test_a_module_yaml_error_has_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = MODULE.replace("    type: remote", "    type: remote\n  spec: [", 1)
    monkeypatch.chdir(project(tmp_path, **{"module.yaml": broken}))
    (line,) = lines(tmp_path)
    assert re.match(r"^module\.yaml:\d+: error: ", line), line


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("return handler(request.data)", "does not set the response's Content-Type"),
        (
            "r = make_response(handler(request.data))\n"
            "    r.headers.set('Content-Type', 'application/octet-stream; charset=utf-8')\n"
            "    return r",
            "answers with Content-Type 'application/octet-stream; charset=utf-8'",
        ),
        (
            "r = make_response(handler(request.data))\n"
            "    r.headers.set('Content-Type', 'application/octet-stream')\n"
            "    return r",
            None,
        ),
    ],
)
def test_flask_endpoints_must_answer_octet_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, problem: str | None
) -> None:
    app = (
        "from flask import Flask, make_response, request\n\napp = Flask(__name__)\n\n\n"
        f"@app.route('/statefun', methods=['POST'])\ndef handle():\n    {body}\n"
    )
    monkeypatch.chdir(project(tmp_path, **{"serve.py": app}))
    found = lines(tmp_path)
    if problem is None:
        assert found == []
    else:
        (line,) = found
        assert line.startswith("serve.py:7: error: the StateFun endpoint handle()")
        assert problem in line and "Wrong HTTP content-type" in line


def test_generated_code_older_than_its_proto_is_regenerated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    templates = ROOT / "statefun" / "project" / "templates" / "functions"
    proto = (templates / "messages.proto").read_text()
    project(tmp_path, **{"m__messages.proto": proto})
    (tmp_path / "m" / "messages_pb2.py").write_bytes((templates / "messages_pb2.py").read_bytes())
    monkeypatch.chdir(tmp_path)
    assert lines(tmp_path) == []
    (tmp_path / "m" / "messages.proto").write_text(
        proto.replace("int64 seen = 1;", "int64 seen = 1;\n    string last = 2;")
    )
    diagnosis = doctor.diagnose(tmp_path)
    (finding,) = diagnosis.findings
    assert str(finding).startswith("m/messages_pb2.py: error: out of date: it describes other")
    assert finding.fixable
    assert doctor.fix(diagnosis) == [
        f"regenerated m/messages_pb2.py from m/messages.proto ({doctor.PROTOC_REQUIREMENT})"
    ]
    assert lines(tmp_path) == []
    assert "last" in (tmp_path / "m" / "messages_pb2.py").read_text()


def run(*args: str) -> int:
    parser = argparse.ArgumentParser()
    doctor.add_parser(parser.add_subparsers())
    namespace = parser.parse_args(["doctor", *args])
    status: int = namespace.handler(namespace)
    return status


def test_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(str(tmp_path)) == 0
    assert capsys.readouterr().out.startswith(f"OK: {tmp_path}: 0 module.yamls")
    assert run(str(tmp_path / "nothing")) == 2
    assert "not a folder" in capsys.readouterr().err
    project(tmp_path, **{"app.py": FUNCTIONS})
    assert run(str(tmp_path)) == 1
    assert "error: no module.yaml" in capsys.readouterr().out


def test_the_protoc_pin_is_the_dev_extras() -> None:
    assert f'"{doctor.PROTOC_REQUIREMENT}"' in (ROOT / "pyproject.toml").read_text()


def test_functions_bound_in_tests_are_not_the_projects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(
        project(tmp_path, **{"tests__helpers.py": FUNCTIONS, "test_cart.py": FUNCTIONS})
    )
    diagnosis = doctor.diagnose(tmp_path)
    assert (diagnosis.bindings, diagnosis.findings) == ([], [])

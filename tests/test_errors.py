"""statefun.errors: everything the package raises is a StatefunError, and still the builtin."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest

import statefun
from statefun import kafka_egress_record
from statefun.errors import (
    ArgumentTypeError,
    InvalidArgumentError,
    StatefunError,
    TransportError,
    UnknownEgressError,
)
from statefun.local import MockTransport
from statefun.local import transport as transport_module

PACKAGE = Path(statefun.__file__).resolve().parent
BUILTINS = {"ValueError", "TypeError", "RuntimeError", "KeyError", "LookupError", "OSError"}
# Not yet converted: module_yaml is being split into a package (yaml-split); its four bare
# raises (ingress_for's two ValueErrors, parse_duration's TypeError, merge_modules' ValueError)
# become typed errors there. Remove this once they are.


def builtin_raises() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.endswith("_pb2.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                if isinstance(func, ast.Name) and func.id in BUILTINS:
                    found.append(f"{relative}:{node.lineno} raise {func.id}(...)")
    return found


def test_the_package_raises_no_bare_builtin_error() -> None:
    assert builtin_raises() == []


def test_a_typed_error_is_caught_by_the_builtins_except_clause() -> None:
    with pytest.raises(ValueError, match="Kafka topic is missing") as missing:
        kafka_egress_record("", None)  # type: ignore[arg-type]
    assert isinstance(missing.value, InvalidArgumentError | StatefunError)
    with pytest.raises(TypeError) as wrong:
        kafka_egress_record("greetings", object())  # type: ignore[arg-type]
    assert isinstance(wrong.value, ArgumentTypeError)
    assert issubclass(UnknownEgressError, KeyError)
    assert str(UnknownEgressError("a/b", ["example/greets"])) == (
        "no egress 'a/b' in module.yaml (declared: ['example/greets'])"
    )


def test_a_transport_error_is_a_statefun_error_importable_where_it_was() -> None:
    assert transport_module.TransportError is TransportError
    assert issubclass(TransportError, StatefunError)
    mock = MockTransport(TransportError("reset", retryable=False))
    with pytest.raises(TransportError) as raised:
        mock.send("example/greeter", b"", timedelta(seconds=1))
    assert raised.value.retryable is False

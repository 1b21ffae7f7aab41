"""The module.yaml -> runtime wiring: the module from a path or text, a transport per type."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from module_builder import build_module, function

from statefun import StatefulFunctions
from statefun.errors import InvalidArgumentError
from statefun.local.transport import HttpTransport, InProcessTransport, WSGITransport
from statefun.local.wiring import every_function_reached, module_of, transports_for

MODULE = build_module(function("example/greeter"), function("example/other"))
TEXT = Path(__file__).parent / "data" / "greeter" / "module.yaml"


def test_a_module_from_a_spec_a_path_or_a_text() -> None:
    assert module_of(MODULE) is MODULE
    from_path = module_of(TEXT)
    assert module_of(str(TEXT)).functions.keys() == from_path.functions.keys()
    assert module_of(TEXT.read_text()).functions.keys() == from_path.functions.keys()


def test_in_process_functions_serve_every_type_but_those_given_an_endpoint() -> None:
    transports = transports_for(
        MODULE, StatefulFunctions(), endpoints={"example/other": "http://other:8000/statefun"}
    )
    assert isinstance(transports["example/greeter"], InProcessTransport)
    other = transports["example/other"]
    assert (
        isinstance(other, HttpTransport) and other.describe() == "HTTP http://other:8000/statefun"
    )


def test_an_app_is_reached_through_wsgi_and_no_registry_over_http() -> None:
    app = transports_for(MODULE, app=lambda environ, start: [], path="/fn")
    assert isinstance(app["example/greeter"], WSGITransport)
    assert app["example/greeter"] is app["example/other"]
    http = transports_for(MODULE)
    assert http["example/greeter"].describe() == "HTTP http://localhost:1/statefun"


def test_wiring_mistakes_fail_with_what_to_do() -> None:
    with pytest.raises(InvalidArgumentError, match="either functions"):
        transports_for(MODULE, StatefulFunctions(), app=lambda environ, start: [])
    with pytest.raises(InvalidArgumentError, match=r"endpoints given for \['example/nobody'\]"):
        transports_for(MODULE, endpoints={"example/nobody": "http://x"})
    greeter = MODULE.functions["example/greeter"]
    no_endpoint = replace(MODULE, functions={"example/greeter": replace(greeter, endpoint="")})
    with pytest.raises(InvalidArgumentError, match=r"has no endpoint in module\.yaml"):
        transports_for(no_endpoint)


def test_a_runtime_needs_a_transport_for_every_function_type() -> None:
    transports = transports_for(MODULE)
    assert every_function_reached(MODULE, transports) == transports
    del transports["example/other"]
    with pytest.raises(
        InvalidArgumentError, match=r"no transport for function types \['example/other'\]"
    ):
        every_function_reached(MODULE, transports)

"""pytest fixtures for testing your StateFun functions: on the local runtime, or on real Flink.

Installed with the package (entry point ``pytest11``), so a project only configures it, in
``pytest.ini`` / ``pyproject.toml``'s ``[tool.pytest.ini_options]``::

    statefun_module = module.yaml
    statefun_functions = greeter/greeter.py

(paths relative to that file; ``FILE.py:VARIABLE`` picks one ``StatefulFunctions``), or per
test with ``@pytest.mark.statefun(module=..., functions=...)``. Then::

    def test_greets_twice(statefun_runtime):
        statefun_runtime.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
        statefun_runtime.ingest("names", key="Jerry", value=GreetRequest(name="Jerry"))
        assert_state(statefun_runtime, "example/greeter", "Jerry", seen_count=SeenCount(seen=2))
        assert egress_values(statefun_runtime, "greetings", GreetResponse)[-1].greeting == ...

Fixtures:

- ``statefun_runtime``: a fresh :class:`~statefun.local.LocalRuntime` per test, built from the
  module.yaml and the functions (in-process), on its virtual clock.
- ``statefun_clock``: that runtime's :class:`~statefun.local.VirtualClock` (``advance`` the
  runtime to move it).
- ``statefun_engine``: a :class:`StatefunEngine` (``ingest`` / ``egress``), parametrized
  ``local`` and ``flink``. ``flink`` runs on real Flink StateFun
  (:class:`statefun.flink.FlinkStack`, one per session) only with ``pytest --statefun-flink``,
  and is skipped, with the reason, when Java or the stack is missing.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
from google.protobuf.message import Message

from statefun._loader import load_function_file, split_spec
from statefun.core import StatefulFunctions
from statefun.local import LocalRuntime, VirtualClock, load_module

__all__ = [
    "FlinkEngine",
    "LocalEngine",
    "StatefunEngine",
    "assert_state",
    "egress_values",
    "pytest_addoption",
    "pytest_configure",
    "statefun_clock",
    "statefun_engine",
    "statefun_functions",
    "statefun_runtime",
]

_MODULE_INI = "statefun_module"
_FUNCTIONS_INI = "statefun_functions"
_FLINK_OPTION = "--statefun-flink"


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ini options ``statefun_module``, ``statefun_functions`` and ``--statefun-flink``."""
    parser.addini(_MODULE_INI, "the module.yaml the statefun fixtures run", default="module.yaml")
    parser.addini(
        _FUNCTIONS_INI, "the Python file that binds the functions (FILE.py[:VARIABLE])", default=""
    )
    parser.getgroup("statefun").addoption(
        _FLINK_OPTION,
        action="store_true",
        help="also run the statefun_engine tests on real Flink StateFun (needs Java; slow)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``statefun`` marker; put the functions file's folder on ``sys.path``.

    Test modules then import the project's messages as its functions do
    (``from messages_pb2 import ...``), before any fixture has loaded the functions.
    """
    functions = str(config.getini(_FUNCTIONS_INI))
    if functions:
        base = config.inipath.parent if config.inipath else config.rootpath
        folder = str((base / split_spec(functions)[0]).parent.resolve())
        if folder not in sys.path:
            sys.path.insert(0, folder)
    config.addinivalue_line(
        "markers",
        "statefun(module=None, functions=None): the module.yaml and functions file of the "
        "statefun fixtures for this test (paths relative to the ini file)",
    )


# ------------------------------------------------------------------------------------------------
# Assertions
# ------------------------------------------------------------------------------------------------


def assert_state(runtime: LocalRuntime, typename: str, id: str, **expected: object) -> None:
    """Assert the states of address ``typename/id``: each keyword is a state name and its
    expected value (``None``: no value). States not named are not checked."""
    view = runtime.state(typename, id)
    actual = {name: view.get(name) for name in expected}
    assert actual == expected, (
        f"state of {typename}/{id}: expected {expected!r}, got {actual!r} (all of it: {view!r})"
    )


def egress_values(
    runtime: LocalRuntime, egress_or_topic: str, value_type: type[Message]
) -> list[Any]:
    """The values sent to an egress (by id or topic) so far, decoded as ``value_type``."""
    return [record.value for record in runtime.egress(egress_or_topic, value_type)]


# ------------------------------------------------------------------------------------------------
# Engines
# ------------------------------------------------------------------------------------------------


class StatefunEngine(Protocol):
    """What a test can do on either engine: put records in, read what came out."""

    name: str

    def ingest(self, ingress_or_topic: str, key: str, value: Message) -> None:
        """One record on an ingress (by id or topic)."""

    def egress(self, egress_or_topic: str, value_type: type[Message], *, count: int) -> list[Any]:
        """The next ``count`` values sent to an egress topic since the last call."""


@dataclass
class LocalEngine:
    """:class:`StatefunEngine` on the local runtime (the records are there at once)."""

    runtime: LocalRuntime
    name: str = "local"

    def __post_init__(self) -> None:
        self._read: dict[str, int] = {}

    def ingest(self, ingress_or_topic: str, key: str, value: Message) -> None:
        """One record on an ingress (by id or topic); runs to quiescence."""
        self.runtime.ingest(ingress_or_topic, key=key, value=value)

    def egress(self, egress_or_topic: str, value_type: type[Message], *, count: int) -> list[Any]:
        """The next ``count`` values (fewer if fewer were sent) since the last call."""
        values = egress_values(self.runtime, egress_or_topic, value_type)
        start = self._read.get(egress_or_topic, 0)
        self._read[egress_or_topic] = start + min(count, len(values) - start)
        return values[start : start + count]


@dataclass
class FlinkEngine:
    """:class:`StatefunEngine` on real Flink StateFun: a :class:`statefun.flink.FlinkStack`."""

    stack: Any
    timeout: float = 120.0
    name: str = "flink"

    def ingest(self, ingress_or_topic: str, key: str, value: Message) -> None:
        """Produce one record to the ingress's Kafka topic."""
        _, route = self.stack.module.ingress_for(ingress_or_topic)
        topic = route.topic if route is not None else ingress_or_topic
        self.stack.produce(topic, key=key, value=value)

    def egress(self, egress_or_topic: str, value_type: type[Message], *, count: int) -> list[Any]:
        """The next ``count`` committed values of the topic (waits up to ``timeout``)."""
        records = self.stack.egress(egress_or_topic, value_type, count=count, timeout=self.timeout)
        return [record.value for record in records]


# ------------------------------------------------------------------------------------------------
# Fixtures
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Setup:
    module: Path
    functions: str


def _setup(request: pytest.FixtureRequest) -> _Setup:
    config = request.config
    base = config.inipath.parent if config.inipath else config.rootpath
    marker = request.node.get_closest_marker("statefun")
    module = (marker.kwargs.get("module") if marker else None) or config.getini(_MODULE_INI)
    functions = (marker.kwargs.get("functions") if marker else None) or config.getini(
        _FUNCTIONS_INI
    )
    if not functions:
        pytest.fail(
            f"the statefun fixtures need the functions file: set `{_FUNCTIONS_INI} = "
            f"path/to/functions.py` in pytest.ini (or [tool.pytest.ini_options]), or mark the "
            f'test @pytest.mark.statefun(functions="path/to/functions.py").',
            pytrace=False,
        )
    return _Setup(base / str(module), str(base / str(functions)))


_LOADED: dict[str, StatefulFunctions] = {}


@pytest.fixture
def statefun_functions(request: pytest.FixtureRequest) -> StatefulFunctions:
    """The ``StatefulFunctions`` of the configured functions file (loaded once a session)."""
    spec = _setup(request).functions
    if spec not in _LOADED:
        loaded = load_function_file(spec)
        assert loaded.functions is not None
        _LOADED[spec] = loaded.functions
    return _LOADED[spec]


@pytest.fixture
def statefun_runtime(
    request: pytest.FixtureRequest, statefun_functions: StatefulFunctions
) -> LocalRuntime:
    """A fresh local runtime for this test: the configured module.yaml and functions."""
    return LocalRuntime.from_module(_setup(request).module, statefun_functions)


@pytest.fixture
def statefun_clock(statefun_runtime: LocalRuntime) -> VirtualClock:
    """The virtual clock of ``statefun_runtime`` (read ``.now``; move it with ``advance``)."""
    return statefun_runtime.clock


_STACKS: dict[tuple[str, str], Any] = {}


@pytest.fixture(params=["local", "flink"])
def statefun_engine(
    request: pytest.FixtureRequest, statefun_functions: StatefulFunctions
) -> Iterator[StatefunEngine]:
    """The test's engine: ``local`` always, ``flink`` with ``--statefun-flink`` (see module)."""
    setup = _setup(request)
    if request.param == "local":
        yield LocalEngine(LocalRuntime.from_module(setup.module, statefun_functions))
        return
    yield FlinkEngine(_flink_stack(request, setup, statefun_functions))


def _flink_stack(
    request: pytest.FixtureRequest, setup: _Setup, functions: StatefulFunctions
) -> Any:
    if not request.config.getoption(_FLINK_OPTION):
        pytest.skip(f"real Flink StateFun runs only with pytest {_FLINK_OPTION}")
    try:
        flink = importlib.import_module("statefun.flink")
        stack_class = flink.FlinkStack
    except (ImportError, AttributeError) as e:
        pytest.skip(f"this statefun-lab has no statefun.flink.FlinkStack ({e})")
    from statefun.errors import JavaNotFoundError
    from statefun.flink.java import find_java

    try:
        find_java()
    except JavaNotFoundError as e:
        pytest.skip(f"no Java for real Flink StateFun: {e}")
    key = (str(setup.module), setup.functions)
    if key not in _STACKS:
        load_module(setup.module)  # a broken module.yaml fails here, before a JVM starts
        stack = stack_class(str(setup.module), functions=functions)
        stack.__enter__()
        request.session.config.add_cleanup(stack.down)
        _STACKS[key] = stack
    return _STACKS[key]

"""Texts and helpers for the module.yaml tests (tests/local/module_yaml/ and any test that needs
a module).

The walkthrough's module.yaml as a test sees it, builders of small modules, and the assertions
every module.yaml error must pass: it is a ``ModuleYamlError`` with a line, in plain words.
"""

from __future__ import annotations

import re
import textwrap
import warnings
from pathlib import Path

import pytest

from statefun.errors import ModuleYamlError, ModuleYamlWarning
from statefun.local.module_yaml import DEFAULT_MAX_BYTES, ModuleSpec, parse_module

ROOT = Path(__file__).resolve().parents[2]
#: The repository's module.yaml files, as learners find them.
MODULE = (ROOT / "module.yaml").read_text(encoding="utf-8")
MODULE_2 = (ROOT / "module-2.0.yaml").read_text(encoding="utf-8")
#: Modules of the tests: ``greeter/module.yaml`` and ``v2/module.yaml``.
DATA = ROOT / "tests" / "local" / "data"

# The walkthrough / greeter example's module.yaml (spec §5.1) as the parser tests' own copy,
# line numbers matter below. It is written out, not read: the repository's module.yaml (MODULE)
# has comments and a startupPosition that move its lines, and the exercise's text
# (statefun.exercises.module_files) is the package's, which these tests check.
WALKTHROUGH = textwrap.dedent(
    """\
    version: "1.0"
    module:
      meta:
        type: remote
      spec:
        functions:
          - function:
              meta:
                kind: http
                type: example/greeter
              spec:
                endpoint: http://python-worker:8000/statefun
                states:
                  - seen_count
                maxNumBatchRequests: 500
                timeout: 2min
        ingresses:
          - ingress:
              meta:
                type: statefun.kafka.io/routable-protobuf-ingress
                id: example/names
              spec:
                address: kafka-broker:9092
                consumerGroupId: my-group-id
                topics:
                  - topic: names
                    typeUrl: com.googleapis/example.GreetRequest
                    targets:
                      - example/greeter
        egresses:
          - egress:
              meta:
                type: statefun.kafka.io/generic-egress
                id: example/greets
              spec:
                address: kafka-broker:9092
                deliverySemantic:
                  type: exactly-once
                  transactionTimeoutMillis: 100000
    """
)

FN = "module.spec.functions[0].function"
ING = "module.spec.ingresses[0].ingress"
EG = "module.spec.egresses[0].egress"

# PyYAML's words, which a learner should never have to read.
JARGON = re.compile(r"<block|<scalar>|<document|<stream|simple key|token|while (scanning|parsing)")


def edit(text: str, old: str, new: str) -> str:
    """``text`` with the single occurrence of ``old`` replaced."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line containing ``needle``."""
    for number, line in enumerate(text.split("\n"), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def fails(
    text: str | bytes,
    path: str | None = "module.yaml",
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    plain: bool = True,
) -> ModuleYamlError:
    """The error parsing ``text`` raises, once checked to name a line (and, with ``plain``, to
    be free of PyYAML's words)."""
    with pytest.raises(ModuleYamlError) as info:
        parse_module(text, path=path, max_bytes=max_bytes)
    error = info.value
    assert error.line is not None, f"no line in {error}"
    assert not (plain and JARGON.search(str(error))), f"PyYAML jargon in {error}"
    return error


def warned(text: str) -> tuple[ModuleSpec, list[ModuleYamlWarning]]:
    """The module and the warnings issued while parsing it (which it also keeps)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = parse_module(text, path="module.yaml")
    issued = [w.message for w in caught if isinstance(w.message, ModuleYamlWarning)]
    assert issued == list(module.warnings)
    assert all(w.category is ModuleYamlWarning for w in caught)
    return module, issued


def write(directory: Path, text: str) -> Path:
    """``text`` written as ``directory/module.yaml``."""
    path = directory / "module.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def module_with(body: str, version: str = "1.0") -> str:
    """A module whose ``spec:`` holds ``body`` (indented by 4)."""
    return f'version: "{version}"\nmodule:\n  meta:\n    type: remote\n  spec:\n' + textwrap.indent(
        textwrap.dedent(body), "    "
    )


def ingress_module(spec: str, type_: str = "statefun.kafka.io/routable-protobuf-ingress") -> str:
    header = f"ingresses:\n  - ingress:\n      meta:\n        type: {type_}\n"
    header += "        id: example/names\n      spec:\n"
    return module_with(header + textwrap.indent(textwrap.dedent(spec), " " * 8))


def egress_module(spec: str, type_: str = "statefun.kafka.io/generic-egress") -> str:
    header = f"egresses:\n  - egress:\n      meta:\n        type: {type_}\n"
    header += "        id: example/greets\n      spec:\n"
    return module_with(header + textwrap.indent(textwrap.dedent(spec), " " * 8))


KAFKA_TOPICS = """\
address: kafka-broker:9092
topics:
  - topic: names
    typeUrl: com.googleapis/example.GreetRequest
    targets:
      - example/greeter
"""

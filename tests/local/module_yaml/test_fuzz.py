"""Fuzzing the module.yaml loader: whatever the bytes, a module or a ModuleYamlError with a line.

Hypothesis mutates the repository's module.yaml and module-2.0.yaml the ways files get broken:
bytes flipped, lines deleted, duplicated or swapped, indentation changed or turned into tabs,
YAML tags put before values, keys misspelled, values replaced by deep nesting, and YAML's
special characters (anchors, aliases, quotes, brackets, document markers, a byte order mark,
control characters) dropped in. Every outcome must be a parsed ``ModuleSpec`` or a
``ModuleYamlError`` with a line: never another exception, and never a hang (a RecursionError
or a blow-up would show here first).

In CI the examples are derandomized (the same every run) and few, so the module runs in a few
seconds. To fuzz longer, with fresh random examples each run::

    STATEFUN_LAB_FUZZ_EXAMPLES=20000 .venv/bin/pytest tests/local/module_yaml/test_fuzz.py

A failure prints the smallest input Hypothesis found; add it to
the test module of the concept at fault (``tests/local/module_yaml/test_syntax.py``, ...) as a
regression test once fixed.
"""

from __future__ import annotations

import os
import re
import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from module_yaml_texts import MODULE, MODULE_2

from statefun.errors import ModuleYamlError, ModuleYamlWarning
from statefun.local.module_yaml import ModuleSpec, parse_module

SOURCES = (MODULE, MODULE_2)

_BY_HAND = "STATEFUN_LAB_FUZZ_EXAMPLES" in os.environ
FUZZ = settings(
    max_examples=int(os.environ.get("STATEFUN_LAB_FUZZ_EXAMPLES", "120")),
    derandomize=not _BY_HAND,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

TAGS = (
    "!!int",
    "!!float",
    "!!bool",
    "!!null",
    "!!str",
    "!!binary",
    "!!timestamp",
    "!!map",
    "!!seq",
    "!!set",
    "!!omap",
    "!!python/object:os.system",
    "!local",
    "!<tag:yaml.org,2002:int>",
    "!",
)
SPECIAL = (
    ":",
    ": ",
    "- ",
    "-",
    "? ",
    "&a ",
    "*a",
    "&a",
    "*",
    "|",
    ">",
    '"',
    "'",
    "#",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "{",
    "}",
    "[",
    "]",
    ",",
    "@",
    "`",
    "\t",
    "\ufeff",
    "\u00a0",
    "\u200b",
    "\x00",
    "\x07",
    "\x1b",
    "\x85",
    "\u2028",
    "\r",
    "\\",
    '"\\q"',
    "0x_",
    "9" * 5000,
    "<<: *a",
    "~",
    "null",
    "é",
    "\ud800",
)
KEYS = re.compile(r"^(\s*(?:- )?)([A-Za-z][A-Za-z0-9]*)(:)", re.MULTILINE)


def _lines(text: str) -> list[str]:
    return text.split("\n")


@st.composite
def line_edit(draw: st.DrawFn, text: str) -> str:
    """One edit of one line: delete, duplicate, swap with the next, re-indent, tab."""
    lines = _lines(text)
    index = draw(st.integers(0, len(lines) - 1))
    line = lines[index]
    kind = draw(st.sampled_from(["delete", "duplicate", "swap", "indent", "tab"]))
    if kind == "delete":
        del lines[index]
    elif kind == "duplicate":
        lines.insert(index, line)
    elif kind == "swap" and index + 1 < len(lines):
        lines[index], lines[index + 1] = lines[index + 1], line
    elif kind == "indent":
        body = line.lstrip(" ")
        indent = max(0, len(line) - len(body) + draw(st.integers(-6, 6)))
        lines[index] = " " * indent + body
    elif kind == "tab":
        body = line.lstrip(" ")
        spaces = len(line) - len(body)
        lines[index] = line[: draw(st.integers(0, spaces))] + "\t" + body
    return "\n".join(lines)


@st.composite
def tag_injection(draw: st.DrawFn, text: str) -> str:
    """A YAML tag before one value: `key: !!int value`."""
    lines = _lines(text)
    candidates = [i for i, line in enumerate(lines) if ": " in line and "#" not in line[:4]]
    index = draw(st.sampled_from(candidates))
    key, value = lines[index].split(": ", 1)
    tag = draw(st.sampled_from(TAGS))
    lines[index] = f"{key}: {tag} {value}"
    return "\n".join(lines)


@st.composite
def key_typo(draw: st.DrawFn, text: str) -> str:
    """One key misspelled: a letter's case changed, dropped, doubled or replaced."""
    keys = list(KEYS.finditer(text))
    match = draw(st.sampled_from(keys))
    key = match.group(2)
    at = draw(st.integers(0, len(key) - 1))
    kind = draw(st.sampled_from(["case", "drop", "double", "replace"]))
    if kind == "case":
        typo = key[:at] + key[at].swapcase() + key[at + 1 :]
    elif kind == "drop":
        typo = key[:at] + key[at + 1 :]
    elif kind == "double":
        typo = key[:at] + key[at] * 2 + key[at:]
    else:
        typo = key[:at] + draw(st.characters(codec="utf-8")) + key[at + 1 :]
    return text[: match.start(2)] + typo + text[match.end(2) :]


@st.composite
def nesting(draw: st.DrawFn, text: str) -> str:
    """One value replaced by nested flow collections or block maps, up to 3,000 deep."""
    lines = _lines(text)
    candidates = [i for i, line in enumerate(lines) if ": " in line and "#" not in line[:4]]
    index = draw(st.sampled_from(candidates))
    key = lines[index].split(": ", 1)[0]
    depth = draw(st.one_of(st.integers(1, 60), st.integers(60, 3000)))
    shape = draw(st.sampled_from(["[", "{a: ", "[{a: ", "block", "- "]))
    closed = draw(st.booleans())
    if shape == "block":
        indent = len(key) - len(key.lstrip(" "))
        body = "".join(f"\n{' ' * (indent + 2 * (d + 1))}k{d}:" for d in range(depth))
        value = body + " x"
    elif shape == "- ":
        value = "\n" + " " * (len(key) - len(key.lstrip(" ")) + 2) + "- " * depth + "x"
    else:
        closer = {"[": "]", "{a: ": "}", "[{a: ": "}]"}[shape]
        value = shape * depth + "x" + (closer * depth if closed else "")
    lines[index] = f"{key}:{'' if value.startswith(chr(10)) else ' '}{value}"
    return "\n".join(lines)


@st.composite
def special_text(draw: st.DrawFn, text: str) -> str:
    """YAML's special characters, or invisible ones, dropped in anywhere."""
    at = draw(st.integers(0, len(text)))
    piece = draw(st.one_of(st.sampled_from(SPECIAL), st.text(max_size=4)))
    return text[:at] + piece + text[at:]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A walkthrough module with one to four text edits, then maybe a few bytes flipped."""
    text = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(1, 4))):
        edit = draw(st.sampled_from([line_edit, tag_injection, key_typo, nesting, special_text]))
        text = draw(edit(text))
    data = bytearray(text.encode("utf-8", "surrogatepass"))
    for _ in range(draw(st.integers(0, 3))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


def outcome(data: bytes, *, strict: bool) -> ModuleSpec | ModuleYamlError:
    """What the loader makes of ``data``: a module or its error, nothing else."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModuleYamlWarning)
        try:
            return parse_module(data, path="module.yaml", strict=strict)
        except ModuleYamlError as error:
            return error


def assert_has_a_line(error: ModuleYamlError, data: bytes) -> None:
    lines = len(re.split(rb"\r\n|[\n\r]", data))
    assert error.line is not None, f"no line in: {error}"
    assert 1 <= error.line <= lines, f"line {error.line} of {lines}: {error}"
    assert error.problem and str(error).startswith(f"module.yaml:{error.line}: ")


@FUZZ
@given(data=mutated(), strict=st.booleans())
def test_a_mutated_module_loads_or_fails_with_a_line(data: bytes, strict: bool) -> None:
    result = outcome(data, strict=strict)
    if isinstance(result, ModuleYamlError):
        assert_has_a_line(result, data)
    else:
        assert isinstance(result, ModuleSpec)
        assert not (strict and result.warnings)


@FUZZ
@given(data=st.binary(max_size=2048))
def test_any_bytes_load_or_fail_with_a_line(data: bytes) -> None:
    result = outcome(data, strict=False)
    if isinstance(result, ModuleYamlError):
        assert_has_a_line(result, data)


@FUZZ
@given(
    prefix=st.sampled_from(SOURCES),
    text=st.text(alphabet=st.sampled_from(" \n-:[]{},'\"#&*!|>?%@`\tab1."), max_size=400),
)
def test_yaml_punctuation_after_a_module_loads_or_fails_with_a_line(prefix: str, text: str) -> None:
    data = (prefix + text).encode()
    result = outcome(data, strict=True)
    if isinstance(result, ModuleYamlError):
        assert_has_a_line(result, data)

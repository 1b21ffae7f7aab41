"""The loader's limits: nesting depth and number of values, with or without YAML aliases."""

from __future__ import annotations

import sys

from module_yaml_texts import (
    MODULE,
    edit,
    fails,
    line_of,
)


def test_500_open_brackets_are_refused_at_their_line_before_python_recursion() -> None:
    text = edit(MODULE, "timeout: 2min", "timeout: " + "[" * 500)
    error = fails(text)
    assert error.line == line_of(text, "timeout: [[[")
    assert "nested" in error.problem and "column" in error.problem
    assert "[" in (error.hint or "")


def test_nesting_deeper_than_the_recursion_limit_is_still_a_module_error() -> None:
    depth = sys.getrecursionlimit() * 3
    error = fails(edit(MODULE, "timeout: 2min", "timeout: " + "{a: " * depth))
    assert error.line == line_of(MODULE, "timeout: 2min")


def test_deep_block_nesting_is_refused_too() -> None:
    block = "".join(f"\n{'  ' * (7 + level)}k{level}:" for level in range(200))
    text = edit(MODULE, "timeout: 2min", "timeout:" + block + " x")
    error = fails(text)
    assert "nested" in error.problem
    assert error.line is not None and error.line > line_of(text, "timeout:")


def test_aliases_cannot_build_nesting_deeper_than_the_limit() -> None:
    lines = ["bomb:", "  a0: &a0 [[[[[[[[[[x]]]]]]]]]]"]
    for level in range(1, 40):
        lines.append(f"  a{level}: &a{level} [[[[[[[[[[*a{level - 1}]]]]]]]]]]")
    error = fails(MODULE + "\n".join(lines) + "\n")
    assert "nested" in error.problem


def test_the_node_guard_does_not_speak_of_aliases_when_there_are_none() -> None:
    text = edit(
        MODULE,
        "targets:\n                  - example/greeter",
        "targets: [" + ", ".join(["a"] * 110_000) + "]",
    )
    error = fails(text)
    assert error.line == line_of(text, "targets: [")
    assert "100,000" in error.problem
    assert "alias" not in str(error)


def test_the_node_guard_names_aliases_when_they_blow_up() -> None:
    lines = ["bomb:", "  a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 8):
        lines.append(f"  a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    error = fails(MODULE + "\n".join(lines) + "\n")
    assert "alias" in error.problem


def test_an_alias_to_its_own_parent_is_refused() -> None:
    error = fails(MODULE + "loop: &loop\n  - *loop\n")
    assert error.line == line_of(MODULE + "loop:", "loop:")

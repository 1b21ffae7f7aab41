"""YAML values as the runtime's Jackson types them: tags, numbers, duplicate keys."""

from __future__ import annotations

import pytest
from module_yaml_texts import (
    FN,
    MODULE,
    WALKTHROUGH,
    edit,
    fails,
    line_of,
)


def test_duplicate_keys_are_rejected() -> None:
    text = edit(WALKTHROUGH, "    timeout: 2min", "    timeout: 2min\n            timeout: 3min")
    error = fails(text)
    assert error.line == line_of(text, "timeout: 3min")
    assert error.key_path == f"{FN}.spec.timeout"
    assert f"first written at line {line_of(text, 'timeout: 2min')}" in error.problem


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("!!int abc", "not a whole number"),
        ("!!bool maybe", "not a boolean"),
        ("!!float 1e", "not a number"),
        ("!!int ''", "not a whole number"),
        ("!!float ''", "not a number"),
        ("!!int 1:x", "not a whole number"),
        ("0x_", "not a whole number"),  # resolved as an int by YAML 1.1's pattern, then no digits
        ("0b_", "not a whole number"),
    ],
)
def test_a_tagged_value_that_is_not_of_its_type_is_an_error_on_its_line(
    value: str, words: str
) -> None:
    text = edit(MODULE, "maxNumBatchRequests: 500", f"maxNumBatchRequests: {value}")
    error = fails(text)
    assert error.line == line_of(text, "maxNumBatchRequests")
    assert words in error.problem
    assert value.split()[-1].strip("'") in error.problem


def test_an_explicit_tag_gets_a_hint_to_remove_it() -> None:
    error = fails(edit(MODULE, "maxNumBatchRequests: 500", "maxNumBatchRequests: !!int abc"))
    assert "!!int" in (error.hint or "")


def test_a_number_too_long_for_python_is_an_error_not_a_value_error() -> None:
    digits = "9" * 5000
    text = edit(MODULE, "maxNumBatchRequests: 500", f"maxNumBatchRequests: {digits}")
    error = fails(text)
    assert error.line == line_of(text, "maxNumBatchRequests")
    assert "digits" in error.problem

"""Hostile and broken module.yaml files: each is a ModuleYamlError with a line, said plainly.

The hardening issue's cases: explicit tags with bad values, deep nesting, control characters and
invalid UTF-8, oversized files and the node guard, and the common syntax mistakes a learner makes
in the repository's own module.yaml and module-2.0.yaml (a tab, a missing colon, a key indented
too far or not far enough, a stray byte order mark, an unclosed quote or bracket).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from statefun.errors import ModuleYamlError
from statefun.local.module_yaml import DEFAULT_MAX_BYTES, load_module, parse_module

ROOT = Path(__file__).resolve().parents[2]
MODULE = (ROOT / "module.yaml").read_text(encoding="utf-8")
MODULE_2 = (ROOT / "module-2.0.yaml").read_text(encoding="utf-8")

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


def fails(text: str | bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ModuleYamlError:
    with pytest.raises(ModuleYamlError) as info:
        parse_module(text, path="module.yaml", max_bytes=max_bytes)
    error = info.value
    assert error.line is not None, f"no line in {error}"
    assert not JARGON.search(str(error)), f"PyYAML jargon in {error}"
    return error


# ------------------------------------------------------------------------------------------------
# Explicit tags with values that are not of the tag's type
# ------------------------------------------------------------------------------------------------


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


def test_a_duration_with_too_many_digits_is_a_module_error() -> None:
    text = edit(MODULE, "timeout: 2min", f"timeout: {'1' * 5000}ms")
    error = fails(text)
    assert error.line == line_of(text, "timeout: 111")
    assert "numeric overflow" in error.problem


def test_a_partition_with_too_many_digits_is_a_module_error() -> None:
    offsets = "type: specific-offsets\n              offsets:\n"
    offsets += f"                - names/{'1' * 30}: 1"
    text = edit(MODULE, "type: earliest", offsets)
    error = fails(text)
    assert error.line == line_of(text, "- names/111")
    assert "<topic>/<partition_id>" in error.problem


# ------------------------------------------------------------------------------------------------
# Deep nesting
# ------------------------------------------------------------------------------------------------


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


# ------------------------------------------------------------------------------------------------
# Control characters, invalid UTF-8, byte order marks, non-breaking spaces
# ------------------------------------------------------------------------------------------------


def test_a_control_character_is_reported_by_line_and_column() -> None:
    text = edit(MODULE, "kind: http", "kind: ht\x07tp")
    error = fails(text)
    assert error.line == line_of(text, "kind: ht")
    assert "U+0007" in error.problem and "column 21" in error.problem
    assert "position" not in str(error)
    assert "delete" in (error.hint or "")


def test_a_nul_byte_in_bytes_is_reported_by_line_and_column() -> None:
    data = MODULE.encode().replace(b"type: remote", b"type: re\x00mote")
    error = fails(data)
    assert error.line == line_of(MODULE, "type: remote")
    assert "U+0000" in error.problem


@pytest.mark.parametrize("loader", ["parse_module", "load_module"])
def test_invalid_utf8_is_reported_by_line_and_column_with_the_byte(
    loader: str, tmp_path: Path
) -> None:
    data = MODULE.encode().replace(b"my-group-id", b"my-gr\xe9up-id")
    if loader == "load_module":
        (tmp_path / "module.yaml").write_bytes(data)
        with pytest.raises(ModuleYamlError) as info:
            load_module(tmp_path)
        error = info.value
    else:
        error = fails(data)
    assert error.line == line_of(MODULE, "my-group-id")
    assert "0xE9" in error.problem and "column 35" in error.problem
    assert "UTF-8" in (error.hint or "")
    assert "é" in (error.hint or "")  # what the byte is in Windows-1252 / Latin-1


def test_a_utf16_file_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / "module.yaml").write_bytes(MODULE.encode("utf-16"))
    with pytest.raises(ModuleYamlError) as info:
        load_module(tmp_path)
    assert info.value.line == 1
    assert "UTF-16" in info.value.problem


def test_a_leading_byte_order_mark_is_fine() -> None:
    assert parse_module("\ufeff" + MODULE).functions.keys() == {"example/greeter"}
    assert parse_module(b"\xef\xbb\xbf" + MODULE.encode()).functions.keys() == {"example/greeter"}


def test_a_stray_byte_order_mark_is_named_at_its_line() -> None:
    text = edit(MODULE, "    egresses:", "\ufeff    egresses:")
    error = fails(text)
    assert error.line == line_of(text, "egresses:")
    assert "byte order mark" in error.problem and "U+FEFF" in error.problem


def test_a_non_breaking_space_in_the_indentation_is_named() -> None:
    text = edit(MODULE, "            kind: http", "          \u00a0 kind: http")
    error = fails(text)
    assert error.line == line_of(text, "kind: http")
    assert "non-breaking space" in error.problem


# ------------------------------------------------------------------------------------------------
# Size limit and the node guard
# ------------------------------------------------------------------------------------------------


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "module.yaml"
    with path.open("wb") as file:
        file.truncate(50 * 1024 * 1024)  # sparse: 50 MiB of NULs that take no disk
    with pytest.raises(ModuleYamlError) as info:
        load_module(path)
    error = info.value
    assert error.line is not None
    assert "52,428,800 bytes" in error.problem and "1 MiB" in error.problem
    assert "max_bytes=" in (error.hint or "")


def test_the_size_limit_is_a_keyword(tmp_path: Path) -> None:
    big = MODULE + "#" * DEFAULT_MAX_BYTES + "\n"
    error = fails(big)
    assert error.line == line_of(big, "####")
    assert parse_module(big, max_bytes=2 * DEFAULT_MAX_BYTES).functions
    (tmp_path / "module.yaml").write_text(big, encoding="utf-8")
    assert load_module(tmp_path, max_bytes=2 * DEFAULT_MAX_BYTES).functions
    assert "limit" in fails(MODULE, max_bytes=100).problem


def test_the_size_limit_counts_utf8_bytes_not_characters() -> None:
    text = MODULE + "# " + "é" * (DEFAULT_MAX_BYTES // 2) + "\n"
    assert len(text) < DEFAULT_MAX_BYTES < len(text.encode())
    assert "limit" in fails(text).problem


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


# ------------------------------------------------------------------------------------------------
# Syntax mistakes a learner makes, in plain words, at the culprit line
# ------------------------------------------------------------------------------------------------

OVER_INDENTED_SPEC = edit(
    MODULE,
    "            type: example/greeter\n          spec:",
    "            type: example/greeter\n            spec:",
)


def test_the_issues_over_indented_spec_points_at_spec_not_four_lines_earlier() -> None:
    error = fails(OVER_INDENTED_SPEC)
    assert error.line == 18  # the `spec:` line, not `- function:` (14)
    assert "`spec:`" in error.problem and "indented more" in error.problem
    assert "`meta:`" in error.problem
    assert "10 spaces" in (error.hint or "")


@pytest.mark.parametrize("spaces", [11, 13, 14, 16])
def test_spec_indented_anywhere_but_its_column_points_at_spec(spaces: int) -> None:
    text = edit(
        MODULE,
        "          spec:\n            # The python",
        f"{' ' * spaces}spec:\n            # The python",
    )
    error = fails(text)
    assert error.line == 18
    assert "`spec:`" in error.problem
    assert "10 spaces" in (error.hint or "")


def test_a_tab_at_the_start_of_a_line() -> None:
    text = edit(MODULE, "            kind: http", "\tkind: http")
    error = fails(text)
    assert error.line == line_of(text, "\tkind")
    assert error.problem.startswith(f"line {error.line} starts with a tab")
    assert "spaces" in error.problem
    assert "12 spaces" in (error.hint or "")


def test_a_tab_after_a_colon() -> None:
    text = edit(MODULE, "kind: http", "kind:\thttp")
    error = fails(text)
    assert error.line == line_of(text, "kind:\thttp")
    assert "tab" in error.problem and "column 18" in error.problem


def test_a_missing_colon() -> None:
    text = edit(MODULE, "type: example/greeter", "type example/greeter")
    error = fails(text)
    assert error.line == line_of(text, "type example/greeter")
    assert "`type example/greeter` has no colon" in error.problem
    assert "`type: example/greeter`" in (error.hint or "")


def test_a_missing_colon_after_a_key_with_children() -> None:
    text = edit(MODULE, "          spec:\n            # The", "          spec\n            # The")
    error = fails(text)
    assert error.line == 18
    assert "`spec` has no colon" in error.problem


def test_a_missing_space_after_a_colon() -> None:
    text = edit(MODULE, "type: example/greeter", "type:example/greeter")
    error = fails(text)
    assert error.line == line_of(text, "type:example")
    assert "space after the colon" in error.problem
    assert "`type: example/greeter`" in (error.hint or "")


def test_an_unclosed_quote_points_at_the_quote_not_where_yaml_gave_up() -> None:
    text = edit(MODULE, 'version: "1.0"', 'version: "1.0')
    error = fails(text)
    assert error.line == 7
    assert "quote" in error.problem and "not closed" in error.problem


def test_an_unclosed_bracket_points_at_the_bracket() -> None:
    text = edit(MODULE, "- example/greeter", "- [example/greeter")
    error = fails(text)
    assert error.line == line_of(text, "[example/greeter")
    assert "`[`" in error.problem


def test_a_list_item_on_the_line_of_its_key() -> None:
    text = edit(MODULE, "states:\n              - seen_count", "states: - seen_count")
    error = fails(text)
    assert error.line == line_of(text, "states: - seen_count")
    assert "own line" in (error.hint or "")


def test_a_value_with_colon_space_needs_quotes() -> None:
    text = edit(MODULE, "consumerGroupId: my-group-id", "consumerGroupId: group: one")
    error = fails(text)
    assert error.line == line_of(text, "group: one")
    assert 'consumerGroupId: "group: one"' in (error.hint or "")


def test_a_value_starting_with_a_reserved_character() -> None:
    text = edit(MODULE, "consumerGroupId: my-group-id", "consumerGroupId: @group")
    error = fails(text)
    assert error.line == line_of(text, "@group")
    assert '"@group"' in (error.hint or "")


def test_an_undefined_alias() -> None:
    text = edit(MODULE, "consumerGroupId: my-group-id", "consumerGroupId: *group")
    error = fails(text)
    assert error.line == line_of(text, "*group")
    assert '"*group"' in (error.hint or "")


def test_a_second_document() -> None:
    text = MODULE + "---\nversion: '1.0'\n"
    error = fails(text)
    assert error.line == line_of(text, "---")
    assert "second" in error.problem


# Every line of the two walkthrough modules, broken the ways learners break them.
MUTATIONS = ("indent+1", "indent+2", "indent-1", "indent-2", "tab", "no-colon", "no-space")


def learner_mutations(text: str) -> list[tuple[str, int, str]]:
    """(mutation, 1-based line, mutated text) for each structural line of ``text``."""
    lines = text.split("\n")
    found = []
    for index, line in enumerate(lines):
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        if not body or body.startswith("#"):
            continue
        variants = {
            "indent+1": " " + line,
            "indent+2": "  " + line,
            "indent-1": line[1:] if indent >= 1 else None,
            "indent-2": line[2:] if indent >= 2 else None,
            "tab": "\t" + body if indent else None,
        }
        if ": " in body:
            key, value = body.split(": ", 1)
            variants["no-colon"] = " " * indent + key + " " + value
            variants["no-space"] = " " * indent + key + ":" + value
        elif body.endswith(":"):
            variants["no-colon"] = line[:-1]
        for name, new in variants.items():
            if new is not None:
                mutated = "\n".join([*lines[:index], new, *lines[index + 1 :]])
                found.append((name, index + 1, mutated))
    return found


CASES = [
    pytest.param(original, mutated, number, id=f"{file}:{number}:{name}")
    for file, original in (("module.yaml", MODULE), ("module-2.0.yaml", MODULE_2))
    for name, number, mutated in learner_mutations(original)
]


@pytest.mark.parametrize(("original", "mutated", "number"), CASES)
def test_a_learners_mistake_is_reported_at_the_line_it_was_made(
    original: str, mutated: str, number: int
) -> None:
    try:
        parse_module(mutated, path="module.yaml", strict=True)
    except ModuleYamlError as error:
        assert not JARGON.search(str(error)), str(error)
        assert error.line == number, str(error)
    else:
        # Some slips leave a module that means the same (a list item indented a little more).
        assert parse_module(mutated) == parse_module(original)


def test_line_numbers_count_like_an_editor_with_windows_line_endings() -> None:
    text = edit(MODULE, "type: example/greeter", "type example/greeter").replace("\n", "\r\n")
    assert fails(text).line == line_of(MODULE, "type: example/greeter")


def test_a_document_marker_inside_the_module() -> None:
    for marker in ("%YAML 1.1", "..."):
        text = edit(MODULE, "\nmodule:\n", f"\n{marker}\nmodule:\n")
        error = fails(text)
        assert error.line == line_of(text, marker)
        assert "document marker" in error.problem


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_a_line_break_editors_do_not_show_is_named_at_the_line_editors_show(
    separator: str,
) -> None:
    text = edit(MODULE, "kind: http", f"kind:{separator}http")
    error = fails(text)
    assert error.line == line_of(MODULE, "kind: http")
    assert f"U+{ord(separator):04X}" in error.problem and "column 18" in error.problem


def test_a_key_longer_than_yaml_allows() -> None:
    text = MODULE + "k" * 2000 + ": 1\n"
    error = fails(text)
    assert error.line == line_of(text, "kkkk")
    assert "1,024" in error.problem
    assert len(str(error)) < 300


def test_a_long_line_without_a_colon_is_shortened_in_the_message() -> None:
    text = edit(MODULE, "kind: http", "kind " + "h" * 500)
    error = fails(text)
    assert error.line == line_of(text, "kind hhh")
    assert "has no colon" in error.problem and len(str(error)) < 400


def test_a_list_item_without_a_space_after_its_dash() -> None:
    text = edit(MODULE, "- seen_count", "-seen_count")
    error = fails(text)
    assert error.line == line_of(text, "-seen_count")
    assert error.hint == "write `- seen_count`."

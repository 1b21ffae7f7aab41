"""YAML syntax errors in plain words, at the line a learner must fix."""

from __future__ import annotations

import pytest
from module_yaml_texts import (
    JARGON,
    MODULE,
    MODULE_2,
    WALKTHROUGH,
    edit,
    fails,
    line_of,
)

from statefun.errors import ModuleYamlError
from statefun.local.module_yaml import (
    parse_module,
)


def test_yaml_syntax_error_becomes_module_yaml_error_with_line() -> None:
    text = edit(WALKTHROUGH, "    timeout: 2min", "    timeout: [2min")
    error = fails(text)
    assert error.problem.startswith("the `[` at column 22 is not closed on its line")
    assert error.line == line_of(text, "[2min")
    assert error.hint is not None and "`timeout: [2min]`" in error.hint


def test_tab_indentation_gets_a_hint() -> None:
    text = edit(WALKTHROUGH, "            timeout: 2min", "\ttimeout: 2min")
    error = fails(text)
    assert error.line == line_of(text, "\ttimeout")
    assert error.problem == f"line {error.line} starts with a tab; YAML indents with spaces only."
    assert error.hint == (
        "replace the tab with 12 spaces, to line it up with `maxNumBatchRequests:`."
    )


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

"""The text before YAML reads it: size limit, UTF-8, control characters, invisible characters."""

from __future__ import annotations

from pathlib import Path

import pytest
from module_yaml_texts import (
    MODULE,
    edit,
    fails,
    line_of,
)

from statefun.errors import ModuleYamlError
from statefun.local.module_yaml import (
    DEFAULT_MAX_BYTES,
    load_module,
    parse_module,
)


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


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_a_line_break_editors_do_not_show_is_named_at_the_line_editors_show(
    separator: str,
) -> None:
    text = edit(MODULE, "kind: http", f"kind:{separator}http")
    error = fails(text)
    assert error.line == line_of(MODULE, "kind: http")
    assert f"U+{ord(separator):04X}" in error.problem and "column 18" in error.problem

"""The entry points: load_module (a file or directory), read_module, merge_modules, __all__."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import pytest
from module_yaml_texts import (
    DATA,
    WALKTHROUGH,
    edit,
)

from statefun.errors import ModuleYamlError
from statefun.local.module_yaml import (
    IngressSpec,
    ModuleSpec,
    load_module,
    merge_modules,
    parse_module,
    read_module,
)


def test_load_module_reads_a_file_or_the_module_yaml_in_a_directory() -> None:
    from_file = load_module(DATA / "greeter" / "module.yaml")
    from_dir = load_module(str(DATA / "greeter"))
    assert from_file == from_dir
    assert from_file.path == str(DATA / "greeter" / "module.yaml")
    # Same content as the inline walkthrough, one comment line further down.
    inline = parse_module(WALKTHROUGH, path=from_file.path)
    assert from_file.functions["example/greeter"] == dataclasses.replace(
        inline.functions["example/greeter"], line=8
    )


def test_load_module_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ModuleYamlError) as info:
        load_module(tmp_path / "nope.yaml")
    assert info.value.path == str(tmp_path / "nope.yaml")
    assert "file not found" in str(info.value)


def test_read_module_takes_a_spec_text_a_file_or_a_directory() -> None:
    from_file = load_module(DATA / "greeter" / "module.yaml")
    assert read_module(from_file) is from_file
    assert read_module(DATA / "greeter") == from_file
    assert read_module(str(DATA / "greeter" / "module.yaml")) == from_file
    text = (DATA / "greeter" / "module.yaml").read_text(encoding="utf-8")
    from_text = read_module(text)
    assert from_text.path is None
    assert from_text.functions.keys() == from_file.functions.keys()


def test_read_module_names_text_by_text_path_in_its_errors() -> None:
    broken = edit(WALKTHROUGH, "type: remote", "type: embedded")
    with pytest.raises(ModuleYamlError) as info:
        read_module(broken, text_path="<your module>")
    assert info.value.path == "<your module>"
    assert str(info.value).startswith("<your module>:4: ")


def test_read_module_reads_a_path_that_holds_a_line_break(tmp_path: Path) -> None:
    odd = tmp_path / "a\nb"
    odd.mkdir()
    (odd / "module.yaml").write_text(WALKTHROUGH, encoding="utf-8")
    assert read_module(str(odd)).path == str(odd / "module.yaml")


def test_read_module_strict_and_warnings_point_at_the_caller() -> None:
    typo = edit(WALKTHROUGH, "  meta:\n    type: remote", "  meta:\n    type: remote\n    tpye: x")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = read_module(typo)
    assert [w.filename for w in caught] == [__file__]
    assert [str(w.message) for w in caught] == [str(w) for w in module.warnings]
    with pytest.raises(ModuleYamlError, match="strict"):
        read_module(typo, strict=True)


def test_merge_modules_combines_everything() -> None:
    greeter = load_module(DATA / "greeter")
    shop = load_module(DATA / "v2")
    merged = merge_modules([greeter, shop])
    assert list(merged.functions) == [
        "example/greeter",
        "shop/cart",
        "shop.internal/pricing/engine",
    ]
    assert merged.ingresses == greeter.ingresses
    assert merged.egresses == greeter.egresses
    assert merged.version == "1.0+2.0"
    assert merged.functions["shop/cart"].path == shop.path
    assert merge_modules([greeter]) == greeter


def test_merge_modules_rejects_duplicates_naming_both_files() -> None:
    first = parse_module(WALKTHROUGH, path="a/module.yaml")
    second = parse_module(WALKTHROUGH, path="b/module.yaml")
    with pytest.raises(ModuleYamlError) as info:
        merge_modules([first, second])
    error = info.value
    assert error.problem.startswith("A binding for the key example/greeter was previously defined.")
    assert "a/module.yaml:7" in error.problem
    assert (error.path, error.line) == ("b/module.yaml", 7)


def test_merge_modules_rejects_duplicate_ingress_ids() -> None:
    first = parse_module(WALKTHROUGH, path="a.yaml")
    second = parse_module(
        edit(WALKTHROUGH, "type: example/greeter", "type: example/other"), path="b.yaml"
    )
    with pytest.raises(ModuleYamlError, match="A binding for the key example/names"):
        merge_modules([first, second])


def test_merge_needs_a_module() -> None:
    with pytest.raises(ValueError):
        merge_modules([])


def test_public_names() -> None:
    import statefun.local.module_yaml as module_yaml

    assert sorted(module_yaml.__all__) == sorted(
        [
            "EgressSpec",
            "FunctionSpec",
            "IngressSpec",
            "ModuleSpec",
            "RouterSpec",
            "RoutingSpec",
            "StateSpec",
            "DEFAULT_MAX_BYTES",
            "load_module",
            "merge_modules",
            "parse_duration",
            "parse_module",
            "read_module",
        ]
    )
    assert {IngressSpec, ModuleSpec} <= {getattr(module_yaml, n) for n in module_yaml.__all__}

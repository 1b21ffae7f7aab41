"""The committed notebooks are what their one source generates, in both languages and editions."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import nbformat
import pytest

from statefun.exercises import EXERCISES, localize

ROOT = Path(__file__).resolve().parents[2]


def _load_build() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_notebooks", ROOT / "scripts" / "build_notebooks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build = _load_build()
SOURCES = build.load_sources()
EDITIONS = [(source, lang, kind) for source in SOURCES for lang, kind in source.editions()]


def read(source: Any, lang: str, kind: str) -> Any:
    path = build.edition_path(source.stem, lang, kind)
    return nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]


def outputs(cell: Any) -> list[dict[str, Any]]:
    """A cell's outputs without what may differ between runs (nbval ignores it too)."""
    kept = []
    for output in cell.get("outputs", []):
        output = dict(output)
        output.pop("execution_count", None)
        kept.append(output)
    return kept


def test_the_steps() -> None:
    assert [s.stem for s in SOURCES] == [
        "00-start-here",
        "01-events",
        "02-first-function",
        "03-sending-a-response",
        "04-stateful-hello",
        "05-wiring-it-together",
        "06-configuring-the-run",
        "07-deploying",
        "08-going-further",
    ]
    assert [s.stem[:2] for s in SOURCES if s.has_exercises] == [
        "01",
        "02",
        "03",
        "04",
        "05",
        "06",
        "07",
        "08",
    ]


def test_notebooks_match_their_sources() -> None:
    """Regenerates every edition (without running it) and compares the cells."""
    problems = build.check(SOURCES)
    assert problems == [], "run .venv/bin/python scripts/build_notebooks.py\n" + "\n".join(problems)


def test_languages_differ_only_in_prose_and_comments() -> None:
    assert build.code_cells_agree(SOURCES) == []


def _shape(output: dict[str, Any]) -> tuple[str, str, int]:
    """What an output is, and how many lines it has (the same in every language)."""
    text = output.get("text") or output.get("data", {}).get("text/plain", "")
    return output["output_type"], output.get("name", ""), len(str(text).splitlines())


def _untranslated(text: str) -> bool:
    return not re.search(r"[\u4e00-\u9fff]", text)


@pytest.mark.parametrize(
    ("source", "kind"),
    [(s, k) for s in SOURCES for k in sorted({k for _, k in s.editions()})],
    ids=lambda x: getattr(x, "stem", x),
)
def test_both_languages_show_the_same_outputs_in_their_language(source: Any, kind: str) -> None:
    """The same outputs, line for line; an output without Chinese is the same in both (not
    those nbval ignores: timings, addresses, the real engine's progress)."""
    en, zh = read(source, "en", kind), read(source, "zh", kind)
    en_code = [c for c in en.cells if c.cell_type == "code"]
    zh_code = [c for c in zh.cells if c.cell_type == "code"]
    assert len(en_code) == len(zh_code)
    for a, b in zip(en_code, zh_code, strict=True):
        if "# NBVAL_IGNORE_OUTPUT" in a.source.splitlines():
            continue
        where = f"{source.stem} {a['id']}"
        assert [_shape(o) for o in outputs(a)] == [_shape(o) for o in outputs(b)], where
        for x, y in zip(outputs(a), outputs(b), strict=True):
            if y.get("data", {}).get("text/plain") == build.WIDGET_PLACEHOLDERS["zh"]:
                assert x["data"]["text/plain"] == build.WIDGET_PLACEHOLDERS["en"], where
            elif _untranslated(json.dumps(y, ensure_ascii=False)):
                assert x == y, where


@pytest.mark.parametrize(("source", "lang", "kind"), EDITIONS, ids=lambda x: getattr(x, "stem", x))
def test_every_edition_was_run_cleanly(source: Any, lang: str, kind: str) -> None:
    nb = read(source, lang, kind)
    code = [c for c in nb.cells if c.cell_type == "code"]
    setup = build.setup_code(lang)
    assert f'set_language("{lang}")' in setup
    if source.stem.startswith("00"):  # the environment self-check comes first
        assert "check_environment()" in code[0].source
        assert code[2].source == setup
    else:
        assert code[0].source == setup
    for cell in code:
        skipped = "skip-execution" in cell.metadata.get("tags", [])
        assert (cell.execution_count is None) == skipped, f"{cell['id']} not executed"
        for output in cell.outputs:
            assert output.output_type != "error", f"{cell['id']}: {output.get('evalue')}"
            assert output.get("name") != "stderr", f"{cell['id']}: {output.get('text')}"
            data = output.get("data", {})
            assert "application/vnd.jupyter.widget-view+json" not in data
            if data.get("text/plain") in build.WIDGET_PLACEHOLDERS.values():
                assert data["text/plain"] == build.WIDGET_PLACEHOLDERS[lang]
                assert "# NBVAL_IGNORE_OUTPUT" in cell.source.splitlines()


@pytest.mark.parametrize(
    ("source", "lang", "kind"),
    [e for e in EDITIONS if e[0].has_exercises],
    ids=lambda x: getattr(x, "stem", x),
)
def test_exercise_cells_and_their_checkers(source: Any, lang: str, kind: str) -> None:
    nb = read(source, lang, kind)
    cells = nb.cells
    found = 0
    for index, cell in enumerate(cells):
        tags = cell.metadata.get("tags", [])
        exercise_tags = [t for t in tags if t.startswith("exercise-step-")]
        if not exercise_tags:
            continue
        found += 1
        step = int(exercise_tags[0].rsplit("-", 1)[1])
        exercise = EXERCISES[step]
        code = exercise.solution if kind == "solution" else exercise.starter
        assert cell.source == localize(code, lang).rstrip("\n")
        checker = cells[index + 1]
        assert checker.source == f"check_step_{step}({', '.join(exercise.answers)})"
        verdict = checker.outputs[0]["data"]["text/plain"]
        icon = "✅" if kind == "solution" else "⏳"
        if lang == "en":
            expected = "correct" if kind == "solution" else "not attempted yet"
            assert verdict.startswith(f"{icon} Step {step}: {expected}\n")
        else:
            expected = "正确" if kind == "solution" else "尚未作答"
            assert verdict.startswith(f"{icon} 第 {step} 步：{expected}\n")
    assert found == 1


def test_notebook_7_skips_every_docker_cell() -> None:
    nb = read(SOURCES[7], "en", "solution")
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        uses_docker = "docker compose" in cell.source or "localhost:29092" in cell.source
        uses_network = "make_server" in cell.source
        if uses_docker or uses_network:
            assert cell.source.splitlines()[0] == "# NBVAL_SKIP", cell.source
            assert cell.metadata["tags"] == ["skip-execution"]


def test_markers_must_stand_alone() -> None:
    with pytest.raises(SystemExit, match="alone on its line"):
        build._tags("# NBVAL_SKIP: needs Docker\n!docker ps", "test")
    assert build._tags("# NBVAL_SKIP\n!docker ps", "test") == ["skip-execution"]
    assert build._tags("# NBVAL_IGNORE_OUTPUT\ndisplay(x)", "test") == []


def test_practice_and_language_links_point_to_real_files() -> None:
    for source, lang, kind in EDITIONS:
        path = build.edition_path(source.stem, lang, kind)
        banner = read(source, lang, kind).cells[1].source
        for target in _links(banner):
            assert (path.parent / target).resolve().exists(), f"{path}: {target}"
    readme = (ROOT / "notebooks" / "README.md").read_text()
    for target in _links(readme):
        assert (ROOT / "notebooks" / target).exists(), target


def test_every_link_in_every_edition_points_to_a_real_file() -> None:
    for source, lang, kind in EDITIONS:
        path = build.edition_path(source.stem, lang, kind)
        for cell in read(source, lang, kind).cells:
            if cell.cell_type == "markdown":
                for target in re.findall(r"\]\(([^)#:]+\.(?:ipynb|md))\)", cell.source):
                    assert (path.parent / target).resolve().exists(), f"{path}: {target}"


@pytest.mark.parametrize(("source", "lang", "kind"), EDITIONS, ids=lambda x: getattr(x, "stem", x))
def test_every_edition_ends_with_progress_and_the_next_practice_edition(
    source: Any, lang: str, kind: str
) -> None:
    path = build.edition_path(source.stem, lang, kind)
    cells = read(source, lang, kind).cells
    progress, way_on = cells[-2], cells[-1]
    assert progress.cell_type == "code" and "ProgressView()" in progress.source
    assert "# NBVAL_IGNORE_OUTPUT" in progress.source.splitlines()
    assert progress.outputs[0]["data"]["text/plain"] == build.WIDGET_PLACEHOLDERS[lang]
    following = SOURCES[[s.stem for s in SOURCES].index(source.stem) + 1 :]
    targets = [(path.parent / t).resolve() for t in _links(way_on.source)]
    if not following:
        assert build.edition_path(SOURCES[0].stem, lang, "solution").resolve() in targets
        return
    nxt = following[0]
    first = "practice" if nxt.has_exercises else "solution"
    assert targets[0] == build.edition_path(nxt.stem, lang, first).resolve()
    assert build.edition_path(nxt.stem, lang, "solution").resolve() in targets


def test_the_steps_table_of_00_links_the_practice_editions_first() -> None:
    for lang in ("en", "zh"):
        table = next(
            c.source
            for c in read(SOURCES[0], lang, "solution").cells
            if c.cell_type == "markdown" and c.source.startswith("| ")
        )
        rows = table.splitlines()[2:]
        assert [r.split(" | ")[0] for r in rows] == [f"| {s.stem[:2]}" for s in SOURCES[1:]]
        for source, row in zip(SOURCES[1:], rows, strict=True):
            first = _links(row)[0]
            kind = "practice" if source.has_exercises else "solution"
            assert first == build._relative(
                build.edition_path(source.stem, lang, kind),
                build.edition_path(SOURCES[0].stem, lang, "solution"),
            )


def _links(markdown: str) -> list[str]:
    return re.findall(r"\]\(([^)]+\.ipynb)\)", markdown)

"""The Chinese notebooks speak Chinese: no English prose in their text, comments or outputs.

Reads the committed zh editions (markdown, code comments and docstrings, and the outputs the
build stored) and looks for English *prose*: three or more English words in a row, where a word
is lower case after an optional capital (``the``, ``Send``, ``a``). Identifiers do not read as
words (``GreetRequest``, ``seen_count``, ``example/greeter``, ``2.2.2``, ``TTL``), so code,
type names, paths and log lines pass; inline code and code blocks of the markdown are skipped;
so are the greeter's own greetings (``Welcome Jerry``, ``Nice to see you again Jerry``) and
the walkthrough's names (``Jerry``, ``Elaine``), which are data. A run ends at a clause's
punctuation (``request, batch of 1`` is not a run of three).

What stays English on purpose is listed below, each with its reason: a few proper names, and
the outputs that show a repository file or an error message of the SDK and the local runtime
(``statefun.errors`` stays English for now).
"""

from __future__ import annotations

import ast
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest

from statefun.widgets import DEFAULT_NAMES

ROOT = Path(__file__).resolve().parents[2]
ZH = sorted((ROOT / "notebooks" / "zh").rglob("*.ipynb"))

#: Names that are English words but are names: product names, and JupyterLab's own menu
#: (English unless the learner installs its Chinese language pack; the text gives both).
PROPER_NAMES = ("Apache Flink Stateful Functions", "Apache Flink Slack", "Run All Cells")

#: The greeter's greetings are data, as is the name that ends them.
GREETINGS = re.compile(
    r"Welcome \w+|Nice to see you again \w+|Third time is a charm \w+"
    r"|Nice to see you at the \d+-nth time \w+!?"
)


@dataclass(frozen=True)
class Exemption:
    """The outputs (or comments) of the code cells whose source contains ``fragment`` (in
    notebooks whose name starts with ``stem``) may hold English that matches ``pattern``,
    because ``reason``."""

    stem: str
    fragment: str
    pattern: str
    reason: str
    part: str = "output"


FILE = "the output is a file of the repository, shown verbatim (code)"
ERROR = "the output is an error message of the SDK or the local runtime, which stay English"
EXEMPTIONS = (
    Exemption("01", 'Path("greeter/messages.proto").read_text()', r"(?s).*", FILE),
    Exemption("05", "inspect.getsource(greeter.handle)", r"(?s).*", FILE),
    Exemption("00", 'Path("greeter/greeter.py").read_text()', r"(?s).*", FILE),
    Exemption("08", 'Path("greeter/messages.proto").read_text()', r"(?s).*", FILE),
    Exemption("02", "print(failure.__cause__)", r"(?s).*", ERROR),
    Exemption("05", "print(failure.reason)", r"(?m)^Wrong HTTP content-type.*$", ERROR),
    Exemption("06", "try_module(TEXT.", r"(?s).*", ERROR),
    Exemption("06", "try_module(MISINDENTED)", r"(?s).*", ERROR),
    Exemption("06", "print(failure.__cause__)", r"(?s).*", ERROR),
    Exemption("06", "print(view.report)", r"(?m)module\.yaml:\d+: .*$", ERROR),
)

_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
_WORD = re.compile(r"[aAI]|[A-Za-z][a-z]+(?:'[a-z]+)?")  # not a unit or a variable: s, N
_LEADING = "(\"'“‘*_[<"
_TRAILING = ")\"'”’*_]>"
_CLAUSE_END = (",", ";", ":", ".", "!", "?")


def english_runs(text: str, minimum: int = 3) -> list[str]:
    """The runs of ``minimum`` or more English prose words in ``text``."""
    for name in PROPER_NAMES:
        text = re.sub(r"\s+".join(name.split()), " | ", text)
    text = GREETINGS.sub(" | ", text)
    runs = []
    for line in _CJK.sub("\n", text).splitlines():
        run: list[str] = []
        for token in [*line.split(), "|"]:
            word = token.lstrip(_LEADING).rstrip(_TRAILING)
            ends_clause = word.endswith(_CLAUSE_END)
            word = word.rstrip(",;:.!?").rstrip(_TRAILING)
            if _WORD.fullmatch(word) and word not in DEFAULT_NAMES:
                run.append(word)
                if not ends_clause:
                    continue
            if len(run) >= minimum:
                runs.append(" ".join(run))
            run = []
    return runs


def _markdown_prose(source: str) -> str:
    text = re.sub(r"(?ms)^```.*?^```", " | ", source)  # code blocks
    text = re.sub(r"`[^`]*`", " | ", text)  # inline code
    text = re.sub(r"\]\([^)]*\)", "] ", text)  # link targets
    text = re.sub(r"<https?://[^>]*>|https?://\S+", " | ", text)
    return re.sub(r"<[^>]+>", " | ", text)


def _comments(code: str) -> list[str]:
    """Comments (NBVAL markers aside) and docstrings of a code cell."""
    found = []
    for line in code.splitlines():
        match = re.search(r"(?:^|\s)#\s?(.*)$", line)
        before = line[: match.start()] if match else ""
        if match and before.count('"') % 2 == 0 and before.count("'") % 2 == 0:
            comment = match[1].strip()
            if not comment.startswith("NBVAL_"):
                found.append(comment)
    python = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith("!"))
    try:
        tree = ast.parse(python)
    except SyntaxError:
        return found
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef | ast.Module):
            doc = ast.get_docstring(node)
            if doc:
                found.append(doc)
    return found


def _output_text(output: Any) -> str:
    if output.get("output_type") == "stream":
        return str(output.get("text", ""))
    data = output.get("data", {})
    if output.get("output_type") == "error":
        return f"{output.get('ename')}: {output.get('evalue')}"
    if "text/html" in data:
        return html.unescape(re.sub(r"<[^>]+>", "\n", data["text/html"]))
    if "text/markdown" in data:
        return _markdown_prose(data["text/markdown"])
    return str(data.get("text/plain", ""))


@dataclass(frozen=True)
class Finding:
    """English prose found: where, and the words."""

    where: str
    run: str

    def __str__(self) -> str:
        return f"{self.where}: {self.run!r}"


def scan(path: Path, used: set[Exemption] | None = None) -> Iterator[Finding]:
    """Every run of English prose a learner sees in the notebook at ``path``."""
    nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    name = str(path.relative_to(ROOT))
    for cell in nb.cells:
        where = f"{name} {cell.get('id')}"
        if cell.cell_type == "markdown":
            for run in english_runs(_markdown_prose(cell.source)):
                yield Finding(f"{where} (markdown)", run)
            continue
        if cell.cell_type != "code":
            continue
        exemptions = [
            e for e in EXEMPTIONS if path.stem.startswith(e.stem) and e.fragment in cell.source
        ]

        def exempt(text: str, part: str, exemptions: list[Exemption] = exemptions) -> str:
            for exemption in (e for e in exemptions if e.part == part):
                text, count = re.subn(exemption.pattern, " | ", text)
                if count and used is not None:
                    used.add(exemption)
            return text

        for comment in _comments(cell.source):
            for run in english_runs(exempt(comment, "comment")):
                yield Finding(f"{where} (comment)", run)
        for output in cell.get("outputs", []):
            for run in english_runs(exempt(_output_text(output), "output")):
                yield Finding(f"{where} (output)", run)


# -- the detector ---------------------------------------------------------------------------------


def test_the_detector_finds_english_prose() -> None:
    assert english_runs("运行时对每个地址 only sends one request 然后") == [
        "only sends one request"
    ]
    assert english_runs("the check says: not attempted yet") == [
        "the check says",
        "not attempted yet",
    ]
    assert english_runs("It's a trap") == ["It's a trap"]
    assert english_runs("+61 s  state of Jerry") == []  # a unit, then two words and a name
    assert english_runs("打印 Welcome Jerry 和 Nice to see you again Jerry") == []


@pytest.mark.parametrize(
    "text",
    [
        "+0.000s  RequestSent  example/greeter/Jerry batch=1 states[seen_count=set] via in-process",
        "seen_count (SeenCount(seen=2)) expired (TTL)",
        "request, batch of 1",
        "example.GreetRequest: name = 1 (string)",
        "Jerry:\tThird time is a charm Jerry",
        "Kramer:\tNice to see you at the 5-nth time Kramer!",
        "本地运行时（statefun.local.LocalRuntime）在 Apache Flink Stateful\n   Functions 中",
        "Flink Web UI 位于 localhost:8081",
        "✅ 第 2 步：正确",
    ],
)
def test_the_detector_lets_code_identifiers_and_data_pass(text: str) -> None:
    assert english_runs(text) == []


def test_the_detector_reads_markdown_comments_docstrings_and_outputs(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    nb.cells = [
        nbformat.v4.new_markdown_cell(  # type: ignore[no-untyped-call]
            "看 `print(the value of x)` 和 [the docs](https://example.com/the/docs/page)\n"
            "```\nthis is a code block\n```\n但是 this is prose"
        ),
        nbformat.v4.new_code_cell(  # type: ignore[no-untyped-call]
            '# NBVAL_IGNORE_OUTPUT\n# 中文注释\nx = "a string is code"  # a trailing comment\n'
            'def f():\n    """A docstring in English."""\n'
        ),
    ]
    nb.cells[1].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="a line of English\n"),  # type: ignore[no-untyped-call]
        nbformat.v4.new_output(  # type: ignore[no-untyped-call]
            "display_data", data={"text/html": "<b>bold words in html</b>", "text/plain": "x"}
        ),
    ]
    path = tmp_path / "notebooks" / "zh" / "99-test.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)  # type: ignore[no-untyped-call]
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        found = [(f.where.split()[-1], f.run) for f in scan(path)]
    finally:
        ROOT = saved
    assert found == [
        ("(markdown)", "this is prose"),
        ("(comment)", "a trailing comment"),
        ("(comment)", "A docstring in English"),
        ("(output)", "a line of English"),
        ("(output)", "bold words in html"),
    ]


# -- the notebooks --------------------------------------------------------------------------------


def test_there_are_chinese_notebooks() -> None:
    assert len(ZH) == 17  # 9 solution editions and 8 practice editions (01 to 08)


@pytest.mark.parametrize("path", ZH, ids=lambda p: str(p.relative_to(ROOT / "notebooks" / "zh")))
def test_a_chinese_notebook_shows_no_english_prose(path: Path) -> None:
    findings = [str(f) for f in scan(path)]
    assert findings == [], "English prose in a Chinese notebook:\n" + "\n".join(findings)


def test_every_exemption_is_still_needed() -> None:
    used: set[Exemption] = set()
    for path in ZH:
        for _ in scan(path, used):
            pass
    assert set(EXEMPTIONS) - used == set()

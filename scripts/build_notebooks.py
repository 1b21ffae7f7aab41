"""Build the StateFun Lab notebooks from their one source each.

Every notebook has one source, ``notebooks/src/NN-name.yaml``: its markdown cells in English
and Simplified Chinese, its code cells once (full-line comments tagged ``# en:`` / ``# zh:``
are kept in their language only; a ``set_language("en")`` call is given the edition's
language), and ``exercise: N`` cells whose starter and solution come from
:mod:`statefun.exercises`. From it this script writes

* ``notebooks/en/NN-name.ipynb`` and ``notebooks/zh/NN-name.ipynb`` (solution editions),
* ``notebooks/{en,zh}/practice/NN-name.ipynb`` for notebooks with exercises (starter code),
* ``notebooks/README.md`` (the index),

and ends every notebook with a generated footer: the progress view (which checkers passed in
this environment) and a link to the next step, its practice edition when it has one. A
``steps`` cell (in 00) becomes the table of every step, linked the same way.

then runs every notebook with nbclient (kernel ``python3`` of this virtual environment) so the
committed outputs are the nbval contract. The editions of one notebook share every code cell
(up to translated comments and the language they select in their setup cell), so their outputs
say the same things, each in its edition's language (:mod:`statefun.i18n`).

Usage, from the repository root::

    .venv/bin/python scripts/build_notebooks.py            # write and execute everything
    .venv/bin/python scripts/build_notebooks.py --only 04  # one notebook (all its editions)
    .venv/bin/python scripts/build_notebooks.py --no-execute
    .venv/bin/python scripts/build_notebooks.py --check    # exit 1 if a notebook is stale
"""

from __future__ import annotations

import argparse
import concurrent.futures
import difflib
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat as _nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOURCES = NOTEBOOKS / "src"
LANGUAGES = ("en", "zh")
KERNEL = "python3"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: What a widget's output becomes in the committed notebooks (the widget needs a live kernel).
WIDGET_PLACEHOLDERS = {
    "en": "[interactive widget: run the notebook to use it]",
    "zh": "[交互控件：运行本笔记本即可使用]",
}
TIMEOUT = 120  # seconds per cell

nbformat: Any = _nbformat  # it has no type hints

sys.path.insert(0, str(ROOT))
from statefun.exercises import EXERCISES, localize  # noqa: E402
from statefun.exercises.progress import PROGRESS_ENV  # noqa: E402

#: The first code cell of every notebook (kept in one place so all notebooks agree).
SETUP = """\
# en: Speak this edition's language (checkers, hints, widgets), find the repository root above
# en: this notebook, work from there (so paths read as in the docs), and make the
# en: walkthrough's greeter/ importable (greeter.py, messages_pb2.py).
# zh: 用本版本的语言显示检查结果、提示和控件；找到本笔记本上方的仓库根目录并切换到那里
# zh: （路径与文档一致）；让演练的 greeter/ 目录可以被导入（greeter.py、messages_pb2.py）。
import os
import sys
from pathlib import Path

from statefun.i18n import set_language

set_language("en")
ROOT = next(
    p for p in [Path.cwd(), *Path.cwd().parents] if (p / "greeter" / "greeter.py").exists()
)
os.chdir(ROOT)
sys.path.insert(0, str(ROOT / "greeter"))
"""

EDITION_BANNER = {
    ("en", "solution"): (
        "*Solution edition*: the exercise cells hold a solution. To do the exercises "
        "yourself, open the [practice edition]({practice}). · [中文版]({other})"
    ),
    ("en", "practice"): (
        "*Practice edition*: the exercise cells hold starter code for you to complete; the "
        "checker cells say whether you got it. The [solution edition]({solution}) has the "
        "answers. · [中文版]({other})"
    ),
    ("zh", "solution"): (
        "*参考答案版*：练习单元格里已经是参考答案。想自己动手，请打开[练习版]({practice})。"
        " · [English]({other})"
    ),
    ("zh", "practice"): (
        "*练习版*：练习单元格里是待你补全的起始代码，检查单元格会告诉你是否做对。"
        "[参考答案版]({solution})里有答案。 · [English]({other})"
    ),
    ("en", "only"): "[中文版]({other})",
    ("zh", "only"): "[English]({other})",
}


#: The generated footer of every notebook: the progress view, then the way on.
PROGRESS_MD = {
    "en": (
        "## Your progress\n\n"
        "Which exercises' checkers passed in this environment: ✅ with your own code, 📖 only "
        "when the solution edition ran. The checkers keep this record themselves, in a small "
        "file (its path is shown below); *Refresh* re-reads it after a check in another "
        "notebook."
    ),
    "zh": (
        "## 你的进度\n\n"
        "在这个环境里哪些练习的检查器已经通过：✅ 表示用你自己的代码通过，"
        "📖 表示只是运行了参考答案版。检查器会自己把结果记在一个小文件里（路径显示在下方）；"
        "在别的笔记本里做完检查后，点*刷新*重新读取。"
    ),
}
PROGRESS_CODE = """\
# NBVAL_IGNORE_OUTPUT
# en: Only displays a widget (what it shows depends on this machine's progress file).
# zh: 只显示控件（显示的内容取决于本机的进度文件）。
from statefun.widgets import ProgressView

ProgressView()
"""
NEXT_MD = {
    ("en", "practice"): (
        "**Next: [{title}]({practice})**, the practice edition. Its "
        "[solution edition]({solution}) has the answers."
    ),
    ("en", "only"): "**Next: [{title}]({solution})**.",
    ("en", "end"): (
        "**That was the last step.** Well done! Back to [00 · Start here]({start}), or to the "
        "[list of steps]({index})."
    ),
    ("zh", "practice"): (
        "**下一步：[{title}]({practice})**（练习版；[参考答案版]({solution})里有答案）。"
    ),
    ("zh", "only"): "**下一步：[{title}]({solution})**。",
    ("zh", "end"): (
        "**这是最后一步。** 做得好！回到[00 · {start_title}]({start})，或者看[全部步骤]({index})。"
    ),
}
STEPS_HEADER = {
    "en": "| step | notebook | what you learn |\n| --- | --- | --- |",
    "zh": "| 步骤 | 笔记本 | 学什么 |\n| --- | --- | --- |",
}
STEPS_PRACTICE = {
    "en": "[{title}]({practice}) · [solutions]({solution})",
    "zh": "[{title}]({practice}) · [参考答案版]({solution})",
}


@dataclass(frozen=True)
class Source:
    """One notebook's source."""

    stem: str  # "04-stateful-hello"
    title: dict[str, str]
    minutes: int
    teaches: dict[str, str]
    cells: list[Any]  # dicts, or "setup"

    @property
    def has_exercises(self) -> bool:
        return any("exercise" in c for c in self.cells)

    def editions(self) -> list[tuple[str, str]]:
        kinds = ("solution", "practice") if self.has_exercises else ("solution",)
        return [(lang, kind) for lang in LANGUAGES for kind in kinds]


def title(source: Source, lang: str) -> str:
    """``02 · The first function``."""
    return f"{source.stem[:2]} · {source.title[lang]}"


def _next_cell(source: Source, lang: str, kind: str, sources: list[Source]) -> str:
    """The footer's way on: the next step's practice edition when it has one."""
    here = edition_path(source.stem, lang, kind)
    stems = [s.stem for s in sources]
    following = sources[stems.index(source.stem) + 1 :]
    if not following:
        start = sources[0]
        return NEXT_MD[(lang, "end")].format(
            start=_relative(edition_path(start.stem, lang, "solution"), here),
            start_title=start.title[lang],
            index=_relative(NOTEBOOKS / "README.md", here),
        )
    nxt = following[0]
    return NEXT_MD[(lang, "practice" if nxt.has_exercises else "only")].format(
        title=title(nxt, lang),
        practice=_relative(edition_path(nxt.stem, lang, "practice"), here),
        solution=_relative(edition_path(nxt.stem, lang, "solution"), here),
    )


def _steps_table(cell: dict[str, Any], source: Source, lang: str, kind: str) -> str:
    """A ``steps`` cell: a table of the steps 01 and on, each linked to its practice edition
    first when it has one, with what it teaches (``cell["steps"][lang][N]``)."""
    here = edition_path(source.stem, lang, kind)
    rows = [STEPS_HEADER[lang]]
    for other in load_sources():
        number = int(other.stem[:2])
        if number == 0:
            continue
        solution = _relative(edition_path(other.stem, lang, "solution"), here)
        link = f"[{other.title[lang]}]({solution})"
        if other.has_exercises:  # the practice edition first, the solutions one click away
            link = STEPS_PRACTICE[lang].format(
                title=other.title[lang],
                practice=_relative(edition_path(other.stem, lang, "practice"), here),
                solution=solution,
            )
        rows.append(f"| {other.stem[:2]} | {link} | {cell['steps'][lang][number]} |")
    return "\n".join(rows)


def load_sources(only: str | None = None) -> list[Source]:
    sources = []
    for path in sorted(SOURCES.glob("*.yaml")):
        if only and not path.stem.startswith(only):
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        missing = {"title", "minutes", "teaches", "cells"} - set(data)
        if missing:
            raise SystemExit(f"{path}: missing {sorted(missing)}")
        sources.append(
            Source(path.stem, data["title"], data["minutes"], data["teaches"], data["cells"])
        )
    if not sources:
        raise SystemExit(f"no notebook source matches {only!r} in {SOURCES}")
    return sources


def edition_path(stem: str, lang: str, kind: str) -> Path:
    folder = NOTEBOOKS / lang / ("practice" if kind == "practice" else "")
    return folder / f"{stem}.ipynb"


def _relative(target: Path, start: Path) -> str:
    return os.path.relpath(target, start.parent).replace(os.sep, "/")


def _banner(source: Source, lang: str, kind: str) -> str:
    here = edition_path(source.stem, lang, kind)
    other_lang = "zh" if lang == "en" else "en"
    links = {
        "other": _relative(edition_path(source.stem, other_lang, kind), here),
        "practice": _relative(edition_path(source.stem, lang, "practice"), here),
        "solution": _relative(edition_path(source.stem, lang, "solution"), here),
    }
    key = (lang, kind if source.has_exercises else "only")
    return EDITION_BANNER[key].format(**links)


_SET_LANGUAGE = re.compile(r'set_language\("[a-z]{2}"\)')


def _code(source: str, lang: str) -> str:
    """A code cell of one edition: its comments, and the language it selects."""
    text = localize(source, lang).rstrip("\n")
    return _SET_LANGUAGE.sub(f'set_language("{lang}")', text)


def setup_code(lang: str) -> str:
    """The setup cell of the ``lang`` editions."""
    return _code(SETUP, lang)


NBVAL_MARKERS = (
    "NBVAL_IGNORE_OUTPUT",
    "NBVAL_SKIP",
    "NBVAL_CHECK_OUTPUT",
    "NBVAL_RAISES_EXCEPTION",
)


def _tags(code: str, where: str) -> list[str]:
    """Cell tags for the nbval markers of ``code``: nbclient skips ``skip-execution`` cells."""
    markers = set()
    for line in code.splitlines():
        text = line.strip().lstrip("#").strip()
        if line.strip().startswith("#") and text.startswith("NBVAL"):
            if text not in NBVAL_MARKERS:  # nbval only sees a marker alone on its line
                raise SystemExit(f"{where}: write {text.split(':')[0]!r} alone on its line")
            markers.add(text)
    return ["skip-execution"] if "NBVAL_SKIP" in markers else []


def render(source: Source, lang: str, kind: str) -> Any:
    """The notebook of one edition, without outputs."""
    every = load_sources()
    nb = nbformat.v4.new_notebook()
    cells = []
    for index, cell in enumerate(source.cells):
        only = cell.get("only") if isinstance(cell, dict) else None
        if only is not None and only != kind:
            continue
        if cell == "setup":
            cells.append(nbformat.v4.new_code_cell(_code(SETUP, lang)))
        elif "md" in cell:
            text = cell["md"][lang].rstrip("\n")
            cells.append(nbformat.v4.new_markdown_cell(text))
        elif "steps" in cell:
            cells.append(nbformat.v4.new_markdown_cell(_steps_table(cell, source, lang, kind)))
        elif "code" in cell:
            code = _code(cell["code"], lang)
            new = nbformat.v4.new_code_cell(code)
            tags = _tags(code, f"{source.stem}, cell {index}")
            if tags:
                new.metadata["tags"] = tags
            cells.append(new)
        elif "exercise" in cell:
            exercise = EXERCISES[cell["exercise"]]
            code = exercise.solution if kind == "solution" else exercise.starter
            new = nbformat.v4.new_code_cell(_code(code, lang))
            new.metadata["tags"] = [f"exercise-step-{exercise.step}"]
            cells.append(new)
        else:
            raise SystemExit(
                f"{source.stem}: cell {index} is neither md, code, exercise, steps, setup"
            )
        if index == 0:
            cells.append(nbformat.v4.new_markdown_cell(_banner(source, lang, kind)))
    cells.append(nbformat.v4.new_markdown_cell(PROGRESS_MD[lang]))
    cells.append(nbformat.v4.new_code_cell(_code(PROGRESS_CODE, lang)))
    cells.append(nbformat.v4.new_markdown_cell(_next_cell(source, lang, kind, every)))
    for number, cell in enumerate(cells):
        cell["id"] = f"cell-{number:02d}"
    nb.cells = cells
    nb.metadata = {
        "kernelspec": {
            "name": KERNEL,
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        },
        "language_info": {"name": "python"},
    }
    return nb


def readme(sources: list[Source]) -> str:
    rows_en = []
    rows_zh = []
    for s in sources:
        # The practice edition first (where the learner works); the solutions one click away.
        if s.has_exercises:
            link_en = (
                f"[{s.title['en']}](en/practice/{s.stem}.ipynb) · [solutions](en/{s.stem}.ipynb)"
            )
            link_zh = (
                f"[{s.title['zh']}](zh/practice/{s.stem}.ipynb) · [参考答案版](zh/{s.stem}.ipynb)"
            )
        else:
            link_en = f"[{s.title['en']}](en/{s.stem}.ipynb)"
            link_zh = f"[{s.title['zh']}](zh/{s.stem}.ipynb)"
        rows_en.append(f"| {s.stem[:2]} | {link_en} | {s.teaches['en']} | {s.minutes} min |")
        rows_zh.append(f"| {s.stem[:2]} | {link_zh} | {s.teaches['zh']} | {s.minutes} 分钟 |")
    total = sum(s.minutes for s in sources)
    return README.format(
        rows_en="\n".join(rows_en),
        rows_zh="\n".join(rows_zh),
        total_h=f"{total / 60:.1f}".rstrip("0").rstrip("."),
        total=total,
    )


README = """\
<!-- Generated by scripts/build_notebooks.py from notebooks/src/*.yaml: edit those, then run
     .venv/bin/python scripts/build_notebooks.py -->
# StateFun Lab notebooks

Learn Apache Flink Stateful Functions 2.x in Python by rebuilding the official Python
walkthrough, the `greeter`, one step at a time. Everything runs inside the notebook on a local
runtime with the real runtime's rules (batching, state, delayed messages, state TTL) and a
virtual clock: no Kafka, no Flink, no Docker, except in step 07, which shows the real stack.

## Start

From the repository root:

```bash
make setup                                  # once: .venv with every pinned dependency
.venv/bin/jupyter lab notebooks/            # then open en/00-start-here.ipynb (中文：zh/)
```

If JupyterLab does not offer the kernel "Python 3 (ipykernel)" of `.venv`, run
`.venv/bin/python -m ipykernel install --sys-prefix` once. The first notebook checks the
environment and says how to fix what is off.

## The steps ({total} minutes, about {total_h} hours)

| # | notebook | what it teaches | time |
| --- | --- | --- | --- |
{rows_en}

Work in the **practice editions** (`en/practice/`, `zh/practice/`, linked first above): the
exercise cells hold starter code, and `check_step_N(greet)` says *correct*, *wrong* (and why)
or *not attempted yet*. `hint_step_N(1)`, `hint_step_N(2)`, … give progressive hints,
`solution_step_N()` prints a solution, and the **solution edition** (linked beside each
practice edition, and from its first cell) has every answer filled in. Each notebook ends with
your progress (which checkers passed in this environment) and a link to the next step's
practice edition.

Each notebook comes in **English** (`en/`) and **Simplified Chinese** (`zh/`), generated from
one source (`src/NN-name.yaml`) so both run the same code; what the package prints (checkers,
hints, widgets) follows the edition's language.

## 步骤（共 {total} 分钟）

| # | 笔记本 | 学什么 | 时长 |
| --- | --- | --- | --- |
{rows_zh}

每个笔记本都有英文版（`en/`）和简体中文版（`zh/`），由同一个源文件生成，运行的代码完全相同；
检查器、提示和控件显示的文字跟随所在版本的语言（中文版在第一个代码单元格里调用
`set_language("zh")`；也可以设置环境变量 `STATEFUN_LAB_LANG=zh`）。请在**练习版**（`practice/`，
上表中排在前面的链接）里学习：练习单元格里是起始代码，`check_step_N(greet)` 会给出“正确”
“还不对（及原因）”或“尚未作答”；`hint_step_N(1)` 等给出逐步提示，`solution_step_N()` 显示参考
答案，旁边的**参考答案版**里填好了全部答案。每个笔记本的结尾显示你的进度（在这个环境里哪些检查器
已经通过），并链接到下一步的练习版。
中文术语与代码和 StateFun 文档中英文名称的对照表见
[00 · 从这里开始](zh/00-start-here.ipynb)。

## In the browser · 在浏览器中

`make browser` builds these same notebooks into a static site (JupyterLite, with Python running
in the browser on Pyodide): nothing to install, every request stays on the site. The README's
"In the browser" section says how to build, host and test it. What runs there:

* **00**: everything; the environment check reports the browser edition (Pyodide, protobuf's
  pure-Python backend, JupyterLite).
* **01–06, 08**: everything: the runtime, the widgets, the checkers, hints and solutions (05
  calls the Flask app in-process, with no socket). One difference in what they print:
  protobuf runs its pure-Python backend there, which shows a packed `Any` expanded
  (`[type_url] {{ name: "Jerry" }}`, in 01 and 05) where a local kernel shows its bytes.
* **07**: reading the stack's files and checking `module.yaml`; the Docker, Kafka and serving
  cells stay off and say so (🌐).

`make browser` 把同样的笔记本构建成一个静态网站（JupyterLite，Python 借助 Pyodide
在浏览器中运行）：无需安装，所有请求都留在本站。第 00–06、08 步全部可以在浏览器中运行
（包括控件、检查器、提示和答案）；第 07 步中需要 Docker、Kafka 或提供服务的单元格在浏览器中
保持关闭，并会说明原因（🌐）。浏览器中的 protobuf 使用纯 Python 后端，打印打包的 `Any` 时会展开
其内容（第 01 和 05 步），而本地内核打印的是它的字节。

## For maintainers

* Edit `src/NN-name.yaml` (or the exercises in `statefun/exercises/`), then rebuild and re-run
  every edition: `.venv/bin/python scripts/build_notebooks.py` (`--only 04` for one notebook,
  `--no-execute` to skip running, `--check` to verify the notebooks match their sources).
* The committed outputs are the contract: `pytest --nbval notebooks/
  --nbval-sanitize-with notebooks/nbval-sanitize.cfg` re-runs every edition and compares.
  Outputs are deterministic (virtual clock, seeded random names); cells that only display
  widgets are marked `# NBVAL_IGNORE_OUTPUT`, cells that need Docker or Kafka `# NBVAL_SKIP`.
* What the package says to a learner (checkers, hints, widgets, the environment check) is
  English in the code and translated in `statefun/locale/zh/LC_MESSAGES/statefun.po`; code
  comments (in the sources and the exercises' code) come as `# en:` / `# zh:` lines. After
  changing a message, run `make i18n` (Babel extracts the messages, updates the `.po` and
  compiles the `.mo` that ships), translate what it leaves new or fuzzy, and run it again;
  `tests/notebooks/test_i18n.py` fails until the catalog is complete. Chinese terms follow the
  glossary of `src/00-start-here.yaml`; `tests/notebooks/test_zh_prose.py` fails when a
  Chinese notebook shows English prose.
* `benchmarks/notebooks.py` times each notebook and the whole nbval run. More in
  `docs/notebooks.md`: the source format, the widgets and the exercises.
"""


# -- writing and executing -----------------------------------------------------------------------


def _coalesce(outputs: list[Any]) -> list[Any]:
    """Merge consecutive prints to the same stream (how they split depends on timing)."""
    merged: list[Any] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and output.get("output_type") == "stream"
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            previous["text"] += output["text"]
        else:
            merged.append(output)
    return merged


def _normalize(nb: Any, lang: str) -> list[str]:
    """Make executed outputs stable; returns problems (stderr, errors) to report."""
    problems = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        cell.outputs = _coalesce(cell.get("outputs", []))
        for output in cell.outputs:
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                problems.append(f"stderr in cell {cell['id']}: {output['text'][:200]!r}")
            if output.get("output_type") == "error":
                problems.append(f"error in cell {cell['id']}: {output.get('ename')}")
            data = output.get("data")
            if data and WIDGET_VIEW in data:
                output["data"] = {"text/plain": WIDGET_PLACEHOLDERS[lang]}
                output["metadata"] = {}
    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python"}
    return problems


def ensure_kernel() -> None:
    """Install this interpreter's ipykernel as ``python3`` in the venv, if it is missing."""
    from jupyter_client.kernelspec import KernelSpecManager

    if KERNEL not in KernelSpecManager().find_kernel_specs():
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--sys-prefix"], check=True)


def execute(path: Path) -> tuple[Path, float, list[str]]:
    """Run ``path`` in a fresh kernel, in its own folder, and store the outputs."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    # The kernel's checkers record their passes in a scratch progress file, not in the
    # builder's own (~/.cache/statefun-lab/progress.json), and no two kernels share one.
    scratch = tempfile.TemporaryDirectory(prefix="statefun-progress-")
    os.environ[PROGRESS_ENV] = str(Path(scratch.name) / "progress.json")
    started = time.perf_counter()
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=TIMEOUT,
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        store_widget_state=False,
    )
    try:
        client.execute(stderr=subprocess.DEVNULL)  # the kernel's own log, not cell output
    finally:
        scratch.cleanup()
    elapsed = time.perf_counter() - started
    problems = _normalize(nb, path.relative_to(NOTEBOOKS).parts[0])
    nbformat.write(nb, path)
    return path, elapsed, problems


def write_all(sources: list[Source], root: Path = NOTEBOOKS) -> list[Path]:
    written = []
    for source in sources:
        for lang, kind in source.editions():
            path = root / edition_path(source.stem, lang, kind).relative_to(NOTEBOOKS)
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(render(source, lang, kind), path)
            written.append(path)
    return written


def check(sources: list[Source]) -> list[str]:
    """Differences between the committed notebooks' cells and freshly rendered ones."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = write_all(sources, Path(tmp))
        for path in fresh:
            committed = NOTEBOOKS / path.relative_to(tmp)
            name = committed.relative_to(ROOT)
            if not committed.exists():
                problems.append(f"{name}: missing")
                continue
            a = nbformat.read(committed, as_version=4)
            b = nbformat.read(path, as_version=4)
            left = [(c.cell_type, c.source) for c in a.cells]
            right = [(c.cell_type, c.source) for c in b.cells]
            if left != right:
                diff = difflib.unified_diff(
                    [f"{t}: {s}" for t, s in left],
                    [f"{t}: {s}" for t, s in right],
                    "committed",
                    "source",
                    lineterm="",
                    n=0,
                )
                problems.append(f"{name}: cells differ from the source\n" + "\n".join(diff))
    if len(sources) == len(list(SOURCES.glob("*.yaml"))):
        current = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
        if current != readme(sources):
            problems.append("notebooks/README.md differs from the sources")
    return problems


def code_cells_agree(sources: list[Source]) -> list[str]:
    """The languages' editions differ only in markdown and comments (the one-source promise)."""
    problems = []
    for source in sources:
        for kind in {k for _, k in source.editions()}:
            stripped = {
                lang: [
                    _SET_LANGUAGE.sub("set_language(...)", re.sub(r"(?m)^\s*#.*\n?", "", c.source))
                    for c in render(source, lang, kind).cells
                    if c.cell_type == "code"
                ]
                for lang in LANGUAGES
            }
            if stripped["en"] != stripped["zh"]:
                problems.append(f"{source.stem} ({kind}): code differs between languages")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="build only the notebooks whose name starts with this")
    parser.add_argument("--no-execute", action="store_true", help="write without running")
    parser.add_argument("--check", action="store_true", help="verify, do not write")
    parser.add_argument("--jobs", type=int, default=min(8, os.cpu_count() or 1))
    args = parser.parse_args(argv)

    sources = load_sources(args.only)
    agree = code_cells_agree(sources)
    if args.check:
        problems = agree + check(sources)
        for problem in problems:
            print(problem)
        print("notebooks are up to date" if not problems else f"{len(problems)} problem(s)")
        return 1 if problems else 0
    if agree:
        print("\n".join(agree))
        return 1
    paths = write_all(sources)
    if not args.only:
        (NOTEBOOKS / "README.md").write_text(readme(sources), encoding="utf-8")
    print(f"wrote {len(paths)} notebooks")
    if args.no_execute:
        return 0
    ensure_kernel()
    failed = 0
    # Only one real Flink stack runs at a time (its pid file refuses a second): the editions
    # that start one (07) run one after another, beside the others.
    real = [p for p in paths if "FlinkStack(" in p.read_text(encoding="utf-8")]
    with (
        concurrent.futures.ProcessPoolExecutor(args.jobs) as pool,
        concurrent.futures.ProcessPoolExecutor(1) as one_at_a_time,
    ):
        futures = {(one_at_a_time if p in real else pool).submit(execute, p): p for p in paths}
        for future in concurrent.futures.as_completed(futures):
            path = futures[future]
            name = path.relative_to(ROOT)
            try:
                _, elapsed, problems = future.result()
            except Exception as e:  # a cell raised: report it, keep building the others
                failed += 1
                print(f"FAILED {name}: {type(e).__name__}: {str(e)[-2000:]}")
                continue
            status = "ok" if not problems else "PROBLEMS"
            failed += bool(problems)
            print(f"{status:>8} {elapsed:5.1f}s {name}")
            for problem in problems:
                print(f"         {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

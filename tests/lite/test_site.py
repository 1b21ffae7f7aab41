"""The browser edition as a participant uses it: open a step, run it all, click the widgets.

Each notebook runs in Pyodide in headless Chromium and must show what the committed notebook
shows (the outputs nbval checks in a local kernel: greetings, state, checker verdicts), with no
error; a cell that cannot run in a browser prints its note instead (statefun.platform).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from chromium import button, send, state_row
from lite_site import (
    OriginGuard,
    Served,
    cell_outputs,
    committed,
    compare_outputs,
    notebook_json,
    open_notebook,
    run_all,
)
from playwright.sync_api import Locator, Page, expect

from statefun.exercises import EXERCISES

# A click goes to the kernel (a web worker running Python) and back before the screen changes.
expect.set_options(timeout=30_000)

#: The English solution edition of every step.
STEPS = [
    "notebooks/en/00-start-here.ipynb",
    "notebooks/en/01-events.ipynb",
    "notebooks/en/02-first-function.ipynb",
    "notebooks/en/03-sending-a-response.ipynb",
    "notebooks/en/04-stateful-hello.ipynb",
    "notebooks/en/05-wiring-it-together.ipynb",
    "notebooks/en/06-configuring-the-run.ipynb",
    "notebooks/en/07-deploying.ipynb",
    "notebooks/en/08-going-further.ipynb",
]
#: Other editions: Chinese, and practice editions whose checkers answer "not attempted yet".
EDITIONS = [
    "notebooks/zh/04-stateful-hello.ipynb",
    "notebooks/en/practice/02-first-function.ipynb",
    "notebooks/zh/practice/08-going-further.ipynb",
]
#: The steps with cells that cannot run in a browser, and the note those cells print there.
NOT_IN_BROWSER = {"07": "🌐 Not in the browser: this needs a server, a network socket, Kafka"}


def run_as_committed(page: Page, served: Served, path: str) -> list[str]:
    """Open ``path`` in the site, run all, and compare with the committed notebook; returns
    the browser notes the cells printed."""
    open_notebook(page, served.url, path)
    ok, _ = run_all(page)
    browser = notebook_json(page)
    problems = compare_outputs(committed(path), browser)
    assert ok is True and not problems, f"{path}: run all gave {ok!r}\n" + "\n".join(problems)
    return [note for cell in cell_outputs(browser) for note in cell.notes]


@pytest.mark.browser
@pytest.mark.lite
@pytest.mark.parametrize("path", STEPS, ids=lambda p: Path(p).stem)
def test_every_step_runs_in_the_browser_as_it_does_in_a_local_kernel(
    page: Page, served: Served, path: str
) -> None:
    notes = run_as_committed(page, served, path)
    expected = NOT_IN_BROWSER.get(Path(path).stem[:2])
    if expected is None:
        assert notes == [], f"{path}: unexpected browser notes {notes}"
    else:
        assert notes and all(expected in note for note in notes), notes


@pytest.mark.browser
@pytest.mark.lite
@pytest.mark.parametrize("path", EDITIONS, ids=lambda p: p.split("/", 1)[1])
def test_other_editions_run_in_the_browser_as_committed(
    page: Page, served: Served, path: str
) -> None:
    run_as_committed(page, served, path)


@pytest.mark.browser
@pytest.mark.lite
def test_the_practice_checker_hint_and_solution_answer_in_the_browser(
    page: Page, served: Served
) -> None:
    path = "notebooks/en/practice/04-stateful-hello.ipynb"
    open_notebook(page, served.url, path)
    run_all(page)
    verdict = cell_output(page, "check_step_4(greet)")
    expect(verdict).to_contain_text("not attempted yet")

    scratch = add_cell(page, "hint_step_4(1)\nsolution_step_4()")
    expect(scratch).to_contain_text("def greet")  # the solution, printed
    solution = scratch.inner_text()
    code = solution[solution.index("@functions.bind") :]
    answer = add_cell(page, code + "\n\nprint(check_step_4(greet))")
    expect(answer).to_contain_text("correct", timeout=60_000)
    expect(answer).not_to_contain_text("not attempted")


@pytest.mark.browser
@pytest.mark.lite
def test_the_landing_page_says_what_this_is_and_opens_the_steps(page: Page, served: Served) -> None:
    page.goto(f"{served.url}/index.html")
    expect(page.locator("section[lang=en] h1")).to_have_text("StateFun Lab in the browser")
    expect(page.locator("section[lang=zh] h1")).to_have_text("浏览器中的 StateFun Lab")
    for lang in ("en", "zh"):
        rows = page.locator(f"section[lang={lang}] table tr")
        expect(rows).to_have_count(1 + len(STEPS))
    practice = page.locator("section[lang=en] a", has_text="practice")
    expect(practice).to_have_count(len(EXERCISES))  # every step with an exercise
    expect(practice.first).to_have_attribute(
        "href", "lab/index.html?path=notebooks/en/practice/01-events.ipynb"
    )
    page.locator("section[lang=zh] a.start").click()
    page.wait_for_function(
        "() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel"
        "?.status === 'idle'",
        timeout=180_000,
    )
    assert page.evaluate("() => window.jupyterapp.shell.currentWidget.context.path") == (
        "notebooks/zh/00-start-here.ipynb"
    )


# -- the widgets, clicked -----------------------------------------------------------------------


def cell_output(page: Page, source: str) -> Locator:
    """The output area of the code cell whose source contains ``source``."""
    cell = page.locator(".jp-CodeCell").filter(has=page.locator(".jp-InputArea", has_text=source))
    expect(cell).to_have_count(1)
    return cell.locator(".jp-OutputArea")


def add_cell(page: Page, source: str) -> Locator:
    """A new code cell with ``source`` at the end of the notebook, run; its output area."""
    page.evaluate(
        """(source) => {
            const panel = window.jupyterapp.shell.currentWidget;
            const model = panel.content.model;
            model.sharedModel.insertCell(model.cells.length, {cell_type: 'code', source});
            panel.content.activeCellIndex = model.cells.length - 1;
            return window.jupyterapp.commands.execute('notebook:run-cell');
        }""",
        source,
    )
    return page.locator(".jp-CodeCell").last.locator(".jp-OutputArea")


@pytest.mark.browser
@pytest.mark.lite
def test_the_sender_feeds_the_runtime_and_the_state_inspector_follows(
    page: Page, served: Served
) -> None:
    open_notebook(page, served.url, "notebooks/en/04-stateful-hello.ipynb")
    assert run_all(page)[0] is True
    widgets = cell_output(page, "display(sender, inspector, log)")
    state, change = state_row(widgets, "Zelda")
    expect(state).to_have_count(0)

    send(widgets, "Zelda")
    expect(state).to_have_text("seen_count = SeenCount(seen=1)")
    send(widgets, "Zelda")
    expect(state).to_have_text("seen_count = SeenCount(seen=2)")
    expect(change).to_contain_text("SeenCount(seen=1) → SeenCount(seen=2)")
    log = widgets.locator(".widget-textarea textarea")
    expect(log).to_have_value(re.compile(r"\nZelda:\tNice to see you again Zelda$"))


@pytest.mark.browser
@pytest.mark.lite
def test_the_clock_controls_fire_the_reset_on_the_virtual_clock(page: Page, served: Served) -> None:
    open_notebook(page, served.url, "notebooks/en/08-going-further.ipynb")
    assert run_all(page)[0] is True
    widgets = cell_output(page, "display(sender, clock, inspector)")
    state, change = state_row(widgets, "Zelda")

    send(widgets, "Zelda")
    expect(state).to_have_text("seen_count = SeenCount(seen=1)")
    button(widgets, "+61 s").click()
    expect(widgets.locator(".widget-html", has_text="+61 s")).to_contain_text("⏰")
    expect(state).to_have_text("(no state)")
    expect(change).to_contain_text("seen_count deleted")


@pytest.mark.browser
@pytest.mark.lite
def test_the_module_yaml_editor_validates_what_is_typed(page: Page, served: Served) -> None:
    open_notebook(page, served.url, "notebooks/en/06-configuring-the-run.ipynb")
    assert run_all(page)[0] is True
    view = cell_output(page, "display(view)")
    editor = view.locator(".widget-textarea textarea")
    result = view.locator(".widget-html pre")
    expect(result).to_contain_text('✅ valid module.yaml (version "1.0")')
    original = editor.input_value()

    editor.fill(original.replace("kind: http", "kind: https"))
    editor.blur()  # the editor sends its text when it loses focus
    expect(result).to_contain_text("❌ invalid:")
    button(view, "Reset").click()
    expect(editor).to_have_value(original)


# -- the site itself ----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.lite
def test_the_site_ships_its_own_pyodide_and_every_wheel_it_lists(site: Path) -> None:
    import hashlib

    config = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["pyodideUrl"] == "./static/pyodide/pyodide.mjs"
    assert kernel["disablePyPIFallback"] is True
    lock = json.loads((site / "static" / "pyodide" / "pyodide-lock.json").read_text())
    for name in kernel["loadPyodideOptions"]["packages"]:
        assert name in lock["packages"], name
    for entry in lock["packages"].values():
        wheel = site / "static" / "pyodide" / entry["file_name"]
        assert hashlib.sha256(wheel.read_bytes()).hexdigest() == entry["sha256"], wheel.name
        assert set(entry["depends"]) <= set(lock["packages"]), entry["name"]
    assert lock["packages"]["statefun-lab"]["imports"] == ["statefun"]


@pytest.mark.browser
@pytest.mark.lite
def test_a_package_the_site_does_not_ship_fails_plainly_and_stays_home(
    page: Page, served: Served
) -> None:
    open_notebook(page, served.url, "notebooks/en/01-events.ipynb")
    out = add_cell(page, "%pip install requests")
    expect(out).to_contain_text("requests", timeout=60_000)
    expect(out).to_contain_text("PiplitePyPIDisabled")  # no PyPI from the browser: only the site


@pytest.mark.browser
@pytest.mark.lite
def test_the_origin_guard_sees_and_refuses_a_request_elsewhere(
    page: Page, served: Served, guard: list[OriginGuard]
) -> None:
    page.goto(f"{served.url}/index.html")
    answer = page.evaluate(
        "() => fetch('https://example.org/x').then(() => 'answered', () => 'refused')"
    )
    assert answer == "refused"
    assert guard[0].outside == ["https://example.org/x"]
    guard[0].outside.clear()  # seen: this test's page is not to fail for it

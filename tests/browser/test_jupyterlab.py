"""The notebooks' widgets in JupyterLab: rendered by the browser, clicked, and updated live."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import pytest
from chromium import button, send, state_row
from lab_browser import Lab
from playwright.sync_api import Locator, Page, expect

# A click goes to the kernel and back before the screen changes; on a slow or busy machine
# that can take longer than Playwright's default 5 s.
expect.set_options(timeout=15_000)

READY = """(path) => {
    const panel = window.jupyterapp?.shell.currentWidget;
    const kernel = panel?.sessionContext?.session?.kernel;
    return panel?.context?.path === path && kernel?.status === 'idle';
}"""
# NotebookActions.runAll resolves when every cell has run (true when none failed); a run that
# has not ended after `ms` resolves to "timeout" instead of hanging the test.
RUN_ALL = """(ms) => Promise.race([
    window.jupyterapp.commands.execute('notebook:run-all-cells'),
    new Promise((resolve) => setTimeout(() => resolve('timeout'), ms)),
])"""
WORKSPACES = itertools.count()
SHUTDOWN = "() => window.jupyterapp?.shell.currentWidget?.sessionContext?.shutdown()"
PROBLEMS = """() => {
    const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
    const problems = [];
    for (let i = 0; i < cells.length; i++) {
        const cell = cells.get(i);
        if (cell.type !== 'code') continue;
        if (cell.executionCount === null) problems.push(`cell ${i}: did not run`);
        for (const out of cell.outputs.toJSON()) {
            if (out.output_type === 'error')
                problems.push(`cell ${i}: ${out.ename}: ${out.evalue}`);
            if (out.output_type === 'stream' && out.name === 'stderr')
                problems.push(`cell ${i}: stderr: ${out.text}`);
        }
    }
    return problems;
}"""


def run_notebook(page: Page, lab: Lab, path: str) -> None:
    """Open ``path`` in JupyterLab, run every cell, and fail on any error it shows."""
    page.goto(lab.notebook_url(path, workspace=f"test-{next(WORKSPACES)}"))
    page.wait_for_function(READY, arg=path, timeout=90_000)
    ok = page.evaluate(RUN_ALL, 120_000)
    problems = page.evaluate(PROBLEMS)
    assert ok is True and not problems, f"{path}: {ok=} {problems}\n(JupyterLab log: {lab.log})"
    broken = page.get_by_text("Error displaying widget")
    expect(broken).to_have_count(0)
    assert page.locator(".jupyter-widgets").count() > 0, f"{path}: no widget on the page"


@pytest.fixture(autouse=True)
def shut_the_kernel_down(page: Page) -> Iterator[None]:
    """Each test's kernel goes when it ends, so they do not pile up in the one server."""
    yield
    page.evaluate(SHUTDOWN)


def cell_output(page: Page, source: str) -> Locator:
    """The output area of the code cell whose source contains ``source``."""
    cell = page.locator(".jp-CodeCell").filter(has=page.locator(".jp-InputArea", has_text=source))
    expect(cell).to_have_count(1)
    return cell.locator(".jp-OutputArea")


@pytest.mark.browser
def test_sender_feeds_the_runtime_and_the_egress_log_updates_live(page: Page, lab: Lab) -> None:
    run_notebook(page, lab, "notebooks/en/03-sending-a-response.ipynb")
    widgets = cell_output(page, "display(sender, log)")
    log = widgets.locator(".widget-textarea textarea")
    # what the notebook's own cells sent, from code, is already on screen
    expect(widgets.get_by_text("6 record(s)")).to_be_visible()
    expect(log).to_have_value(re.compile(r"^Jerry:\tWelcome Jerry\n"))

    send(widgets, "Zelda")

    expect(log).to_have_value(re.compile(r"\nZelda:\tWelcome Zelda$"))
    expect(widgets.get_by_text("7 record(s)")).to_be_visible()
    expect(widgets.get_by_text("sent Zelda")).to_be_visible()

    send(widgets, "   ")  # a blank name is refused, in the widget, with the reason
    expect(widgets.get_by_text("7 record(s)")).to_be_visible()
    expect(widgets.get_by_text("type a name first")).to_be_visible()

    button(widgets, "Clear").click()
    expect(log).to_have_value("")
    widgets.locator(".widget-text input[type=number]").fill("3")
    button(widgets, "Send N random names").click()
    expect(widgets.get_by_text("10 record(s)")).to_be_visible()
    expect(log).to_have_value(re.compile(r"^(\w+:\tWelcome \w+\n){2}\w+:\tWelcome \w+$"))


@pytest.mark.browser
def test_state_inspector_follows_the_state_as_names_arrive(page: Page, lab: Lab) -> None:
    run_notebook(page, lab, "notebooks/en/04-stateful-hello.ipynb")
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
def test_clock_controls_fire_the_reset_and_the_state_goes(page: Page, lab: Lab) -> None:
    run_notebook(page, lab, "notebooks/en/08-going-further.ipynb")
    widgets = cell_output(page, "display(sender, clock, inspector)")
    state, change = state_row(widgets, "Zelda")

    send(widgets, "Zelda")
    expect(state).to_have_text("seen_count = SeenCount(seen=1)")
    now = widgets.locator(".widget-label", has_text=re.compile(r"^now "))
    before = now.inner_text()

    button(widgets, "+10 s").click()
    expect(now).not_to_have_text(before)
    expect(state).to_have_text("seen_count = SeenCount(seen=1)")

    button(widgets, "+61 s").click()
    events = widgets.locator(".widget-html", has_text="+61 s")
    expect(events).to_contain_text("⏰")  # the Reset sent 60 s after the visit fired
    expect(state).to_have_text("(no state)")
    expect(change).to_contain_text("seen_count deleted")


@pytest.mark.browser
def test_module_yaml_editor_validates_what_is_typed_and_resets(page: Page, lab: Lab) -> None:
    run_notebook(page, lab, "notebooks/en/06-configuring-the-run.ipynb")
    view = cell_output(page, "display(view)")
    editor = view.locator(".widget-textarea textarea")
    result = view.locator(".widget-html pre")
    expect(result).to_contain_text('✅ valid module.yaml (version "1.0")')
    original = editor.input_value()

    editor.fill(original.replace("kind: http", "kind: https"))
    editor.blur()  # the editor sends its text when it loses focus
    expect(result).to_contain_text("❌ invalid:")
    expect(result).to_contain_text("https")

    button(view, "Reset").click()
    expect(editor).to_have_value(original)
    expect(result).to_contain_text('✅ valid module.yaml (version "1.0")')


@pytest.mark.browser
def test_dashboard_on_the_ttl_runtime_forgets_an_idle_user(page: Page, lab: Lab) -> None:
    run_notebook(page, lab, "notebooks/en/08-going-further.ipynb")
    board = cell_output(page, "Dashboard(ttl, GreetRequest, seed=9)")
    state, change = state_row(board, "Zelda")

    send(board, "Zelda")
    expect(state).to_have_text("seen_count = SeenCount(seen=1)")
    expect(board.locator(".widget-textarea textarea")).to_have_value(
        re.compile(r"\nZelda:\tWelcome Zelda$")
    )

    board.locator(".lm-TabBar-tab", has_text="Clock").click()
    button(board, "+61 s").click()
    expect(board.locator(".widget-html", has_text="+61 s")).to_contain_text("⌛")
    expect(state).to_have_text("(no state)")
    expect(change).to_contain_text("seen_count expired")


@pytest.mark.browser
@pytest.mark.parametrize(
    "path",
    ["notebooks/zh/03-sending-a-response.ipynb", "notebooks/en/practice/04-stateful-hello.ipynb"],
)
def test_other_editions_run_clean_in_the_browser(page: Page, lab: Lab, path: str) -> None:
    run_notebook(page, lab, path)

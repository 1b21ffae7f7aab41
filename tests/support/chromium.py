"""Headless Chromium for the browser tiers (tests/browser, tests/lite), driven by Playwright.

One place for which Chromium to start, with which flags, and the locators of the widgets the
tiers click (the sender, the state inspector), so that both tiers drive the same way.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator, Sequence

import pytest
from playwright.sync_api import Browser, Error, Locator, Playwright, sync_playwright

# The flags the machine notes ask for: no sandbox as root, no background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """``$STATEFUN_LAB_CHROMIUM``, a chromium on the PATH, or None (Playwright's own)."""
    configured = os.environ.get("STATEFUN_LAB_CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def playwright_session() -> Iterator[Playwright]:
    """Playwright's sync API, for a module-scoped fixture.

    Module scope, not session: while the sync API is open, its event loop counts as running in
    this thread, and later tests' asyncio.run() would refuse to start.
    """
    with sync_playwright() as p:
        yield p


def launched(playwright: Playwright, extra_args: Sequence[str] = ()) -> Iterator[Browser]:
    """A headless Chromium with :data:`CHROMIUM_ARGS` (and ``extra_args``), closed afterwards."""
    executable = chromium_path()
    which = executable or "Playwright's own"
    try:
        browser = playwright.chromium.launch(
            executable_path=executable, args=[*CHROMIUM_ARGS, *extra_args]
        )
    except Error as e:
        pytest.fail(
            f"cannot start Chromium ({which}): {e}\n"
            f"Install one with `make chromium` (Debian's chromium package when run as root, "
            f"else `playwright install chromium`), or point STATEFUN_LAB_CHROMIUM at one."
        )
    yield browser
    browser.close()


def button(area: Locator, label: str) -> Locator:
    """The widget button labelled exactly ``label`` in an output area."""
    return area.locator("button.widget-button", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))


def state_row(area: Locator, id: str) -> tuple[Locator, Locator]:
    """The state inspector's "state" and "last change" cells for ``example/greeter/<id>``."""
    cells = area.locator("table tr", has_text=f"example/greeter/{id}").locator("td")
    return cells.nth(1), cells.nth(2)


def send(area: Locator, name: str) -> None:
    """Type ``name`` into the sender and press Send."""
    area.get_by_placeholder("a name, e.g. Jerry").fill(name)
    button(area, "Send").click()

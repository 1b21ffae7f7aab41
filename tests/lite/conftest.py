"""The lite tier: the browser edition (JupyterLite + Pyodide), as a workshop participant uses it.

The site is ``build/browser`` (``make browser``), rebuilt here first when it is missing or was
built from other inputs than the repository's (its ``build-info.json``), so the tier always
tests the notebooks and the package as they are. ``STATEFUN_LAB_SITE`` points the tier at a
site built elsewhere instead. The site is served from a thread on 127.0.0.1 and opened in
headless Chromium (the first of ``$STATEFUN_LAB_CHROMIUM``, ``chromium`` on the PATH,
Playwright's own); every page is watched by an :class:`~lite_site.OriginGuard`, and a test fails
if any request left the site's origin.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import launched, playwright_session
from lite_site import (
    LOOPBACK_ONLY,
    REPO,
    SITE,
    OriginGuard,
    Served,
    build_browser,
    serve,
)
from playwright.sync_api import Browser, Page, Playwright


@pytest.fixture(scope="session")
def site() -> Path:
    """The built site: ``$STATEFUN_LAB_SITE``, else ``build/browser`` built from this tree."""
    configured = os.environ.get("STATEFUN_LAB_SITE")
    if configured:
        path = Path(configured)
        if not (path / "lab" / "index.html").is_file():
            pytest.fail(f"STATEFUN_LAB_SITE={configured} holds no built site (lab/index.html)")
        return path
    info = SITE / "build-info.json"
    current = info.is_file() and json.loads(info.read_text())["inputs"] == (
        build_browser.inputs_digest()
    )
    if not current:
        result = subprocess.run(
            [sys.executable, str(REPO / "scripts" / "build_browser.py")],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            pytest.fail(f"`make browser` failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return SITE


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[Served]:
    with serve(site) as served:
        yield served


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    yield from playwright_session()


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    yield from launched(playwright, [LOOPBACK_ONLY])


@pytest.fixture
def guard() -> list[OriginGuard]:
    """The guards of the test's pages (filled by ``page``)."""
    return []


@pytest.fixture
def page(browser: Browser, served: Served, guard: list[OriginGuard]) -> Iterator[Page]:
    """A fresh page (its own storage, service worker and kernel); the test fails if it sent a
    request anywhere but the site."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    watch = OriginGuard(context, served.url)
    guard.append(watch)
    page = context.new_page()
    yield page
    context.close()
    if watch.outside:
        pytest.fail(f"requests left the site's origin {served.url}: {watch.outside}")

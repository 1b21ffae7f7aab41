"""The browser tier: the notebooks' widgets in a real JupyterLab, driven in headless Chromium.

nbval checks what the kernel prints; these tests check what a workshop participant sees: the
widget views load in the browser (no "Error displaying widget"), and clicking them changes the
runtime and comes back on screen.

One JupyterLab server for the tier, on a scratch directory: symlinks to the repository's files,
and copies of the notebooks (JupyterLab saves what it opens; the committed ones stay as they
are). Chromium is the first found of ``$STATEFUN_LAB_CHROMIUM``, ``chromium`` or
``chromium-browser`` on the PATH, else Playwright's own (``make chromium`` installs one).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import pytest
from chromium import launched, playwright_session
from lab_browser import Lab
from playwright.sync_api import Browser, Page, Playwright

REPO = Path(__file__).resolve().parents[2]
JUPYTER = Path(sys.executable).parent / "jupyter"
# JupyterLab settings for a test run: every cell in the DOM (no windowing), no news pop-up.
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "checkForUpdates": False,
        "fetchNews": "false",
    },
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scratch_tree(root: Path) -> None:
    for entry in REPO.iterdir():
        if entry.name == "notebooks" or entry.name.startswith("."):  # not .git, .venv, ...
            continue
        (root / entry.name).symlink_to(entry)
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    for name, values in SETTINGS.items():
        path = root / ".lab-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("lab")
    _scratch_tree(root)
    port, token = _free_port(), secrets.token_hex(16)
    log = root / ".jupyterlab.log"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(root / ".jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(root / ".jupyter-runtime"),
    }
    command = [
        str(JUPYTER),
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={root / '.lab-settings'}",
        f"--LabApp.workspaces_dir={root / '.lab-workspaces'}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    with log.open("w") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log.read_text()}")
            try:
                with urlopen(f"{url}/api/status?token={token}", timeout=2):
                    break
            except (URLError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within 60 s:\n{log.read_text()}")
                time.sleep(0.2)  # polling a server that is starting, not a synchronisation
        yield Lab(url, token, root, log)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    yield from playwright_session()


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    yield from launched(playwright)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()

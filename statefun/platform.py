"""Where the notebooks run: a local Python, or the browser edition's Pyodide.

The browser edition (``make browser``: JupyterLite on Pyodide, Python compiled to WebAssembly)
runs the SDK, the local runtime, the checkers and the widgets as they are. What needs a server,
a network socket, Kafka, Docker or Java cannot run in a browser tab: a notebook cell that does
says so there, plainly, instead of failing::

    from statefun.platform import IN_BROWSER, browser_note

    USE_DOCKER = False
    if IN_BROWSER:
        browser_note()  # in the browser only: what cannot run here, and where it can
        USE_DOCKER = False

Outside the browser nothing is printed, so a notebook's outputs there stay as they were.
"""

from __future__ import annotations

import sys

from statefun.i18n import N_
from statefun.i18n import gettext as _

__all__ = ["BROWSER_NOTE", "IN_BROWSER", "browser_note", "runs_here"]

#: True in the browser edition (Pyodide reports the platform ``emscripten``).
IN_BROWSER: bool = sys.platform == "emscripten"

#: What a cell that cannot run in the browser prints there (translated when shown). It starts
#: with 🌐, the mark the lite tier (tests/lite) looks for.
BROWSER_NOTE = N_(
    "🌐 Not in the browser: this needs a server, a network socket, Kafka, Docker or Java, "
    "which a browser tab does not have, so it stays off here. Run it in the full install "
    "(`make setup`, then `.venv/bin/jupyter lab notebooks/`); notebook 07 and "
    "docs/run-on-flink.md show the real Flink path."
)


def browser_note() -> None:
    """In the browser, print :data:`BROWSER_NOTE` in the current language; elsewhere nothing."""
    if IN_BROWSER:
        print(_(BROWSER_NOTE))


def runs_here() -> bool:
    """Whether a cell that needs a server, a socket, Kafka, Docker or Java can run here: True
    outside the browser; in the browser, False after printing the note (:func:`browser_note`)."""
    browser_note()
    return not IN_BROWSER

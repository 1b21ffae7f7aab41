"""The browser edition's site (``build/browser``) served on 127.0.0.1 and driven in Chromium.

Shared by the lite tier (``tests/lite``) and its benchmark (``benchmarks/browser.py``):

* :func:`serve` serves a built site from a thread, on a free port of 127.0.0.1;
* :class:`OriginGuard` watches a browser context: every request to another origin is recorded
  and refused (and Chromium resolves no host name but 127.0.0.1, see :data:`CHROMIUM_ARGS`);
* :func:`open_notebook`, :func:`run_all` and :func:`notebook_json` drive JupyterLite through
  ``window.jupyterapp`` (the site exposes it);
* :func:`compare_outputs` checks a notebook run in the browser against its committed outputs,
  as nbval does in a local kernel.
"""

from __future__ import annotations

import configparser
import contextlib
import functools
import http.server
import importlib
import json
import re
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chromium import CHROMIUM_ARGS as BASE_CHROMIUM_ARGS
from playwright.sync_api import BrowserContext, Page, Request, Route

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import build_browser  # noqa: E402

SITE = REPO / "build" / "browser"
SANITIZE = REPO / "notebooks" / "nbval-sanitize.cfg"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_PLACEHOLDER = "[interactive widget: run the notebook to use it]"
#: The first characters of the note a cell prints in the browser instead of running what needs
#: a server, a socket, Kafka or Java (statefun.platform).
BROWSER_NOTE = "🌐"

#: Chromium as in tests/browser, plus: no host name resolves except 127.0.0.1, so even a request
#: the guard did not see (a service worker's, say) cannot leave the machine.
# No host name resolves but 127.0.0.1: a backstop behind the origin guard.
LOOPBACK_ONLY = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"
#: The browser tiers' Chromium flags, with :data:`LOOPBACK_ONLY`.
CHROMIUM_ARGS = [*BASE_CHROMIUM_ARGS, LOOPBACK_ONLY]

KERNEL_IDLE = """(path) => {
    const panel = window.jupyterapp?.shell.currentWidget;
    const kernel = panel?.sessionContext?.session?.kernel;
    return panel?.context?.path === path && kernel?.status === 'idle';
}"""
# NotebookActions.runAll resolves when every cell has run (true when none failed); a run that has
# not ended after `ms` resolves to "timeout" instead of hanging the test.
RUN_ALL = """(ms) => Promise.race([
    window.jupyterapp.commands.execute('notebook:run-all-cells'),
    new Promise((resolve) => setTimeout(() => resolve('timeout'), ms)),
])"""
NOTEBOOK_JSON = "() => window.jupyterapp.shell.currentWidget.content.model.toJSON()"


# -- serving ------------------------------------------------------------------------------------


class _Handler(build_browser.SiteHandler):
    """The site's handler (scripts/build_browser.py), quiet, recording what it answered."""

    served: list[tuple[str, int]]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_response(self, code: int, message: str | None = None) -> None:
        self.served.append((self.path, code))
        super().send_response(code, message)


@dataclass
class Served:
    """A site being served: its address and every (path, status) it answered."""

    url: str
    requests: list[tuple[str, int]] = field(default_factory=list)


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[Served]:
    """Serve ``folder`` on a free port of 127.0.0.1 until the block ends."""
    requests: list[tuple[str, int]] = []
    handler = type("Handler", (_Handler,), {"served": requests})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.server_address[1]}", requests)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# -- the origin guard ---------------------------------------------------------------------------


class OriginGuard:
    """Records, and refuses, every request of ``context`` that is not to ``origin``."""

    def __init__(self, context: BrowserContext, origin: str) -> None:
        self.origin = origin
        self.outside: list[str] = []
        context.route("**/*", self._route)
        context.on("request", self._seen)

    def _foreign(self, url: str) -> bool:
        if url.startswith(("data:", "blob:", "about:")):
            return False
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}" != self.origin

    def _seen(self, request: Request) -> None:
        if self._foreign(request.url) and request.url not in self.outside:
            self.outside.append(request.url)

    def _route(self, route: Route) -> None:
        if self._foreign(route.request.url):
            self._seen(route.request)
            route.abort("blockedbyclient")
        else:
            route.continue_()


# -- driving JupyterLite ------------------------------------------------------------------------


def lab_url(site: str, path: str) -> str:
    """The address that opens ``path`` (relative to the site's files) in JupyterLab."""
    return f"{site}/lab/index.html?path={path}"


def open_notebook(page: Page, site: str, path: str, timeout_ms: int = 180_000) -> float:
    """Open ``path`` and wait until its kernel is idle; returns the seconds that took."""
    started = time.perf_counter()
    page.goto(lab_url(site, path))
    page.wait_for_function(KERNEL_IDLE, arg=path, timeout=timeout_ms)
    return time.perf_counter() - started


def run_all(page: Page, timeout_ms: int = 180_000) -> tuple[object, float]:
    """Run every cell of the open notebook: (True when none failed, seconds)."""
    started = time.perf_counter()
    ok = page.evaluate(RUN_ALL, timeout_ms)
    return ok, time.perf_counter() - started


def notebook_json(page: Page) -> dict[str, Any]:
    """The open notebook as nbformat JSON, outputs included."""
    return dict(page.evaluate(NOTEBOOK_JSON))


# -- outputs, as nbval compares them ------------------------------------------------------------


def _sanitizers() -> list[tuple[re.Pattern[str], str]]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(SANITIZE, encoding="utf-8")
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


def _text(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def _source(cell: dict[str, Any]) -> str:
    return _text(cell.get("source", ""))


def _marked(source: str, *markers: str) -> bool:
    return any(line.strip().lstrip("#").strip() in markers for line in source.splitlines())


@dataclass(frozen=True)
class CellOutputs:
    """What one code cell showed, as comparable text: its streams merged, its results' text."""

    source: str
    items: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]  # the browser notes it printed (statefun.platform)


def cell_outputs(notebook: dict[str, Any], collapse: bool = False) -> list[CellOutputs]:
    """Every code cell's outputs, normalised as the notebooks' build does (consecutive prints
    merged, widget views as their placeholder), with the sanitize patterns applied and the
    browser notes taken apart; with ``collapse``, each ``Any`` as a local kernel prints it
    (:func:`collapse_any`)."""
    sanitizers = _sanitizers()
    cells = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        items: list[tuple[str, str]] = []
        for output in cell.get("outputs", []):
            kind = output["output_type"]
            if kind == "stream":
                text, name = _text(output["text"]), f"stream:{output['name']}"
                if items and items[-1][0] == name:
                    items[-1] = (name, items[-1][1] + text)
                else:
                    items.append((name, text))
            elif kind in ("execute_result", "display_data"):
                data = output.get("data", {})
                text = WIDGET_PLACEHOLDER if WIDGET_VIEW in data else data.get("text/plain", "")
                items.append((kind, _text(text)))
            elif kind == "error":
                items.append(("error", f"{output['ename']}: {output['evalue']}"))
        notes = []
        kept = []
        for kind, text in items:
            if kind == "stream:stdout" and BROWSER_NOTE in text:
                lines = text.splitlines(keepends=True)
                notes += [line for line in lines if line.startswith(BROWSER_NOTE)]
                text = "".join(line for line in lines if not line.startswith(BROWSER_NOTE))
                if not text:
                    continue
            if collapse and kind.startswith("stream"):
                text = collapse_any(text)
            for pattern, replacement in sanitizers:
                text = pattern.sub(replacement, text)
            kept.append((kind, text))
        cells.append(CellOutputs(_source(cell), tuple(kept), tuple(notes)))
    return cells


#: An ``Any`` as protobuf's pure-Python backend prints it (the browser's): expanded, by its type.
_EXPANDED_ANY = re.compile(
    r"^(?P<indent> *)\[(?P<url>[^\]\n]+/(?P<name>[\w.]+))\] \{\n(?P<body>.*?)^(?P=indent)\}\n",
    re.MULTILINE | re.DOTALL,
)


def collapse_any(text: str) -> str:
    """``text`` with each ``Any`` printed as the upb backend (a local kernel's) prints it: its
    ``type_url`` and ``value`` bytes. In the browser protobuf runs its pure-Python backend,
    whose text format shows a packed message expanded (``[type_url] { fields }``) when it knows
    the type: the one known difference between the two, and the only one this forgives."""
    from google.protobuf import descriptor_pool, message_factory, text_encoding, text_format

    if str(REPO / "greeter") not in sys.path:  # as tests/conftest.py does, for the benchmark
        sys.path.insert(0, str(REPO / "greeter"))
    importlib.import_module("messages_pb2")  # the walkthrough's types (Reset too), in the pool

    def upb(match: re.Match[str]) -> str:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(match["name"])
        message = message_factory.GetMessageClass(descriptor)()
        text_format.Parse(match["body"], message)
        value = text_encoding.CEscape(message.SerializeToString(), as_utf8=False)
        indent = match["indent"]
        return f'{indent}type_url: "{match["url"]}"\n{indent}value: "{value}"\n'

    return _EXPANDED_ANY.sub(upb, text)


def compare_outputs(committed: dict[str, Any], browser: dict[str, Any]) -> list[str]:
    """How the browser's outputs differ from the committed ones, cell by cell, for the cells
    nbval compares (not ``# NBVAL_IGNORE_OUTPUT`` or ``# NBVAL_SKIP``) that ran in the browser
    (not those that printed the browser note: 07's real engine); and any error or
    stderr the browser showed in any cell."""
    want, got = cell_outputs(committed), cell_outputs(browser, collapse=True)
    if [c.source for c in want] != [c.source for c in got]:
        return ["the notebook's code cells differ from the committed notebook's"]
    problems = []
    for number, (expected, actual) in enumerate(zip(want, got, strict=True)):
        for kind, text in actual.items:
            if kind in ("error", "stream:stderr"):
                problems.append(f"code cell {number}: {kind}: {text[:500]}")
        if _marked(expected.source, "NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP"):
            continue
        if actual.notes:  # a cell that cannot run here, and said so
            continue
        if expected.items != actual.items:
            problems.append(
                f"code cell {number} ({expected.source.splitlines()[0][:60]!r}):\n"
                f"  committed: {expected.items}\n  browser:   {actual.items}"
            )
    return problems


def committed(path: str) -> dict[str, Any]:
    """The committed notebook at ``path`` (relative to the repository)."""
    return dict(json.loads((REPO / path).read_text(encoding="utf-8")))

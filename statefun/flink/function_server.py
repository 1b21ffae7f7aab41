"""Serving the functions Flink calls: from this Python process, or from gunicorn.

* :class:`KernelServer`: a thread of this process (a notebook's kernel) serving a
  ``StatefulFunctions`` over HTTP on 127.0.0.1, with Werkzeug's threaded WSGI server and
  :func:`statefun.serving.flask_app`. The functions are looked up on every request: give a
  callable returning the ``StatefulFunctions`` (or set :attr:`KernelServer.functions`), and
  re-running the notebook cell that binds a function changes what Flink calls next. Binding
  again on the same ``StatefulFunctions`` object needs nothing: it is read at each request.
* :class:`GunicornServer`: a gunicorn process (several workers) serving a functions file
  (``greeter/greeter.py``, through ``flask_app``) or a WSGI app of your own
  (``app="greeter:app"`` run in ``app_dir``), as the walkthrough's Docker image does. This is
  what a stack that outlives its Python process (``statefun-lab flink up``) uses.

Both record what the function raised, so the stack can say why no greeting comes
(:meth:`KernelServer.errors` / :meth:`GunicornServer.errors`).
"""

from __future__ import annotations

import collections
import logging
import os
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from statefun.core import StatefulFunctions
from statefun.errors import FlinkStackError, PortInUseError
from statefun.flink.config import GUNICORN_CONF, gunicorn_app
from statefun.flink.processes import check_port, free_port, poll, spawn

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterable

    from werkzeug.serving import BaseWSGIServer

__all__ = [
    "PATH",
    "FunctionServer",
    "FunctionsSource",
    "GunicornServer",
    "KernelServer",
    "resolve_functions",
]

#: The HTTP path the functions are served on (the walkthrough's).
PATH = "/statefun"

#: A ``StatefulFunctions``, or a callable returning the current one (looked up per request).
FunctionsSource = StatefulFunctions | Callable[[], StatefulFunctions]

_ERROR_MARKERS = ("raised an error", "Exception on ")


def resolve_functions(source: FunctionsSource) -> StatefulFunctions:
    """The ``StatefulFunctions`` that ``source`` is, or returns now."""
    functions = source if isinstance(source, StatefulFunctions) else source()
    if not isinstance(functions, StatefulFunctions):
        raise FlinkStackError(
            f"the functions to serve must be a StatefulFunctions (or a callable returning "
            f"one), got {type(functions).__name__}: pass the object your @functions.bind "
            f"decorators use, e.g. FlinkStack('module.yaml', functions=functions)."
        )
    return functions


class FunctionServer(Protocol):
    """What the stack needs of a function server."""

    @property
    def url(self) -> str:
        """Where Flink calls the functions (``http://127.0.0.1:<port>/statefun``)."""

    @property
    def pid(self) -> int | None:
        """The server's own process, if it has one (gunicorn), for the pid file."""

    def start(self) -> None:
        """Start serving, and return once a request is answered."""

    def stop(self) -> None:
        """Stop serving."""

    def errors(self) -> list[str]:
        """What the functions raised, the oldest first (the newest few)."""

    def error_count(self) -> int:
        """How many times the functions raised since the server started."""


class _Recorder(logging.Handler):
    """Keeps the last errors a Flask app logged; prints each new kind once to stderr."""

    def __init__(self, keep: int = 20) -> None:
        super().__init__(level=logging.ERROR)
        self.records: collections.deque[str] = collections.deque(maxlen=keep)
        self.count = 0
        self._seen: set[str] = set()
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        self.records.append(text)
        self.count += 1
        kind = text.rstrip().rsplit("\n", 1)[-1]  # the exception line
        if kind not in self._seen:
            self._seen.add(kind)
            print(
                f"[statefun-lab] the function raised an error; Flink retries the batch until "
                f"the function's timeout (module.yaml), then restarts the job:\n{text}",
                file=sys.stderr,
                flush=True,
            )


class _Loopback:
    """A server on 127.0.0.1:``port`` (0: a free one), at the path the walkthrough uses."""

    def __init__(self, port: int) -> None:
        self._port = port or free_port()

    @property
    def url(self) -> str:
        """Where Flink calls the functions."""
        return f"http://127.0.0.1:{self._port}{PATH}"

    @property
    def port(self) -> int:
        """The port served on."""
        return self._port


class KernelServer(_Loopback):
    """Serves ``functions`` from a thread of this process on 127.0.0.1:``port`` (0: a free one).

    ``functions`` is a ``StatefulFunctions`` or a callable returning one; either way it is
    looked up on every request. Errors are shown in the 500 body (Flink logs it) and recorded.
    """

    def __init__(self, functions: FunctionsSource, *, port: int = 0) -> None:
        resolve_functions(functions)  # fail now, not at Flink's first request
        super().__init__(port)
        self.functions: FunctionsSource = functions
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._recorder = _Recorder()
        self._apps: dict[int, tuple[StatefulFunctions, Any]] = {}
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        """None: the server is a thread of this process."""
        return None

    def _app(self) -> Any:
        functions = resolve_functions(self.functions)
        with self._lock:
            found = self._apps.get(id(functions))
            if found is None or found[0] is not functions:
                from statefun.serving import flask_app

                name = f"statefun-lab.kernel.{self._port}.{len(self._apps)}"
                app = flask_app(functions, PATH, name=name, expose_errors=True)
                logger = logging.getLogger(name)
                logger.addHandler(self._recorder)  # before app.logger: no default handler
                logger.propagate = False
                found = (functions, app)
                self._apps = {id(functions): found}  # the previous one is done with
            return found[1]

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        app = self._app()
        result: Iterable[bytes] = app(environ, start_response)
        return result

    def start(self) -> None:
        """Serve from a daemon thread; returns once the socket listens."""
        from werkzeug.serving import WSGIRequestHandler, make_server

        class _Quiet(WSGIRequestHandler):
            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                pass  # Flink calls often; errors are recorded by the app

        check_port(self._port, "the function server")
        try:
            self._server = make_server(
                "127.0.0.1", self._port, self._wsgi, threaded=True, request_handler=_Quiet
            )
        except (OSError, SystemExit):  # Werkzeug exits on a taken port: taken since the check
            raise PortInUseError(self._port, "the function server") from None
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="statefun-lab-functions", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving (the thread ends)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def errors(self) -> list[str]:
        """What the functions raised (the last 20, the oldest first)."""
        return list(self._recorder.records)

    def error_count(self) -> int:
        """How many times the functions raised since the server started."""
        return self._recorder.count


class GunicornServer(_Loopback):
    """Serves a functions file, or a WSGI app, with gunicorn in its own process group.

    Give ``functions_file`` (``path.py`` or ``path.py:variable``), or ``app`` (gunicorn's
    ``module:variable``) with ``app_dir`` (the directory to run it in).

    ``python``: the interpreter gunicorn runs with (default: this one, with this package put
    first on its path). Another interpreter (a virtual environment with gunicorn, e.g. one
    with upstream's ``apache-flink-statefun``) serves ``app`` with its own packages only:
    neither this package nor ``PYTHONPATH`` is put on its path.
    """

    def __init__(
        self,
        *,
        scratch: Path,
        log: Path,
        functions_file: str | None = None,
        app: str | None = None,
        app_dir: Path | None = None,
        workers: int = 4,
        port: int = 0,
        die_with_parent: bool = True,
        python: str | None = None,
    ) -> None:
        if (functions_file is None) == (app is None):
            raise FlinkStackError(
                "GunicornServer serves either a functions file (functions_file='greeter.py') "
                "or a WSGI app (app='greeter:app', app_dir=...), exactly one of them."
            )
        if python is not None and functions_file is not None:
            raise FlinkStackError(
                f"a functions file is served through this package's statefun.serving, which "
                f"another interpreter ({python}) does not have: pass app='module:variable' "
                f"(a WSGI app importable in that interpreter) with app_dir=, or no python=."
            )
        super().__init__(port)
        self.python = python
        self.scratch = scratch
        self.log = log
        self.functions_file = functions_file
        self.app = app
        self.app_dir = app_dir
        self.workers = workers
        self.die_with_parent = die_with_parent
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """gunicorn's master process (the leader of its process group)."""
        return self.process.pid if self.process is not None else None

    def command(self) -> tuple[list[str], Path]:
        """gunicorn's command line and the directory it runs in."""
        conf = self.scratch / "conf"
        conf.mkdir(parents=True, exist_ok=True)
        (conf / "gunicorn.conf.py").write_text(GUNICORN_CONF)
        if self.functions_file is not None:
            (conf / "statefun_lab_app.py").write_text(gunicorn_app(self.functions_file))
            target, cwd = "statefun_lab_app:app", conf
        else:
            assert self.app is not None
            target, cwd = self.app, (self.app_dir or Path.cwd()).resolve()
        cmd = [self.python or sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{self._port}"]
        cmd += ["-w", str(self.workers), "--no-control-socket"]
        cmd += ["-c", str(conf / "gunicorn.conf.py"), "--chdir", str(cwd), target]
        return cmd, cwd

    def environment(self) -> dict[str, str]:
        """gunicorn's environment: this one, with this package first on ``PYTHONPATH`` (for
        another ``python``: without ``PYTHONPATH``, so it imports its own packages)."""
        env = dict(os.environ)
        if self.python is None:
            here = str(Path(__file__).resolve().parents[2])  # statefun's own directory's parent
            env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH", "")) if p)
        else:
            env.pop("PYTHONPATH", None)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def start(self) -> None:
        """Start gunicorn and wait (60 s at most) until a worker answers."""
        cmd, cwd = self.command()
        env = self.environment()
        self.process = spawn(cmd, self.log, env=env, cwd=cwd, die_with_parent=self.die_with_parent)

        def answered() -> bool:
            # Any HTTP answer (a GET on a POST route is 405) proves that a worker has booted.
            try:
                urllib.request.urlopen(self.url, timeout=2).close()
            except urllib.error.HTTPError:
                return True
            return True

        def dead() -> str | None:
            if self.process is not None and self.process.poll() is not None:
                return f"gunicorn exited with code {self.process.returncode}"
            return None

        poll("gunicorn to answer", answered, 60, log=self.log, alive=dead)

    def stop(self) -> None:
        """Stop gunicorn and its workers."""
        from statefun.flink.processes import kill_group

        if self.process is not None:
            kill_group(self.process.pid)
            self.process.wait(timeout=10)
            self.process = None

    def _error_lines(self) -> list[str]:
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return []
        return [line for line in lines if any(m in line for m in _ERROR_MARKERS)]

    def errors(self) -> list[str]:
        """The error lines gunicorn's log holds (a function that raised), the last 20."""
        return self._error_lines()[-20:]

    def error_count(self) -> int:
        """How many error lines gunicorn's log holds."""
        return len(self._error_lines())

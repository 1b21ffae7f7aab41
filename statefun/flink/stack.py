"""The real engine, from Python: Apache Flink StateFun 2.2.2 and a Kafka broker on loopback.

::

    from statefun.flink import FlinkStack

    with FlinkStack("module.yaml", functions=functions) as stack:   # served from this process
        stack.send("Ann", "Bob", "Ann")                               # the walkthrough's names
        print(stack.greetings(count=3, timeout=120))                  # committed greetings
        stack.produce("names", key="Ann", value=GreetRequest(name="Ann"))
        records = stack.egress("greetings", GreetResponse, count=1, timeout=120)
        print(stack.status())
        stack.kill_task(); stack.restore()                            # the failure drill

What runs (no Docker, no Maven; see ``shared/docs/real-engine.md``):

* Kafka: a single-node KRaft broker (Kafka 3.7.1), its own JVM;
* the functions: served from this Python process (a thread: :class:`KernelServer`), or by
  gunicorn (a functions file, or a WSGI app), or wherever module.yaml's endpoints point;
* StateFun 2.2.2 on Flink 1.11.3: one JVM (``CliFrontend run`` with ``execution.target:
  local``, an in-process MiniCluster), RocksDB state, a checkpoint every second, exactly-once
  Kafka egress (records are committed when a checkpoint completes).

The jars come from :mod:`statefun.flink.jars` (downloaded once, checked against the lock) and
Java from :mod:`statefun.flink.java`. module.yaml is used as it is, with only the function
endpoints and the Kafka addresses pointed at the stack (in a scratch copy).

No orphans: each process leads its own process group and is recorded in a pid file in the
user cache (:func:`~statefun.flink.processes.stack_file`). :meth:`FlinkStack.down` stops them;
so does the end of this Python process (``atexit``), and the processes of a stack started in
this process die with it even when it is killed (Linux parent-death signal). The next ``up``
after a killed kernel stops anything left and says so; a second ``up`` while a stack runs raises
:class:`~statefun.errors.StackRunningError`, saying how to stop it.

:class:`FlinkStack` is its constructor (the settings, checked before anything starts) over its
parts, one module each: :mod:`~statefun.flink.base` (the addresses, logs and status),
:mod:`~statefun.flink.lifecycle` (up, down, detach, the stack of this process),
:mod:`~statefun.flink.components` (starting the functions, Kafka and the job),
:mod:`~statefun.flink.scratch` (the run's directory and configuration files),
:mod:`~statefun.flink.recovery` (kill_task, latest_checkpoint, restore),
:mod:`~statefun.flink.ingress` (produce, send) and :mod:`~statefun.flink.egress` (egress,
greetings).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from statefun.errors import FlinkStackError
from statefun.flink import config
from statefun.flink.base import COMPONENTS
from statefun.flink.components import CLI_FRONTEND, STATEFUN_JOB_CLASS, STATEFUN_VERSION
from statefun.flink.egress import StackEgress
from statefun.flink.function_server import FunctionsSource
from statefun.flink.ingress import StackIngress, message_class
from statefun.flink.jars import ProgressHook
from statefun.flink.lifecycle import StackLifecycle
from statefun.flink.processes import PidFile
from statefun.flink.recovery import StackRecovery

__all__ = [
    "CLI_FRONTEND",
    "COMPONENTS",
    "DEFAULT_EGRESS_TOPICS",
    "STATEFUN_JOB_CLASS",
    "STATEFUN_VERSION",
    "FlinkStack",
    "message_class",
]

#: The topics the functions write to, created before the job starts: the walkthrough's.
DEFAULT_EGRESS_TOPICS = ("greetings",)

_START_TIMEOUT = 180.0


def _say_stderr(text: str) -> None:
    print(f"[statefun-lab] {text}", file=sys.stderr, flush=True)


class FlinkStack(StackLifecycle, StackRecovery, StackIngress, StackEgress):
    """The real StateFun 2.2.2 runtime, a Kafka broker and the functions, on 127.0.0.1.

    ``module``: the module.yaml (remote http functions, Kafka ingresses and egresses).

    What serves the functions (one of):

    * ``functions``: a ``StatefulFunctions``, or a callable returning one, served from this
      process; looked up on every request, so rebinding a function changes what Flink calls
      next. A ``str``/``Path`` naming a ``.py`` file (``path.py[:variable]``) is served by
      gunicorn instead;
    * ``app``: a WSGI app for gunicorn (``"greeter:app"``), run in ``app_dir``;
    * neither: module.yaml's endpoints are used as they are (you serve the functions).

    Options: ``egress_topics`` the topics the functions write to (created up front; others
    are created when first written), ``workers`` gunicorn's workers, ``kafka_port`` /
    ``rest_port`` / ``function_port`` fixed ports (default: free ones; a taken one raises
    :class:`~statefun.errors.PortInUseError`), ``checkpoint_interval`` Flink's (``"1s"``),
    ``parallelism`` Flink's default parallelism (1: one subtask of each operator; more runs
    the function dispatch in that many subtasks, keys split between them), ``python`` the
    interpreter gunicorn runs ``app`` with (default: this one; another one, e.g. a virtual
    environment with upstream's SDK, imports its own packages only),
    ``detached`` the stack outlives this process (``statefun-lab flink up``; needs gunicorn
    or your own server), ``say`` where progress goes (default stderr; None: silent),
    ``progress`` the jar download's bar (True: tqdm, an ipywidgets bar in Jupyter; False:
    none; a ``progress(done, total)`` callable: told the bytes instead), ``start_timeout``
    seconds for each component to get ready.
    """

    def __init__(
        self,
        module: str | os.PathLike[str] = "module.yaml",
        functions: FunctionsSource | str | os.PathLike[str] | None = None,
        *,
        app: str | None = None,
        app_dir: str | os.PathLike[str] | None = None,
        egress_topics: Sequence[str] = DEFAULT_EGRESS_TOPICS,
        workers: int = 4,
        kafka_port: int | None = None,
        rest_port: int | None = None,
        function_port: int | None = None,
        checkpoint_interval: str = config.CHECKPOINT_INTERVAL,
        parallelism: int = 1,
        python: str | os.PathLike[str] | None = None,
        detached: bool = False,
        say: Callable[[str], None] | None = _say_stderr,
        progress: bool | ProgressHook = True,
        start_timeout: float = _START_TIMEOUT,
    ) -> None:
        from statefun.local.module_yaml import load_module

        path = Path(module).expanduser()
        self.module = load_module(path)  # ModuleYamlError: missing, unreadable, invalid
        self.module_path = (path / "module.yaml" if path.is_dir() else path).resolve()
        self._functions_file, self._functions_source = _split_functions(functions)
        _check_settings(
            self._functions_source,
            functions=functions,
            app=app,
            detached=detached,
            parallelism=parallelism,
            python=python,
        )
        self.app = app
        self.app_dir = Path(app_dir).resolve() if app_dir is not None else None
        self.parallelism = parallelism
        self.python = os.fspath(python) if python is not None else None
        self.egress_topics = tuple(egress_topics)
        self.workers = workers
        self.checkpoint_interval = checkpoint_interval
        self.detached = detached
        self.progress = progress
        self.start_timeout = start_timeout
        self._say_fn = say
        self._fixed_ports = {
            "kafka": kafka_port,
            "rest": rest_port,
            "function": function_port,
        }
        self.pid_file = PidFile()
        self._no_run_yet()

    def _no_run_yet(self) -> None:
        """The state of a run, empty until :meth:`up` fills it."""
        self.timings = {}
        self.java = None
        self.record = None
        self._server = None
        self._procs = {}
        self._runtime_jars = []
        self._kafka_jars = []
        self._readers = {}
        self._pending = {}
        self._producer = None
        self._atexit_registered = False

    # -- context manager --------------------------------------------------------------------

    def __enter__(self) -> FlinkStack:
        self.up()
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()

    def __repr__(self) -> str:
        if self.record is None:
            return f"<FlinkStack {self.module_path} (down)>"
        return f"<FlinkStack {self.module_path} Kafka {self.bootstrap}, UI {self.flink_ui_url}>"


def _split_functions(
    functions: FunctionsSource | str | os.PathLike[str] | None,
) -> tuple[str | None, FunctionsSource | None]:
    """``functions=`` as (a file gunicorn serves, checked) or (what this process serves)."""
    if isinstance(functions, (str, os.PathLike)):
        return _functions_file(os.fspath(functions)), None
    return None, functions


def _check_settings(
    served_here: FunctionsSource | None,
    *,
    functions: FunctionsSource | str | os.PathLike[str] | None,
    app: str | None,
    detached: bool,
    parallelism: int,
    python: str | os.PathLike[str] | None,
) -> None:
    """Refuse settings that cannot work together, before anything starts (``served_here``:
    the functions this process serves, as :func:`_split_functions` found them)."""
    if functions is not None and app is not None:
        raise FlinkStackError(
            "FlinkStack serves either functions= (a StatefulFunctions or a .py file) or "
            "app= (a WSGI app for gunicorn), not both."
        )
    if detached and served_here is not None:
        raise FlinkStackError(
            "a detached stack outlives this Python process, so it cannot serve functions "
            "from it: pass the functions file (functions='greeter/greeter.py') or app=."
        )
    if not isinstance(parallelism, int) or isinstance(parallelism, bool) or parallelism < 1:
        raise FlinkStackError(
            f"parallelism must be a whole number of subtasks, 1 or more; got "
            f"{parallelism!r}. Pass e.g. FlinkStack(..., parallelism=2)."
        )
    if python is not None and app is None:
        raise FlinkStackError(
            f"python={os.fspath(python)!r} runs gunicorn with another interpreter, which "
            f"serves a WSGI app of its own: pass app='module:variable' (and app_dir=) too."
        )


def _functions_file(spec: str) -> str:
    """``path.py[:variable]`` with the path made absolute (gunicorn runs elsewhere); checked."""
    from statefun._loader import split_spec
    from statefun.errors import FunctionFileError

    text, variable = split_spec(spec)
    path = Path(text).expanduser()
    if not path.is_file() or path.suffix != ".py":
        raise FunctionFileError(
            f"{text}: no such Python file. Pass the .py file that binds your functions, e.g. "
            f"greeter/greeter.py (FILE.py:VARIABLE picks one StatefulFunctions)."
        )
    return str(path.resolve()) + (f":{variable}" if variable else "")

"""Every error StateFun Lab raises, in one place.

Each class subclasses the built-in exception the upstream 2.x SDK raised in the same situation
(``KeyError``, ``ValueError``, ``TypeError``), so ``except`` clauses written for
``apache-flink-statefun`` keep working. The messages say what is wrong, where, and how to fix it.
"""

from __future__ import annotations

from google.protobuf.message import DecodeError

__all__ = [
    "ArgumentTypeError",
    "AsyncFunctionError",
    "FlinkStackError",
    "FunctionFailedError",
    "FunctionFileError",
    "FunctionSignatureError",
    "IngressRoutingError",
    "InvalidArgumentError",
    "InvalidRequestError",
    "InvalidResponseError",
    "JarChecksumError",
    "JarDownloadError",
    "JarLockError",
    "JarNetworkError",
    "JarRefusedError",
    "JavaNotFoundError",
    "MessageTypeMismatchError",
    "MissingCallerError",
    "MissingExtraError",
    "ModuleCheckError",
    "ModuleYamlError",
    "ModuleYamlWarning",
    "NotebooksCopyError",
    "OutdatedGeneratedCodeError",
    "PayloadDecodeError",
    "PortInUseError",
    "ProjectExistsError",
    "RepositoryNotFoundError",
    "RuntimeFailure",
    "ServingConfigError",
    "StackNotRunningError",
    "StackRunningError",
    "StackTimeoutError",
    "StateTypeMismatchError",
    "StatefunError",
    "TransportError",
    "UndeclaredFunctionError",
    "UnknownEgressError",
    "UnknownFunctionError",
    "UnknownLanguageError",
    "UnknownStateError",
]


class StatefunError(Exception):
    """Base class of every StateFun Lab error."""


def _message_name(type_url: str) -> str:
    """:func:`statefun.core.message_name` (imported on use: core imports this module)."""
    from statefun.core import message_name

    return message_name(type_url)


class _ReadableKeyError(KeyError):
    """A KeyError whose ``str()`` is its message, not the message's repr."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UnknownFunctionError(_ReadableKeyError, StatefunError):
    """A request targets a function type that is not bound in the ``StatefulFunctions``."""

    def __init__(self, namespace: str, type: str, bound: list[str]) -> None:
        self.namespace = namespace
        self.type = type
        self.bound = bound
        target = f"{namespace}/{type}" if (namespace or type) else "<empty>"
        known = ", ".join(bound) if bound else "none"
        super().__init__(
            f"unknown function type {target!r}: no function is bound to it "
            f"(bound types: {known}). Bind one with @functions.bind({target!r}) or fix the "
            f"function type in module.yaml."
        )
        # Keep the upstream key, a (namespace, type) tuple, reachable.
        self.key = (namespace, type)


class UnknownStateError(_ReadableKeyError, StatefunError):
    """A function accessed a state that module.yaml does not declare for its type."""

    def __init__(self, name: str, function_type: str, declared: list[str]) -> None:
        self.name = name
        self.function_type = function_type
        self.declared = declared
        known = ", ".join(repr(n) for n in declared) if declared else "none"
        super().__init__(
            f"unknown state name {name!r} for function {function_type!r}, states needed to be "
            f"explicitly registered in module.yaml (declared states: {known}). Add {name!r} to "
            f"the `states` of {function_type!r} in module.yaml."
        )


class MessageTypeMismatchError(ValueError, StatefunError):
    """An argument's type matches none of the function's type hints."""

    def __init__(self, function_type: str, type_url: str, expected: list[str]) -> None:
        self.function_type = function_type
        self.type_url = type_url
        self.expected = expected
        actual = _message_name(type_url) if "/" in type_url else repr(type_url)
        super().__init__(
            f"Unknown message type {type_url}: function {function_type!r} expects "
            f"{' or '.join(expected)} (from its type hint) but got a message of type {actual}. "
            f"Send one of the expected types, or widen the hint, e.g. Union[...], or remove it "
            f"to receive the raw Any."
        )


class StateTypeMismatchError(TypeError, StatefunError):
    """``state(name).unpack(cls)`` was called with a class that is not the stored type."""

    def __init__(self, name: str, stored_type_url: str, requested: str) -> None:
        self.name = name
        self.stored_type_url = stored_type_url
        self.requested = requested
        super().__init__(
            f"state {name!r} holds a {_message_name(stored_type_url)!r} "
            f"(type_url {stored_type_url!r}) but was unpacked as {requested!r}. Unpack it with "
            f"the type it was packed with, or delete the state to start again."
        )


class MissingCallerError(ValueError, StatefunError):
    """``reply`` was called for a message that has no caller (it came from an ingress)."""


class InvalidRequestError(ValueError, DecodeError, StatefunError):
    """The bytes handed to a request-reply handler are not a usable ``ToFunction`` request.

    Also a protobuf ``DecodeError``, which upstream raised for garbage bytes.
    """


class FunctionSignatureError(TypeError, StatefunError):
    """A function cannot be bound: its signature is not ``(context, message)``."""


class AsyncFunctionError(TypeError, StatefunError):
    """An ``async def`` function was called by the synchronous ``RequestReplyHandler``."""


class _ModuleYamlText(Exception):
    """The parts of a module.yaml error or warning, and its text ``path:line: key: problem``."""

    def __init__(
        self,
        problem: str,
        *,
        path: str | None = None,
        line: int | None = None,
        key_path: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = path
        self.line = line
        self.key_path = key_path
        self.hint = hint
        where = path or "module.yaml"
        if line is not None:
            where += f":{line}"
        text = f"{where}: "
        if key_path:
            text += f"{key_path}: "
        text += problem
        if hint:
            text += f" Fix: {hint}"
        super().__init__(text)


class ModuleYamlError(_ModuleYamlText, ValueError, StatefunError):
    """module.yaml is invalid. Names the file, line, key path, the problem and the fix."""


class ModuleCheckError(ValueError, StatefunError):
    """module.yaml does not match the bound functions (see ``statefun.local.check``)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("module.yaml does not match the functions:\n- " + "\n- ".join(problems))


class FunctionFileError(ValueError, StatefunError):
    """A Python file of functions cannot be used (``statefun-lab run/check``): names the fix."""


class InvalidResponseError(ValueError, StatefunError):
    """A function's response asks for what the Flink job would fail on (the local runtime).

    An unknown function type or egress, a record of the wrong type for an egress, an
    undeclared state, a negative delay, or a chain of messages past the loop budget. The
    runtime applies nothing of the response and raises a :class:`RuntimeFailure` whose reason
    is this message.
    """


class UnknownLanguageError(ValueError, StatefunError):
    """StateFun Lab has no translation for the language asked for (``set_language``)."""


class RuntimeFailure(RuntimeError, StatefunError):
    """The local runtime could not invoke a function; nothing of the failed batch was applied.

    :ivar address: the ``namespace/type/id`` whose batch failed (None when not about one).
    :ivar reason: why, in the runtime's words, without the advice the message adds.
    """

    def __init__(
        self, message: str, *, address: str | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message)
        self.address = address
        self.reason = reason if reason is not None else message


class JarLockError(ValueError, StatefunError):
    """The jar lock (``statefun/flink/jars.lock.json``) is missing, broken or lacks a jar set."""


class JarDownloadError(OSError, StatefunError):
    """A jar of the real engine could not be downloaded (base of the three kinds below).

    ``url`` is where it was fetched from and ``path`` where it belongs in the cache.
    """

    def __init__(self, message: str, *, url: str = "", path: str = "") -> None:
        super().__init__(message)
        self.url = url
        self.path = path


class JarRefusedError(JarDownloadError):
    """The Maven repository refused a jar (HTTP 401, 403, 404, 410 or 451).

    ``refused`` lists every refused jar as ``(coordinate, url, path, status)``; the message
    says to download each by hand and put it at its path, or to point
    ``STATEFUN_LAB_MAVEN_URL`` at a mirror that serves it.
    """

    def __init__(self, refused: list[tuple[str, str, str, int]]) -> None:
        self.refused = refused
        lines = [
            f"  {coordinate}: HTTP {status} for {url}\n    -> put the file at {path}"
            for coordinate, url, path, status in refused
        ]
        n = len(refused)
        super().__init__(
            f"the Maven repository refused {n} jar{'s' if n != 1 else ''}:\n"
            + "\n".join(lines)
            + f"\nDownload {'each' if n != 1 else 'it'} by hand (from that URL or any copy of "
            f"the same version) and put it at the path shown; it is checked against the lock's "
            f"sha256 on the next run. Or set STATEFUN_LAB_MAVEN_URL to a Maven repository that "
            f"serves {'them' if n != 1 else 'it'}.",
            url=refused[0][1],
            path=refused[0][2],
        )


class JarNetworkError(JarDownloadError):
    """A jar download failed on the network, after its retries.

    Offline, DNS, a refused connection, a timeout, a dropped connection, or a server error
    (5xx) that persisted. What was received is kept (``<path>.part``); running again resumes it.
    """


class JarChecksumError(JarDownloadError):
    """A downloaded (or hand-placed) jar's sha256 differs from the lock's; the file was removed."""

    def __init__(self, coordinate: str, *, url: str, path: str, expected: str, actual: str) -> None:
        self.coordinate = coordinate
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"{coordinate}: checksum mismatch for {path} (from {url}): sha256 {actual}, the "
            f"lock expects {expected}. The file was removed; run again to download it again. "
            f"If it happens again, the repository or a proxy serves other bytes for it: set "
            f"STATEFUN_LAB_MAVEN_URL to another Maven repository, or put a good copy at that "
            f"path by hand.",
            url=url,
            path=path,
        )


class JavaNotFoundError(RuntimeError, StatefunError):
    """No usable Java for the real engine (Flink 1.11 needs Java 8, 11, or 17+ with flags)."""


class ServingConfigError(ValueError, StatefunError):
    """A ``statefun.serving`` setting (an argument or an environment variable) cannot be used."""


class PayloadDecodeError(InvalidRequestError):
    """A payload of the request does not decode: an invocation's argument or a state value.

    Raised for an argument whose bytes do not parse as the class its type URL names (the type
    hint's class), and by ``state(name).unpack(cls)`` / ``context[name]`` for a state whose
    bytes do not parse. The same request fails the same way every time, so the HTTP helpers
    answer 400, which the runtime does not retry (spec §3.4), and the local runtime fails at
    once. Also an :class:`InvalidRequestError`, a ``ValueError`` and a protobuf ``DecodeError``
    (what upstream raised), so old ``except`` clauses still catch it.

    :ivar type_url: the payload's type URL; ``None`` when a state's bytes are not even an ``Any``.
    :ivar target: the full name of the message type it was decoded as.
    :ivar size: the payload's length in bytes.
    :ivar detail: protobuf's reason.
    :ivar state: the state's name; ``None`` for an argument.
    :ivar invocation_index: the message's position in the batch, from 0 (``None`` outside a
        handler, as are ``batch_size``, ``address`` and ``function_type``).
    :ivar batch_size: how many messages the batch holds.
    :ivar address: the invoked address, ``namespace/type/id``.
    :ivar function_type: the invoked function type, ``namespace/type``.
    """

    def __init__(
        self,
        *,
        type_url: str | None,
        target: str,
        size: int,
        detail: str,
        state: str | None = None,
    ) -> None:
        self.type_url = type_url
        self.target = target
        self.size = size
        self.detail = detail
        self.state = state
        self.invocation_index: int | None = None
        self.batch_size: int | None = None
        self.address: str | None = None
        self.function_type: str | None = None
        super().__init__(self._text())

    def locate(self, invocation_index: int, batch_size: int, address: str) -> None:
        """Record where it happened (the handler calls this); the message then says so too."""
        self.invocation_index = invocation_index
        self.batch_size = batch_size
        self.address = address
        self.function_type = address.rpartition("/")[0]
        self.args = (self._text(),)

    def _text(self) -> str:
        index = self.invocation_index
        located = self.address is not None and index is not None
        position = f"message {index + 1} of {self.batch_size}" if index is not None else ""
        if self.state is None:
            subject = (
                f"the argument of {position} for {self.address}" if located else "the argument"
            )
            fix = (
                "The sender packed other bytes under that type URL: fix the sender (its "
                "serializer, or the topic's typeUrl in module.yaml)."
            )
        else:
            subject = f"state {self.state!r}"
            if located:
                subject += f" of {self.address} ({position} in this batch)"
            fix = (
                f"It was written with another message type under that URL, or by something "
                f"other than this SDK: unpack it with the class it was packed with, or delete it "
                f"(del context[{self.state!r}]) to start again."
            )
        size = f"{self.size} byte{'' if self.size == 1 else 's'}"
        if self.type_url is None:
            what = f"{subject} does not hold a serialized {self.target}"
            payload = f"{size} that do{'es' if self.size == 1 else ''} not parse"
            if self.state is not None:
                fix = (
                    f"It was written by something other than this SDK: delete it "
                    f"(del context[{self.state!r}]) to start again."
                )
        else:
            what = f"{subject} does not decode as {self.target}"
            payload = f"{size} under type_url {self.type_url!r}"
        return (
            f"{what} ({payload}: {self.detail}). {fix} The same request fails every time, so "
            f"it is refused, not retried."
        )


class ModuleYamlWarning(_ModuleYamlText, UserWarning):
    """module.yaml is valid but likely not what was meant, e.g. a key the runtime ignores.

    Carries the same parts as :class:`ModuleYamlError` (``path``, ``line``, ``key_path``,
    ``problem``, ``hint``). ``load_module`` and ``parse_module`` issue it with
    :func:`warnings.warn` and keep it in ``ModuleSpec.warnings``; with ``strict=True`` it is
    raised as a ``ModuleYamlError`` instead.
    """


class IngressRoutingError(ValueError, StatefunError):
    """A record names an ingress that the local runtime cannot route it from.

    The ingress needs a router (the plain protobuf ingress), or reads several topics and the
    record names the ingress instead of its topic (see ``statefun.local.routing``).
    """


class TransportError(StatefunError):
    """An attempt to reach a function got no HTTP answer: refused, reset, timed out, or raised.

    Raised by a :class:`~statefun.local.transport.Transport`; the local runtime retries it when
    ``retryable`` (as the Flink runtime retries a failed call) and fails the batch otherwise.

    :ivar retryable: whether another attempt may succeed (a refused connection may; a
        function that raised in this process would raise again).
    :ivar cause: the exception behind it, if any.

    >>> error = TransportError("connection refused")
    >>> error.retryable, error.cause
    (True, None)
    """

    def __init__(
        self, message: str, *, retryable: bool = True, cause: BaseException | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.cause = cause


class InvalidArgumentError(ValueError, StatefunError):
    """A call got an argument whose value it cannot use: missing, empty, out of range.

    A ``ValueError``, as upstream raised in the same places (``kafka_egress_record("", ...)``,
    ``register(None, ...)``); the message names the argument and how to fix it.

    >>> from statefun import kafka_egress_record
    >>> kafka_egress_record("", None)
    Traceback (most recent call last):
      ...
    statefun.errors.InvalidArgumentError: A destination Kafka topic is missing
    """


class ArgumentTypeError(TypeError, StatefunError):
    """A call got an argument of the wrong type; the message names the type it expects.

    A ``TypeError``, as upstream raised (or Python would have raised) in the same places.
    """


class UnknownEgressError(_ReadableKeyError, StatefunError):
    """An egress id that module.yaml does not declare was asked for (``rt.egress(...)``).

    :ivar egress: the id asked for.
    :ivar declared: the egress ids module.yaml declares.
    """

    def __init__(self, egress: str, declared: list[str]) -> None:
        self.egress = egress
        self.declared = declared
        super().__init__(f"no egress {egress!r} in module.yaml (declared: {declared})")


class UndeclaredFunctionError(_ReadableKeyError, StatefunError):
    """A function type that module.yaml does not declare was looked up (``ModuleSpec``)."""


class RepositoryNotFoundError(RuntimeError, StatefunError):
    """The exercises need the StateFun Lab repository (the walkthrough's files) and found none."""


class FlinkStackError(RuntimeError, StatefunError):
    """The real engine's stack (``statefun.flink.FlinkStack``) failed or was misused.

    Base of the stack's errors below. ``log_path`` names the log to read, when one is relevant.
    """

    def __init__(self, message: str, *, log_path: str | None = None) -> None:
        super().__init__(message)
        self.log_path = log_path


class StackRunningError(FlinkStackError):
    """A stack is already running (its pid file in the cache names live processes).

    ``pids`` maps each component to its process id. Stop it with ``statefun-lab flink down``
    (or ``stack.down()`` in the Python process that started it) before starting another.
    """

    def __init__(self, message: str, *, pids: dict[str, int]) -> None:
        super().__init__(message)
        self.pids = pids


class StackNotRunningError(FlinkStackError):
    """An operation needs a running stack (or a running component of it) and there is none."""


class PortInUseError(FlinkStackError):
    """A port the stack was asked to use is taken by another process.

    ``port`` is the port; ``component`` the part of the stack that wanted it.
    """

    def __init__(self, port: int, component: str, *, log_path: str | None = None) -> None:
        self.port = port
        self.component = component
        super().__init__(
            f"port {port} on 127.0.0.1, asked for {component}, is in use by another process. "
            f"Pick another port, or leave it unset to use a free one; `ss -ltnp 'sport = "
            f":{port}'` shows who holds it.",
            log_path=log_path,
        )


class StackTimeoutError(FlinkStackError):
    """A component (Kafka, the function server, the Flink job) did not get ready in time, or
    died while starting; or committed egress records did not arrive in time.

    The message ends with the last lines of the relevant log; ``log_path`` is the whole log.
    """


class FunctionFailedError(FlinkStackError):
    """The function server answered Flink with errors: the function raised.

    ``errors`` holds what the function server recorded (the newest last), each with the
    exception and its traceback. Flink retries a failing batch until the function's ``timeout``
    in module.yaml, then fails the job (and restarts it, per the restart strategy).
    """

    def __init__(self, message: str, *, errors: list[str], log_path: str | None = None) -> None:
        super().__init__(message, log_path=log_path)
        self.errors = errors


class MissingExtraError(ImportError, StatefunError):
    """A feature needs an optional dependency (an extra of ``statefun-lab``) that is missing.

    ``feature`` is what was used (``statefun.widgets``), ``module`` the import that failed
    (``ipywidgets``), ``extra`` the extra that installs it (``notebooks``); the message says
    the ``pip install`` command that fixes it.
    """

    def __init__(self, feature: str, module: str, extra: str) -> None:
        self.feature, self.extra = feature, extra
        super().__init__(
            f"{feature} needs {module}, which is not installed here. Install the "
            f"{extra!r} extra into this environment: "
            f"python -m pip install 'statefun-lab[{extra}]'",
            name=module,
        )


class NotebooksCopyError(OSError, StatefunError):
    """``statefun-lab notebooks`` cannot copy the notebooks: the target holds files the learner
    changed (and ``--force`` was not given), is not a folder, or this installation ships no
    notebooks. The message says which files and what to do."""


class OutdatedGeneratedCodeError(FunctionFileError):
    """A ``*_pb2.py`` was generated by a protoc too old for the installed protobuf.

    protobuf 4 and later refuse code from protoc before 3.19 ("Descriptors cannot be created
    directly"), which every StateFun 2.x project committed. Also a :class:`FunctionFileError`
    (a ``ValueError``), so ``statefun-lab run``/``check`` report it as an unusable file.

    :ivar generated: the outdated ``_pb2.py`` file.
    :ivar project: the folder to pass to ``statefun-lab doctor --fix``.
    """

    def __init__(self, generated: str, *, project: str, importer: str | None = None) -> None:
        self.generated = generated
        self.project = project
        self.importer = importer
        via = f" (imported by {importer})" if importer else ""
        super().__init__(
            f"{generated}{via} was generated by an old protoc, and protobuf 4+ refuses to import "
            f"it. Regenerate it from its .proto: statefun-lab doctor --fix {project}"
        )


class ProjectExistsError(FileExistsError, StatefunError):
    """``statefun-lab new NAME``: NAME exists and is not an empty folder (nothing is written)."""

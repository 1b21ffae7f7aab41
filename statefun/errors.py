"""Every error StateFun Lab raises, in one place.

Each class subclasses the built-in exception the upstream 2.x SDK raised in the same situation
(``KeyError``, ``ValueError``, ``TypeError``), so ``except`` clauses written for
``apache-flink-statefun`` keep working. The messages say what is wrong, where, and how to fix it.
"""

from __future__ import annotations

from google.protobuf.message import DecodeError

__all__ = [
    "AsyncFunctionError",
    "FunctionFileError",
    "FunctionSignatureError",
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
    "ModuleCheckError",
    "ModuleYamlError",
    "RuntimeFailure",
    "ServingConfigError",
    "StateTypeMismatchError",
    "StatefunError",
    "UnknownFunctionError",
    "UnknownLanguageError",
    "UnknownStateError",
]


class StatefunError(Exception):
    """Base class of every StateFun Lab error."""


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
        actual = type_url.rsplit("/", 1)[-1] if "/" in type_url else repr(type_url)
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
            f"state {name!r} holds a {stored_type_url.rsplit('/', 1)[-1]!r} "
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


class ModuleYamlError(ValueError, StatefunError):
    """module.yaml is invalid. Names the file, line, key path, the problem and the fix."""

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
    """The local runtime could not invoke a function; nothing of the failed batch was applied."""


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

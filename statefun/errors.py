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
    "MessageTypeMismatchError",
    "MissingCallerError",
    "ModuleCheckError",
    "ModuleYamlError",
    "ModuleYamlWarning",
    "RuntimeFailure",
    "StateTypeMismatchError",
    "StatefunError",
    "UnknownFunctionError",
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


class RuntimeFailure(RuntimeError, StatefunError):
    """The local runtime could not invoke a function; nothing of the failed batch was applied."""


class ModuleYamlWarning(UserWarning):
    """module.yaml is valid but likely not what was meant, e.g. a key the runtime ignores.

    Carries the same parts as :class:`ModuleYamlError` (``path``, ``line``, ``key_path``,
    ``problem``, ``hint``). ``load_module`` and ``parse_module`` issue it with
    :func:`warnings.warn` and keep it in ``ModuleSpec.warnings``; with ``strict=True`` it is
    raised as a ``ModuleYamlError`` instead.
    """

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

"""What the local runtime keeps per address: its state values, the request in flight, the backlog.

Per function type, what the hot path needs is computed once (:class:`FunctionInfo`); per address,
an :class:`AddressState` holds the request in flight (:class:`Inflight`), the messages that
arrived meanwhile (the next batch), the state values and when each TTL state was last accessed.
:class:`StateView` is what :meth:`LocalRuntime.state <statefun.local.runtime.LocalRuntime.state>`
shows of it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from google.protobuf.any_pb2 import Any

from statefun.errors import RuntimeFailure
from statefun.local.effects import Effects
from statefun.local.mailbox import Envelope
from statefun.local.module_yaml import FunctionSpec, ModuleSpec, StateSpec
from statefun.local.values import decode_any, format_value

__all__ = ["AddressState", "FunctionInfo", "Inflight", "StateView", "function_infos"]


@dataclass(slots=True)
class Inflight:
    """The request in flight at an address, and what came of it."""

    batch: list[Envelope]
    request: bytes  # the serialized ToFunction, resent as it is after a failure
    effects: Effects | None = None  # what came back, whichever transport brought it
    error: RuntimeFailure | None = None
    attempts: int = 1
    hops: int = 0  # the longest chain of messages in the batch (see Envelope)


@dataclass(slots=True)
class FunctionInfo:
    """What the hot path needs of a function type, computed once."""

    spec: FunctionSpec
    states: frozenset[str]
    ttl: dict[str, StateSpec]  # the states with an expireAfter
    limit: int  # maxNumBatchRequests; <= 0: no backpressure
    state_names: tuple[str, ...]  # in module.yaml order


def function_infos(module: ModuleSpec) -> dict[str, FunctionInfo]:
    """The :class:`FunctionInfo` of each function type of ``module``, by ``namespace/type``."""
    return {
        typename: FunctionInfo(
            spec,
            frozenset(spec.state_names),
            {s.name: s for s in spec.states if s.expire_after is not None},
            spec.max_num_batch_requests,
            spec.state_names,
        )
        for typename, spec in module.functions.items()
    }


@dataclass(slots=True)
class AddressState:
    """One address: the request in flight, the next batch, the state values, TTL accesses."""

    info: FunctionInfo
    inflight: Inflight | None = None
    backlog: list[Envelope] = field(default_factory=list)
    values: dict[str, bytes] = field(default_factory=dict)
    accessed: dict[str, datetime] = field(default_factory=dict)  # for TTL
    blocked: bool = False


class StateView(Mapping[str, object]):
    """The states of one address that have a value, decoded; ``.raw`` has the stored bytes."""

    def __init__(self, address: str, raw: dict[str, bytes]) -> None:
        self.address = address
        self.raw = raw

    def __getitem__(self, name: str) -> object:
        return decode_any(Any.FromString(self.raw[name]))

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{n!r}: {format_value(self[n])}" for n in self.raw) + "}"

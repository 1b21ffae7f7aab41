"""Checking a function's response as the Flink job would, before anything of it is applied.

A response is applied whole or not at all: :meth:`ResponseCheck.check` checks every effect
(messages, delayed messages, egress records, state mutations) against module.yaml and the
virtual clock, one kind at a time, and returns them ready to apply (:class:`Checked`), or
raises an :class:`~statefun.errors.InvalidResponseError` with what the job would fail on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from statefun.errors import InvalidResponseError
from statefun.kafka_egress_pb2 import KafkaProducerRecord
from statefun.kinesis_egress_pb2 import KinesisEgressRecord
from statefun.local.addresses import AddressState
from statefun.local.effects import Effects
from statefun.local.egress_log import RawEgress, decode_egress
from statefun.local.mailbox import Address, Envelope
from statefun.local.module_yaml import ModuleSpec
from statefun.local.ttl import END_OF_TIME

__all__ = ["Checked", "ResponseCheck"]

_KAFKA_RECORD = KafkaProducerRecord.DESCRIPTOR.full_name
_KINESIS_RECORD = KinesisEgressRecord.DESCRIPTOR.full_name
_MILLISECOND = timedelta(milliseconds=1)


class Checked(NamedTuple):
    """The effects of a response, checked and ready to apply, in the runtime's order."""

    #: The messages to other addresses, as envelopes.
    messages: list[Envelope]
    #: ``(delay_ms, envelope)`` per delayed message.
    delayed: list[tuple[int, Envelope]]
    #: The egress records, as stored.
    egresses: list[RawEgress]
    #: ``(state name, new value)``; None deletes the state.
    mutations: list[tuple[str, bytes | None]]


class ResponseCheck:
    """The checks of the responses of one module's functions."""

    def __init__(self, module: ModuleSpec) -> None:
        self._module = module
        # (namespace, type) of each function type / egress id
        self._functions = {(spec.namespace, spec.name) for spec in module.functions.values()}
        self._egresses: dict[tuple[str, str], tuple[str, str]] = {}
        for egress_id, egress_spec in module.egresses.items():
            namespace, _, name = egress_id.rpartition("/")
            expected = _KAFKA_RECORD if egress_spec.kind == "kafka" else _KINESIS_RECORD
            self._egresses[(namespace, name)] = (egress_id, "/" + expected)

    def check(
        self,
        address: Address,
        st: AddressState,
        effects: Effects,
        hops: int,
        now: datetime,
        decode: bool,
    ) -> Checked:
        """The effects of a response of ``address`` at ``now``, checked, ready to apply.

        Its messages continue a chain of ``hops`` messages; with ``decode``, the egress records
        are decoded now (the trace shows them), so a bad one fails here, before anything
        applies.

        :raises InvalidResponseError: with what the job would fail on.
        """
        messages, delayed, egresses, mutations = effects
        checked = Checked(
            self.messages(address, messages, hops) if messages else [],
            self.delayed(address, delayed, hops, now) if delayed else [],
            self.egresses(egresses, now, decode) if egresses else [],
            mutations,
        )
        # the state mutations last, here rather than in a method of their own (a fast path:
        # nearly every response writes a state, see benchmarks/runtime.py)
        declared = st.info.states
        for name, _ in mutations:
            if name not in declared:
                raise InvalidResponseError(
                    f"Accessing a non-existing remote function state: {name} "
                    f"(declared: {list(st.info.spec.state_names)})"
                )
        return checked

    def messages(
        self, address: Address, messages: list[tuple[str, str, str, str, bytes]], hops: int
    ) -> list[Envelope]:
        """Messages from ``address`` to declared function types, with an id, as envelopes."""
        functions = self._functions
        envelopes: list[Envelope] = []
        for namespace, type, id, url, value in messages:
            if (namespace, type) not in functions:
                typename = f"{namespace}/{type}"
                raise InvalidResponseError(
                    f"a message to {typename}/{id}: Unknown provider for type "
                    f"{typename} (module.yaml declares {sorted(self._module.functions)})"
                )
            if not id:
                raise InvalidResponseError(f"a message to {namespace}/{type} has an empty id")
            envelopes.append((address, (namespace, type, id), url, value, hops))
        return envelopes

    def delayed(
        self,
        address: Address,
        delayed: list[tuple[int, str, str, str, str, bytes]],
        hops: int,
        now: datetime,
    ) -> list[tuple[int, Envelope]]:
        """Delayed messages to declared function types, due by the clock's horizon."""
        timed: list[tuple[int, Envelope]] = []
        for delay_ms, namespace, type, id, url, value in delayed:
            typename = f"{namespace}/{type}"
            if delay_ms < 0:
                raise InvalidResponseError(
                    f"a delayed message to {typename} has a negative delay ({delay_ms} ms)"
                )
            if delay_ms > (END_OF_TIME - now) // _MILLISECOND:
                raise InvalidResponseError(
                    f"a delayed message to {typename} would be due after the year 9999 "
                    f"({delay_ms} ms from now): the virtual clock cannot hold it"
                )
            if (namespace, type) not in self._functions:
                raise InvalidResponseError(
                    f"a delayed message to {typename}: Unknown provider for type {typename} "
                    f"(module.yaml declares {sorted(self._module.functions)})"
                )
            # a delay lets virtual time pass: the chain starts again (a timer loop is no hang)
            envelope = (address, (namespace, type, id), url, value, hops if delay_ms == 0 else 0)
            timed.append((delay_ms, envelope))
        return timed

    def egresses(
        self, egresses: list[tuple[str, str, str, bytes]], now: datetime, decode: bool
    ) -> list[RawEgress]:
        """Records to declared egresses, each the record type its egress takes."""
        records: list[RawEgress] = []
        checks = self._egresses
        for namespace, type, url, value in egresses:
            check = checks.get((namespace, type))
            if check is None:
                raise InvalidResponseError(
                    f"Unknown egress {namespace}/{type} (module.yaml declares "
                    f"{sorted(self._module.egresses) or 'no egress'})"
                )
            egress_id, suffix = check
            if not url.endswith(suffix):
                kind = "kafka" if suffix.endswith(_KAFKA_RECORD) else "kinesis"
                raise InvalidResponseError(
                    f"The generic {kind.capitalize()} egress {egress_id} expects only messages "
                    f"of type {suffix[1:]}, got {url!r}; build the record with "
                    f"{kind}_egress_record(...) and send it with pack_and_send_egress"
                )
            raw = (egress_id, suffix.endswith(_KAFKA_RECORD), value, now)
            if decode:
                try:
                    decode_egress(raw)
                except ValueError as error:
                    raise InvalidResponseError(str(error)) from None
            records.append(raw)
        return records

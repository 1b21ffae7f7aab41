"""The local runtime's budgets: how a loop or a storm of messages fails instead of hanging.

A chain of messages between functions that grows without new input and without virtual time
passing is taken for a loop past ``max_hops``; a run that delivers more than ``max_messages``
messages between functions with no virtual time passing (a fan-out where each message sends
two never makes a long chain, but grows without end), or leaves more delayed messages waiting,
is taken for a storm. The response that would cross a budget fails, with a reason naming the
cycle of senders that led there.
"""

from __future__ import annotations

from collections.abc import Sized

from statefun.errors import InvalidArgumentError, InvalidResponseError
from statefun.local.mailbox import Address, address_text

__all__ = ["DEFAULT_MAX_HOPS", "DEFAULT_MAX_MESSAGES", "Budgets", "positive"]

#: The default of ``LocalRuntime(max_hops=...)``: how long a chain of messages between
#: functions may grow, without new input or virtual time passing, before it is taken for a loop.
DEFAULT_MAX_HOPS = 10_000

#: The default of ``LocalRuntime(max_messages=...)``: how many messages between functions a run
#: may deliver, with no virtual time passing, before a fan-out that grows without end (each
#: message sending two) is taken for a storm; also the most delayed messages that may wait.
DEFAULT_MAX_MESSAGES = 100_000

_Messages = list[tuple[str, str, str, str, bytes]]
_Delayed = list[tuple[int, str, str, str, str, bytes]]


def positive(name: str, value: int) -> int:
    """``value`` if it is a whole number of at least 1, else an error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentError(f"{name} must be a whole number of at least 1, got {value!r}")
    return value


class Budgets:
    """The budgets of one runtime, what a run has spent of them, and who sent to whom."""

    __slots__ = ("max_hops", "max_messages", "senders", "storm")

    def __init__(self, max_hops: int = DEFAULT_MAX_HOPS, max_messages: int = DEFAULT_MAX_MESSAGES):
        #: The longest chain of messages between functions with no input or time passing.
        self.max_hops = positive("max_hops", max_hops)
        #: The most messages between functions a run delivers with no time passing, and the
        #: most delayed messages waiting at once.
        self.max_messages = positive("max_messages", max_messages)
        #: Messages between functions since the runtime was last idle (the caller counts them).
        self.storm = 0
        #: The last sender of each message target (the caller records them), to name a cycle.
        self.senders: dict[Address, Address] = {}

    def check(
        self, address: Address, hops: int, messages: _Messages, delayed: _Delayed, waiting: Sized
    ) -> None:
        """Fail a response of ``address`` whose messages would cross a budget.

        ``hops`` is the chain its messages would make, ``waiting`` the delayed messages that
        wait already (only their number counts).

        :raises InvalidResponseError: with why, the cycle of senders, and how to go on.
        """
        if hops > self.max_hops and (messages or any(d[0] == 0 for d in delayed)):
            raise InvalidResponseError(self._loop_reason(address, messages, delayed))
        if messages and self.storm + len(messages) > self.max_messages:
            raise InvalidResponseError(self._storm_reason(address, messages))
        if delayed and len(waiting) + len(delayed) > self.max_messages:
            raise InvalidResponseError(self._waiting_reason(address, delayed, len(waiting)))

    def cycle(self, address: Address) -> str:
        """``; the cycle: a -> b -> a`` when the last senders lead from ``address`` into a cycle
        (empty when they do not)."""
        # Walk back through the last sender of each address to find the cycle it is part of.
        path = [address]
        seen = {address: 0}
        while (sender := self.senders.get(path[-1])) is not None and sender not in seen:
            seen[sender] = len(path)
            path.append(sender)
        if sender is None:
            return ""
        j = seen[sender]  # path[j:] is a cycle, walked backwards: show it forwards
        return "; the cycle: " + " -> ".join(
            address_text(a) for a in [path[j], *reversed(path[j + 1 :]), path[j]]
        )

    def _loop_reason(self, address: Address, messages: _Messages, delayed: _Delayed) -> str:
        """Why a response that would lengthen a chain of messages past ``max_hops`` fails."""
        targets = [f"{m[0]}/{m[1]}/{m[2]}" for m in messages]
        targets += [f"{d[1]}/{d[2]}/{d[3]}" for d in delayed if d[0] == 0]
        what = (
            f"a loop? {address_text(address)} sent a message to {', '.join(sorted(set(targets)))} "
            f"at the end of a chain of {self.max_hops:,} messages between functions with no new "
            f"input and no virtual time passing (max_hops={self.max_hops:,})"
        )
        advice = f"If the function is meant to go on, {_raise('max_hops')} or send the next "
        return self._reason(address, what, advice + "message with a delay")

    def _storm_reason(self, address: Address, messages: _Messages) -> str:
        """Why a response that would take a run past ``max_messages`` messages fails."""
        targets = _some({f"{m[0]}/{m[1]}/{m[2]}" for m in messages})
        what = (
            f"a message storm? {address_text(address)} sent {len(messages):,} message(s) to "
            f"{targets} after {self.storm:,} messages between functions in this run with no "
            f"virtual time passing (max_messages={self.max_messages:,}): a function that sends "
            "more than one message for each it receives, in a cycle, never ends"
        )
        advice = f"If the work is meant to be this big, {_raise('max_messages')}; if not, "
        return self._reason(address, what, advice + "send one message on, not two")

    def _waiting_reason(self, address: Address, delayed: _Delayed, waiting: int) -> str:
        """Why a response that would leave more than ``max_messages`` delayed messages fails."""
        what = (
            f"too many delayed messages: {address_text(address)} sent {len(delayed):,} to "
            f"{_some({f'{d[1]}/{d[2]}/{d[3]}' for d in delayed})} while {waiting:,} already "
            f"wait for their time (max_messages={self.max_messages:,}); a function that "
            "answers each delayed message with two doubles them every time the clock moves"
        )
        return self._reason(
            address, what, f"If so many are meant to wait, {_raise('max_messages')}"
        )

    def _reason(self, address: Address, what: str, advice: str) -> str:
        """What went wrong, the cycle of senders that led there, and how to go on."""
        return f"{what}{self.cycle(address)}. {advice}"


def _raise(budget: str) -> str:
    """How to raise ``budget``: on the runtime, when making it, on the command line."""
    flag = "--" + budget.replace("_", "-")
    return (
        f"raise the budget (rt.{budget} = N, LocalRuntime.from_module(..., {budget}=N), "
        f"statefun-lab run {flag} N)"
    )


def _some(unique: set[str]) -> str:
    """The first three of ``unique`` names in order, and how many more."""
    names = sorted(unique)
    more = f" and {len(names) - 3:,} more" if len(names) > 3 else ""
    return ", ".join(names[:3]) + more

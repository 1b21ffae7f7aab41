"""The failure drill: crash the job, restore it from its checkpoint, check nothing was lost or
counted twice.

::

    from statefun.flink.drill import FailureDrill

    result = FailureDrill(stack, names=("Ann", "Bob", "Cid")).run()
    print(result)        # each name's counts before and after the crash, and the verdict
    assert result.ok

What :meth:`FailureDrill.run` does, on any :class:`~statefun.flink.protocol.FlinkStackLike`:

1. sends each name ``before`` times and waits for their committed greetings;
2. kills the job (:meth:`~statefun.flink.FlinkStack.kill_task`: SIGKILL, no final checkpoint);
3. sends each name ``after`` more times while the job is down (Kafka keeps them);
4. restores the job from its latest completed checkpoint;
5. waits for the new greetings, then for a *fence* (one more name sent last), so a duplicate
   committed after the expected greetings is read too;
6. checks, per name, that the greeter's counts (read back from its greetings: "Welcome" is 1,
   "Nice to see you again" 2, ...) go on one by one: no gap (a message lost), no repeat (a
   message counted twice, or state lost), as many as were sent.

:func:`check_counts` is step 6 on its own, for greetings read any other way.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import TypedDict

from statefun.errors import InvalidArgumentError, StackTimeoutError
from statefun.flink.protocol import FlinkStackLike
from statefun.i18n import gettext as _
from statefun.walkthrough import seen_count

__all__ = [
    "DRILL_NAMES",
    "FENCE_PREFIX",
    "PHASES",
    "PROBLEM_KINDS",
    "CountProblem",
    "DrillOptions",
    "DrillResult",
    "DrillStep",
    "FailureDrill",
    "NameCounts",
    "check_counts",
]

#: The names the drill sends by default.
DRILL_NAMES = ("Ann", "Bob", "Cid")

#: The drill's steps, in order, as :class:`DrillStep` names them.
PHASES = ("send", "committed", "kill", "send_down", "restore", "restored", "fence", "done")

#: What can be wrong with a name's counts: a count skipped (a message lost), a count seen again
#: or going back (a message counted twice, or state lost), fewer greetings than names sent, more
#: greetings than names sent, a greeting that is not the greeter's.
PROBLEM_KINDS = ("gap", "duplicate", "missing", "extra", "unrecognized")

#: The fence's name starts with this (a random suffix follows); views need not show it.
FENCE_PREFIX = "drill-fence-"


@dataclasses.dataclass(frozen=True)
class CountProblem:
    """One thing wrong with a name's counts (``kind`` one of :data:`PROBLEM_KINDS`).

    ``expected`` and ``got``: the count that should have come and the one that came (gap,
    duplicate); the greetings expected and read (missing, extra); for unrecognized, ``got``
    is the position of the greeting among the name's.
    """

    name: str
    kind: str
    expected: int
    got: int

    def __str__(self) -> str:
        """What is wrong, in the current language (:mod:`statefun.i18n`)."""
        values = {"name": self.name, "expected": self.expected, "got": self.got}
        if self.kind == "gap":
            text = _("{name}: a gap, count {expected} expected, {got} came (a message lost)")
        elif self.kind == "duplicate":
            text = _("{name}: count {got} again where {expected} was expected (counted twice)")
        elif self.kind == "missing":
            text = _("{name}: {got} greetings of {expected} expected (some never came)")
        elif self.kind == "extra":
            text = _("{name}: {got} greetings where {expected} were expected")
        else:
            text = _("{name}: greeting {got} is not one of the greeter's")
        return text.format(**values)


@dataclasses.dataclass(frozen=True)
class NameCounts:
    """One name through the drill: the counts its greetings said before and after the crash
    (None for a greeting that is not the greeter's), how many times it was sent, what is
    wrong."""

    name: str
    before: tuple[int | None, ...]
    after: tuple[int | None, ...]
    sent: int
    problems: tuple[CountProblem, ...]

    @property
    def ok(self) -> bool:
        """Every count once, one after the other, as many as were sent."""
        return not self.problems

    @property
    def counts(self) -> tuple[int | None, ...]:
        """Before and after together."""
        return self.before + self.after


def check_counts(
    sent: Sequence[str],
    greetings: Sequence[tuple[str, str]],
    *,
    split: int | None = None,
) -> list[NameCounts]:
    """Each name of ``sent`` (in first-sent order) with its counts from ``greetings``
    (``(name, greeting)``, in arrival order; other names are ignored) and what is wrong.

    A name's counts must go up by one from the first (1 for a name the stack never saw; more
    for one it had seen before), with one greeting per time the name was sent. ``split``: how
    many of ``greetings`` came before the crash (for :attr:`NameCounts.before`).

    >>> [c.problems for c in check_counts(["A", "A"], [("A", "Welcome A"), ("A", "Welcome A")])]
    [(CountProblem(name='A', kind='duplicate', expected=2, got=1),)]
    """
    cut = len(greetings) if split is None else split
    out: list[NameCounts] = []
    for name in dict.fromkeys(sent):
        before = tuple(seen_count(name, g) for n, g in greetings[:cut] if n == name)
        after = tuple(seen_count(name, g) for n, g in greetings[cut:] if n == name)
        out.append(
            NameCounts(name, before, after, sent.count(name), _problems(name, before + after, sent))
        )
    return out


def _problems(
    name: str, counts: tuple[int | None, ...], sent: Sequence[str]
) -> tuple[CountProblem, ...]:
    problems: list[CountProblem] = []
    expected: int | None = None
    for position, count in enumerate(counts, start=1):
        if count is None:
            problems.append(CountProblem(name, "unrecognized", 0, position))
            continue
        if expected is None or count == expected:
            expected = count + 1
        elif count > expected:
            problems.append(CountProblem(name, "gap", expected, count))
            expected = count + 1
        else:
            problems.append(CountProblem(name, "duplicate", expected, count))
    wanted = sent.count(name)
    if len(counts) < wanted:
        problems.append(CountProblem(name, "missing", wanted, len(counts)))
    elif len(counts) > wanted and not any(p.kind == "duplicate" for p in problems):
        problems.append(CountProblem(name, "extra", wanted, len(counts)))
    return tuple(problems)


@dataclasses.dataclass(frozen=True)
class DrillStep:
    """A step of the drill as it happens (``phase`` one of :data:`PHASES`): ``count`` names
    sent or greetings read, ``checkpoint`` the one restored (its directory name,
    ``chk-N``)."""

    phase: str
    count: int = 0
    checkpoint: str | None = None


@dataclasses.dataclass(frozen=True)
class DrillResult:
    """What the drill found: each name's counts, the checkpoint the job restored from, the
    job's state afterwards (None: Flink did not answer)."""

    names: tuple[NameCounts, ...]
    checkpoint: str | None
    job_state: str | None

    @property
    def problems(self) -> tuple[CountProblem, ...]:
        """Everything wrong, name by name."""
        return tuple(p for n in self.names for p in n.problems)

    @property
    def ok(self) -> bool:
        """Nothing lost, nothing twice, and the job runs again."""
        return not self.problems and self.job_state == "RUNNING"

    def lines(self) -> list[str]:
        """One line per name (its counts before | after the crash), what is wrong, then the
        verdict, in the current language; no timings, ids or paths (a notebook's output stays
        the same from run to run)."""

        def counts(values: tuple[int | None, ...]) -> str:
            return " ".join("?" if c is None else str(c) for c in values) or "-"

        width = max((len(n.name) for n in self.names), default=0)
        lines = [
            f"{'✅' if n.ok else '❌'} {n.name:<{width}}  {counts(n.before)} | {counts(n.after)}"
            for n in self.names
        ]
        lines += ["   " + str(p) for p in self.problems]
        if self.job_state != "RUNNING":
            lines.append(
                _("the job is {state} after the restore").format(
                    state=self.job_state or _("not answering")
                )
            )
        if self.ok:
            lines.append(_("✅ nothing lost, nothing counted twice: the counts carry on"))
        elif self.problems:
            lines.append(_("❌ {count} problem(s)").format(count=len(self.problems)))
        else:
            lines.append(_("❌ no count is wrong, but the job does not run again"))
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())


class DrillOptions(TypedDict, total=False):
    """The keyword options of :class:`FailureDrill` that a view of it passes on as they are:
    ``before``, ``after``, ``timeout`` and ``from_checkpoint``."""

    before: int
    after: int
    timeout: float
    from_checkpoint: bool


class FailureDrill:
    """Crash the job and check its counts carry on (see the module's docstring).

    ``names`` are sent ``before`` times each before the crash and ``after`` times each while
    the job is down. ``timeout``: seconds to wait for each batch of committed greetings (what
    has not come by then counts as missing). ``on_step(step)`` is told each
    :class:`DrillStep`; ``on_greetings(greetings)`` every committed greeting the drill reads
    (they move the stack's greetings cursor, so a view of them shows them through this).
    ``from_checkpoint=False`` restores from nothing (all state lost: the drill then fails).
    """

    def __init__(
        self,
        stack: FlinkStackLike,
        names: Sequence[str] = DRILL_NAMES,
        *,
        before: int = 2,
        after: int = 2,
        timeout: float = 120.0,
        from_checkpoint: bool = True,
        on_step: Callable[[DrillStep], None] | None = None,
        on_greetings: Callable[[list[tuple[str, str]]], None] | None = None,
    ) -> None:
        cleaned = tuple(str(n).strip() for n in names)
        if not cleaned or not all(cleaned):
            raise InvalidArgumentError(
                f"the drill needs at least one name, and no empty one (got {list(names)!r})."
            )
        if before < 1 or after < 1:
            raise InvalidArgumentError(
                f"before and after must each be at least 1 (got before={before}, "
                f"after={after}): the drill compares counts on both sides of the crash."
            )
        self.stack = stack
        self.names = tuple(dict.fromkeys(cleaned))
        self.before = before
        self.after = after
        self.timeout = timeout
        self.from_checkpoint = from_checkpoint
        self._on_step = on_step or (lambda step: None)
        self._on_greetings = on_greetings or (lambda greetings: None)
        self._fence_name: str | None = None

    def run(self) -> DrillResult:
        """Run the drill on the stack; returns the verdict (errors of the stack propagate)."""
        first = list(self.names) * self.before
        self.stack.send(*first)
        self._on_step(DrillStep("send", len(first)))
        read = self._collect(len(first))
        split = len(read)
        self._on_step(DrillStep("committed", split))

        self.stack.kill_task()
        self._on_step(DrillStep("kill"))
        second = list(self.names) * self.after
        self.stack.send(*second)
        self._on_step(DrillStep("send_down", len(second)))
        checkpoint = self.stack.restore(from_checkpoint=self.from_checkpoint)
        chk = checkpoint.name if checkpoint is not None else None
        self._on_step(DrillStep("restore", checkpoint=chk))

        read += self._collect(len(second))
        self._on_step(DrillStep("restored", len(read) - split))
        read += self._fence()
        self._on_step(DrillStep("fence", len(read) - split))

        job = self.stack.status().job
        result = DrillResult(
            tuple(check_counts(first + second, read, split=split)),
            chk,
            job.state if job is not None else None,
        )
        self._on_step(DrillStep("done", len(read)))
        return result

    def _mine(self, greetings: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(n, g) for n, g in greetings if n in self.names]

    def _read(self, count: int, timeout: float) -> tuple[list[tuple[str, str]], bool]:
        """Up to ``count`` committed greetings (any names) within ``timeout`` seconds, and
        whether the wait timed out (the stack waited the whole time: stop waiting)."""
        timed_out = False
        try:
            got = self.stack.greetings(count=count, timeout=max(timeout, 0.0))
        except StackTimeoutError:  # what came is kept for the next call: take it
            got = self.stack.greetings(count=None, timeout=1.0)
            timed_out = True
        self._on_greetings([(n, g) for n, g in got if n != self._fence_name])
        return got, timed_out

    def _collect(self, count: int) -> list[tuple[str, str]]:
        """``count`` greetings of the drill's names (others are passed on, not kept), or what
        came of them within the timeout."""
        mine: list[tuple[str, str]] = []
        deadline = time.monotonic() + self.timeout
        while len(mine) < count and time.monotonic() < deadline:
            got, timed_out = self._read(count - len(mine), deadline - time.monotonic())
            mine += self._mine(got)
            if timed_out:
                break
        return mine

    def _fence(self) -> list[tuple[str, str]]:
        """Send one more name and read up to its greeting: the drill's names' greetings
        committed meanwhile (a late duplicate) are returned."""
        self._fence_name = fence = f"{FENCE_PREFIX}{uuid.uuid4().hex[:8]}"
        self.stack.send(fence)
        mine: list[tuple[str, str]] = []
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            got, timed_out = self._read(1, deadline - time.monotonic())
            mine += self._mine(got)
            if timed_out or any(n == fence for n, _ in got):
                break
        return mine

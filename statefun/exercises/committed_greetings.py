"""Step 7, deploying: send names to the real runtime and read their committed greetings.

The learner's answers are values: ``check_step_7(names, greetings)``, the names they sent to
the running :class:`~statefun.flink.FlinkStack` and the ``(name, greeting)`` pairs that
``stack.greetings`` read back. The check needs no stack: each name's greetings must be the
walkthrough greeter's, in order, their counts going up by one with no gap and no repeat (a
name the stack had already seen starts where it left off), one greeting per name sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import NoReturn

from statefun.exercises._harness import Verdict, verdict
from statefun.exercises.catalog import Exercise
from statefun.exercises.result import CheckResult, Status
from statefun.i18n import N_
from statefun.i18n import gettext as _
from statefun.platform import runs_here
from statefun.walkthrough import greeting, seen_count

__all__ = ["EXERCISE", "check_step_7"]

STARTER = """\
# en: 1. The names to send: three names this stack has not seen yet, one of them twice.
# zh: 1. 要发送的名字：这个环境还没见过的三个名字，其中一个出现两次。
names = ...

# en: 2. Send them to the topic `names` with stack.send, then read their committed greetings
# en:    with stack.greetings (how many to wait for, and a timeout of 120 s).
# zh: 2. 用 stack.send 把它们发送到主题 `names`，再用 stack.greetings 读取它们已提交的问候
# zh:    （要等多少条，超时 120 秒）。
greetings = ...
"""

SOLUTION = """\
names = ["Newman", "Puddy", "Newman"]

# en: Committed greetings come a checkpoint later: wait for as many as names were sent.
# en: (Different names may commit in either order; each name's own greetings keep theirs.)
# zh: 已提交的问候要晚一个检查点才到：等到与发送的名字一样多的问候。
# zh: （不同名字的问候提交顺序不定；同一个名字的问候保持各自的顺序。）
greetings = []
if runs_here():
    stack.send(*names)
    greetings = stack.greetings(count=len(names), timeout=120)
    for name, text in sorted(greetings, key=lambda greeting: greeting[0]):
        print(f"{name}:\\t{text}")
"""

# The notebook's Path A started ``stack`` (a FlinkStack) before the exercise.
PREAMBLE = """\
from statefun.platform import runs_here
"""

HINTS = (
    N_(
        "names is a list of strings. stack.send(*names) writes one record per name to the "
        "topic names, as the event generator does."
    ),
    N_(
        "The egress is exactly-once: a greeting is readable only after the checkpoint that "
        "follows it. stack.greetings(count=len(names), timeout=120) waits until that many "
        "have been committed and returns them as (name, greeting) pairs."
    ),
    N_(
        'names = ["Newman", "Puddy", "Newman"]; stack.send(*names); greetings = '
        "stack.greetings(count=len(names), timeout=120)"
    ),
)


def _wrong(message: str) -> NoReturn:
    raise Verdict(CheckResult(7, Status.WRONG, message))


def _names(names: object) -> list[str]:
    if isinstance(names, str):
        _wrong(
            _("`names` is one text, {got!r}; make it a list of names: [{got!r}, ...].").format(
                got=names
            )
        )
    if not isinstance(names, Sequence) or not all(isinstance(n, str) and n for n in names):
        _wrong(_('`names` should be a list of non-empty texts, like ["Newman", "Puddy"].'))
    listed = list(names)
    if len(listed) < 2 or len(set(listed)) == len(listed):
        _wrong(
            _(
                "send one of the names twice, so that you see its count go up: for example "
                '["Newman", "Puddy", "Newman"].'
            )
        )
    return listed


def _pairs(greetings: object) -> list[tuple[str, str]]:
    if not isinstance(greetings, Sequence) or isinstance(greetings, str):
        _wrong(
            _(
                "`greetings` should be the list that stack.greetings(...) returns, got a {type}."
            ).format(type=type(greetings).__name__)
        )
    pairs = []
    for item in greetings:
        value = getattr(item, "value", None)  # a record of stack.egress(...)
        if value is not None and hasattr(value, "greeting"):
            item = (value.name, value.greeting)
        if not (
            isinstance(item, tuple) and len(item) == 2 and all(isinstance(x, str) for x in item)
        ):
            _wrong(
                _(
                    "each greeting should be a (name, greeting) pair, as stack.greetings(...) "
                    "returns them; got {item!r}."
                ).format(item=item)
            )
        pairs.append(item)
    return pairs


def _check(names: object, greetings: object) -> str:
    missing = [label for label, v in (("names", names), ("greetings", greetings)) if v is ...]
    if missing:
        raise Verdict(
            CheckResult(
                7,
                Status.NOT_ATTEMPTED,
                _("fill in {missing} in the exercise cell, run it, then run this check.").format(
                    missing=", ".join(missing)
                ),
            )
        )
    sent, read = _names(names), _pairs(greetings)
    _check_one_per_name_sent(sent, read)
    notes = [note for name in dict.fromkeys(sent) if (note := _check_counts(name, read))]
    message = _(
        "{k} committed greetings from Flink StateFun, each name counted one more per visit."
    ).format(k=len(read))
    return " ".join([message, *notes])


def _check_one_per_name_sent(sent: list[str], read: list[tuple[str, str]]) -> None:
    """As many greetings read as names sent, and none for a name not sent."""
    if len(read) < len(sent):
        _wrong(
            _(
                "{n} name(s) sent but {k} greeting(s) read. Greetings become readable only when "
                "the next checkpoint commits them: wait for them all, "
                "stack.greetings(count=len(names), timeout=120)."
            ).format(n=len(sent), k=len(read))
        )
    extra = Counter(name for name, _text in read) - Counter(sent)
    if extra:
        _wrong(
            _(
                "greetings for names you did not send in this exercise: {names}. Read only the "
                "new ones: a call to stack.greetings returns what came after the previous call's."
            ).format(names=", ".join(sorted(extra)))
        )


def _check_counts(name: str, read: list[tuple[str, str]]) -> str | None:
    """``name``'s greetings are the walkthrough greeter's, counting one more per visit; a note
    when the stack knew the name before (its count did not start at 1)."""
    texts = [text for who, text in read if who == name]
    first = seen_count(name, texts[0])
    if first is None:
        _wrong(
            _("{name}'s greeting {text!r} is not the walkthrough greeter's.").format(
                name=name, text=texts[0]
            )
        )
    for offset, text in enumerate(texts):
        if text != greeting(name, first + offset):
            _wrong(
                _(
                    "{name}'s greetings skip or repeat a count: {texts}. Each visit counts "
                    "one more; a repeat means the same record was read twice."
                ).format(name=name, texts=texts)
            )
    if first > 1:
        return _("{name} was already known to this stack, so it started at {count}.").format(
            name=name, count=first
        )
    return None


def check_step_7(names: object = ..., greetings: object = ...) -> CheckResult:
    """Check step 7: ``check_step_7(names, greetings)``. In a browser tab, where the real
    runtime cannot run, it prints the browser note and says the step waits for a full install."""
    if not runs_here():
        return CheckResult(
            7,
            Status.NOT_ATTEMPTED,
            _("the real runtime does not run in a browser tab: do this step in a full install."),
        )
    return verdict(7, lambda: _check(names, greetings))


EXERCISE = Exercise(
    step=7,
    title=N_("names in, committed greetings out"),
    starter=STARTER,
    solution=SOLUTION,
    hints=HINTS,
    preamble=PREAMBLE,
    checker=check_step_7,
    answers=("names", "greetings"),
)

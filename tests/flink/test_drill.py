"""statefun.flink.drill: the greeter's counts read back, the per-name check, and the drill's
run on a fake stack (tests/support/fake_stack.py): a good restore, a lost greeting (gap), a
message processed twice (duplicate), state lost, nothing after the crash."""

from __future__ import annotations

import pytest
from fake_stack import FakeStack

from statefun.errors import InvalidArgumentError, StackNotRunningError
from statefun.flink import FlinkStack, FlinkStackLike
from statefun.flink.drill import (
    FENCE_PREFIX,
    PHASES,
    CountProblem,
    DrillStep,
    FailureDrill,
    check_counts,
)
from statefun.walkthrough import greeting, seen_count


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 12, 100])
def test_seen_count_reads_the_greeters_greeting_back(count: int) -> None:
    assert seen_count("Ann", greeting("Ann", count)) == count


@pytest.mark.parametrize(
    "text",
    ["Welcome Bob", "Hello Ann", "Nice to see you at the 3-nth time Ann!", "", "Welcome Ann!"],
)
def test_seen_count_of_anything_else_is_none(text: str) -> None:
    assert seen_count("Ann", text) is None


def greetings(*pairs: tuple[str, int]) -> list[tuple[str, str]]:
    return [(name, greeting(name, n)) for name, n in pairs]


def test_consecutive_counts_pass_and_are_split_at_the_crash() -> None:
    sent = ["Ann", "Bob", "Ann", "Bob"]
    (ann, bob) = check_counts(
        sent, greetings(("Ann", 1), ("Bob", 1), ("Ann", 2), ("Bob", 2)), split=2
    )
    assert (ann.name, ann.before, ann.after, ann.sent, ann.ok) == ("Ann", (1,), (2,), 2, True)
    assert (bob.before, bob.after, bob.problems) == ((1,), (2,), ())


def test_a_name_seen_before_the_drill_starts_from_its_count() -> None:
    (ann,) = check_counts(["Ann", "Ann"], greetings(("Ann", 5), ("Ann", 6)))
    assert ann.ok and ann.counts == (5, 6)


def test_other_names_are_ignored() -> None:
    (ann,) = check_counts(["Ann"], greetings(("Zed", 1), ("Ann", 1), ("Zed", 9)))
    assert ann.ok and ann.counts == (1,)


def test_a_gap_a_duplicate_a_missing_and_an_extra_greeting_are_found() -> None:
    sent = ["Ann"] * 3 + ["Bob"] * 3 + ["Cid"] * 2 + ["Dee"] * 2
    got = greetings(
        ("Ann", 1), ("Ann", 3), ("Ann", 4),  # 2 skipped
        ("Bob", 1), ("Bob", 2), ("Bob", 2), ("Bob", 3),  # 2 twice
        ("Cid", 1),  # one never came
        ("Dee", 1), ("Dee", 2), ("Dee", 3),  # one more than sent
    )  # fmt: skip
    ann, bob, cid, dee = check_counts(sent, got)
    assert ann.problems == (CountProblem("Ann", "gap", 2, 3),)
    assert bob.problems == (CountProblem("Bob", "duplicate", 3, 2),)
    assert cid.problems == (CountProblem("Cid", "missing", 2, 1),)
    assert dee.problems == (CountProblem("Dee", "extra", 2, 3),)
    assert [str(p) for p in (ann.problems + bob.problems + cid.problems + dee.problems)] == [
        "Ann: a gap, count 2 expected, 3 came (a message lost)",
        "Bob: count 2 again where 3 was expected (counted twice)",
        "Cid: 1 greetings of 2 expected (some never came)",
        "Dee: 3 greetings where 2 were expected",
    ]


def test_counts_starting_over_are_duplicates() -> None:
    (ann,) = check_counts(["Ann"] * 4, greetings(("Ann", 1), ("Ann", 2), ("Ann", 1), ("Ann", 2)))
    assert [p.kind for p in ann.problems] == ["duplicate", "duplicate"]


def test_a_greeting_that_is_not_the_greeters_is_unrecognized() -> None:
    (ann,) = check_counts(["Ann"], [("Ann", "Hi Ann")])
    assert ann.counts == (None,)
    assert ann.problems == (CountProblem("Ann", "unrecognized", 0, 1),)


# -- the drill on a fake stack --------------------------------------------------------------------


def test_the_fake_stack_and_the_real_one_have_what_the_drill_needs() -> None:
    assert isinstance(FakeStack(), FlinkStackLike)
    for method in ("send", "greetings", "status", "kill_task", "restore"):
        assert callable(getattr(FlinkStack, method))


def test_a_good_restore_carries_the_counts_on() -> None:
    stack = FakeStack()
    steps: list[DrillStep] = []
    shown: list[tuple[str, str]] = []
    result = FailureDrill(stack, on_step=steps.append, on_greetings=shown.extend).run()
    assert result.ok
    assert [(n.name, n.before, n.after) for n in result.names] == [
        ("Ann", (1, 2), (3, 4)),
        ("Bob", (1, 2), (3, 4)),
        ("Cid", (1, 2), (3, 4)),
    ]
    assert (result.checkpoint, result.job_state) == ("chk-7", "RUNNING")
    assert [s.phase for s in steps] == list(PHASES)
    assert steps[0] == DrillStep("send", 6)
    assert steps[1] == DrillStep("committed", 6)
    assert steps[3] == DrillStep("send_down", 6)
    assert steps[4] == DrillStep("restore", checkpoint="chk-7")
    assert steps[5] == DrillStep("restored", 6)
    assert stack.kills == stack.restores == 1
    # every greeting read was shown, the fence's not
    assert len(shown) == 12 and not any(n.startswith(FENCE_PREFIX) for n, _ in shown)
    assert any(n.startswith(FENCE_PREFIX) for n in stack.seen)  # it was sent, though
    assert str(result) == "\n".join(
        [
            "✅ Ann  1 2 | 3 4",
            "✅ Bob  1 2 | 3 4",
            "✅ Cid  1 2 | 3 4",
            "✅ nothing lost, nothing counted twice: the counts carry on",
        ]
    )


def test_a_lost_greeting_is_a_gap() -> None:
    result = FailureDrill(FakeStack("gap"), timeout=5).run()
    assert not result.ok
    ann = result.names[0]
    assert (ann.before, ann.after) == ((1, 2), (4,))
    assert result.problems == (
        CountProblem("Ann", "gap", 3, 4),
        CountProblem("Ann", "missing", 4, 3),
    )
    assert result.names[1].ok and result.names[2].ok
    assert str(result).splitlines()[0] == "❌ Ann  1 2 | 4"
    assert str(result).splitlines()[-1] == "❌ 2 problem(s)"


def test_a_message_processed_twice_is_a_duplicate() -> None:
    result = FailureDrill(FakeStack("duplicate")).run()
    assert not result.ok
    cid = result.names[2]
    assert (cid.before, cid.after) == ((1, 2), (2, 3, 4))
    assert result.problems == (CountProblem("Cid", "duplicate", 3, 2),)


def test_a_restore_from_nothing_starts_the_counts_over() -> None:
    result = FailureDrill(FakeStack(), from_checkpoint=False).run()
    assert result.checkpoint is None
    assert [n.after for n in result.names] == [(1, 2)] * 3
    assert {p.kind for p in result.problems} == {"duplicate"}
    assert not result.ok


def test_greetings_that_never_come_are_missing_and_the_drill_ends() -> None:
    result = FailureDrill(FakeStack("stuck")).run()
    assert [n.after for n in result.names] == [()] * 3
    assert result.problems == tuple(CountProblem(n, "missing", 4, 2) for n in ("Ann", "Bob", "Cid"))


def test_greetings_of_other_names_meanwhile_are_passed_on_not_counted() -> None:
    stack = FakeStack()
    stack.send("Zed")  # committed, not read yet: the drill reads it first
    shown: list[tuple[str, str]] = []
    result = FailureDrill(stack, ["Ann"], before=1, after=1, on_greetings=shown.extend).run()
    assert result.ok and result.names[0].counts == (1, 2)
    assert shown == [
        ("Zed", "Welcome Zed"),
        ("Ann", "Welcome Ann"),
        ("Ann", "Nice to see you again Ann"),
    ]


def test_a_job_that_does_not_run_after_the_restore_fails_the_drill() -> None:
    class Down(FakeStack):
        def restore(self, *, from_checkpoint: bool = True):  # type: ignore[no-untyped-def]
            path = super().restore(from_checkpoint=from_checkpoint)
            self.running = False  # crashed again; the greetings came before
            return path

    result = FailureDrill(Down()).run()
    assert result.problems == ()
    assert result.job_state is None and not result.ok
    assert str(result).splitlines()[-2:] == [
        "the job is not answering after the restore",
        "❌ no count is wrong, but the job does not run again",
    ]


def test_a_stack_that_is_down_fails_the_drill_with_its_error() -> None:
    stack = FakeStack()
    stack.kill_task()
    with pytest.raises(StackNotRunningError, match="already killed"):
        FailureDrill(stack).run()


@pytest.mark.parametrize(
    ("names", "before", "after", "message"),
    [
        ([], 2, 2, "at least one name"),
        (["Ann", " "], 2, 2, "no empty one"),
        (["Ann"], 0, 2, "before and after must each be at least 1"),
        (["Ann"], 1, 0, "before and after must each be at least 1"),
    ],
)
def test_bad_arguments_are_refused(names: list[str], before: int, after: int, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        FailureDrill(FakeStack(), names, before=before, after=after)

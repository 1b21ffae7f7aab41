"""Budgets: a loop, a storm or a pile of delayed messages fails with the cycle that led there."""

from __future__ import annotations

import pytest

from statefun.errors import InvalidArgumentError, InvalidResponseError
from statefun.local.budgets import DEFAULT_MAX_HOPS, DEFAULT_MAX_MESSAGES, Budgets, positive

A = ("example", "ping", "1")
B = ("example", "pong", "1")
C = ("example", "greeter", "1")


def message(to: tuple[str, str, str]) -> tuple[str, str, str, str, bytes]:
    return (*to, "type.googleapis.com/example.GreetRequest", b"")


def delayed(ms: int, to: tuple[str, str, str]) -> tuple[int, str, str, str, str, bytes]:
    return (ms, *message(to))


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "3"])
def test_a_budget_is_a_whole_number_of_at_least_one(bad: object) -> None:
    with pytest.raises(InvalidArgumentError, match="max_hops must be a whole number"):
        positive("max_hops", bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="max_messages"):
        Budgets(max_messages=bad)  # type: ignore[arg-type]


def test_the_defaults() -> None:
    budgets = Budgets()
    assert (budgets.max_hops, budgets.max_messages) == (DEFAULT_MAX_HOPS, DEFAULT_MAX_MESSAGES)
    assert positive("n", 7) == 7


def test_a_chain_within_its_budget_passes() -> None:
    Budgets(max_hops=3).check(A, 3, [message(B)], [], [])


def test_a_chain_past_max_hops_is_a_loop_named_with_its_cycle() -> None:
    budgets = Budgets(max_hops=3)
    budgets.senders.update({A: C, B: A, C: B})  # A sent to B, B to C, C to A
    with pytest.raises(InvalidResponseError) as caught:
        budgets.check(A, 4, [message(B)], [], [])
    text = str(caught.value)
    assert text.startswith("a loop? example/ping/1 sent a message to example/pong/1")
    assert "(max_hops=3)" in text
    assert (
        "; the cycle: example/ping/1 -> example/pong/1 -> example/greeter/1 -> example/ping/1"
        in (text)
    )


def test_a_long_chain_that_lets_time_pass_is_no_loop() -> None:
    budgets = Budgets(max_hops=1)
    budgets.check(A, 5, [], [delayed(10, B)], [])  # a delay starts the chain again
    with pytest.raises(InvalidResponseError, match="a loop"):
        budgets.check(A, 5, [], [delayed(0, B)], [])


def test_more_messages_in_a_run_than_max_messages_is_a_storm() -> None:
    budgets = Budgets(max_messages=5)
    budgets.storm = 4
    budgets.check(A, 1, [message(B)], [], [])
    targets = [("example", "pong", str(i)) for i in range(5)]
    with pytest.raises(InvalidResponseError) as caught:
        budgets.check(A, 1, [message(t) for t in targets], [], [])
    text = str(caught.value)
    assert "a message storm? example/ping/1 sent 5 message(s)" in text
    assert "example/pong/0, example/pong/1, example/pong/2 and 2 more" in text
    assert "after 4 messages" in text and "the cycle" not in text


def test_more_delayed_messages_waiting_than_max_messages_fails() -> None:
    budgets = Budgets(max_messages=3)
    with pytest.raises(InvalidResponseError, match=r"sent 2 to example/pong/1 while 2 already"):
        budgets.check(A, 1, [], [delayed(5, B), delayed(6, B)], ["one", "two"])
    budgets.check(A, 1, [], [delayed(5, B)], ["one", "two"])


def test_no_cycle_when_the_senders_lead_nowhere() -> None:
    budgets = Budgets()
    budgets.senders.update({A: B})
    assert budgets.cycle(A) == ""
    budgets.senders[B] = B  # B sends to itself
    assert budgets.cycle(A) == "; the cycle: example/pong/1 -> example/pong/1"

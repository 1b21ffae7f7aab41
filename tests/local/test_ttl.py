"""State TTL: when a state expires, what a request reads of it, which states are due."""

from __future__ import annotations

from datetime import timedelta

from module_builder import build_module, function

from statefun.local.addresses import AddressState, function_infos
from statefun.local.clock import EPOCH
from statefun.local.ttl import END_OF_TIME, due, expire, expiry, is_expired, read

A = ("example", "greeter", "A")
B = ("example", "greeter", "B")


def address_state(mode: str = "after-write") -> AddressState:
    states = [
        {"name": "seen_count", "expireAfter": "60s", "expireMode": mode},
        {"name": "forever"},
    ]
    module = build_module(function("example/greeter", states), version="2.0")
    return AddressState(function_infos(module)["example/greeter"])


def written(st: AddressState, name: str, value: bytes, at: timedelta) -> AddressState:
    st.values[name] = value
    st.accessed[name] = EPOCH + at
    return st


def test_expiry_is_capped_at_the_end_of_time() -> None:
    assert expiry(EPOCH, timedelta(seconds=60)) == EPOCH + timedelta(seconds=60)
    assert expiry(EPOCH, timedelta.max) == END_OF_TIME


def test_a_state_expires_when_its_time_has_come() -> None:
    st = written(address_state(), "seen_count", b"x", timedelta(0))
    assert not is_expired(st, "seen_count", EPOCH + timedelta(seconds=59))
    assert is_expired(st, "seen_count", EPOCH + timedelta(seconds=60))
    st.values["forever"] = b"y"
    assert not is_expired(st, "forever", END_OF_TIME)


def test_reading_an_expired_state_expires_it_and_says_so() -> None:
    st = written(address_state(), "seen_count", b"x", timedelta(0))
    told: list[tuple[str, bytes]] = []
    now = EPOCH + timedelta(seconds=60)
    assert read(st, "seen_count", now, lambda *a: told.append(a)) is None
    assert told == [("seen_count", b"x")]
    assert "seen_count" not in st.values and "seen_count" not in st.accessed


def test_reading_restarts_the_ttl_only_after_invoke() -> None:
    for mode, restarted in (("after-write", False), ("after-invoke", True)):
        st = written(address_state(mode), "seen_count", b"x", timedelta(0))
        now = EPOCH + timedelta(seconds=30)
        assert read(st, "seen_count", now, lambda *a: None) == b"x"
        assert (st.accessed["seen_count"] == now) is restarted


def test_expire_returns_the_value_it_removes() -> None:
    st = written(address_state(), "seen_count", b"x", timedelta(0))
    assert expire(st, "seen_count") == b"x"
    assert st.values == {} and st.accessed == {}


def test_due_lists_the_expired_states_in_time_order_and_forgets_empty_addresses() -> None:
    addresses = {
        A: written(address_state(), "seen_count", b"a", timedelta(seconds=20)),
        B: written(address_state(), "seen_count", b"b", timedelta(seconds=10)),
    }
    with_ttl = {A, B}
    when = EPOCH + timedelta(seconds=75)
    assert due(addresses, with_ttl, when) == [
        (EPOCH + timedelta(seconds=70), "example/greeter/B", B, "seen_count")
    ]
    expire(addresses[B], "seen_count")
    assert due(addresses, with_ttl, when) == []
    assert with_ttl == {A}

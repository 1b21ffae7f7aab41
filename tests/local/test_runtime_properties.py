"""Property: any interleaving of ingress records gives what a simple model of the greeter says."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any as TypingAny

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from messages_pb2 import GreetRequest, GreetResponse, SeenCount

import greeter
from statefun.local import LocalRuntime, parse_module
from statefun.local.trace import RequestSent

ROOT = Path(__file__).resolve().parents[2]
names = st.sampled_from(["Jerry", "George", "Elaine", "Kramer"])
operations = st.lists(
    st.one_of(
        st.tuples(st.just("one"), names),
        st.tuples(st.just("burst"), st.lists(names, min_size=1, max_size=12)),
        st.tuples(st.just("advance"), st.integers(0, 90)),
    ),
    max_size=25,
)


def module(path: str, max_batch: int) -> TypingAny:
    document = yaml.safe_load((ROOT / path).read_text())
    spec = document["module"]["spec"]["functions"][0]["function"]["spec"]
    spec["maxNumBatchRequests"] = max_batch
    return parse_module(yaml.safe_dump(document), path=path)


def greeting(name: str, n: int) -> str:
    return greeter.compute_greeting(name, n).greeting


@settings(max_examples=150, deadline=None)
@given(operations, st.sampled_from([0, 1, 2, 3, 500]), st.booleans())
def test_any_interleaving_matches_the_model(ops: TypingAny, max_batch: int, ttl: bool) -> None:
    rt = LocalRuntime.from_module(
        module("module-2.0.yaml" if ttl else "module.yaml", max_batch), greeter.functions
    )
    now = 0
    count: dict[str, int] = {}
    last: dict[str, int] = {}
    expected: dict[str, list[str]] = {}

    def model(name: str) -> None:
        if ttl and name in last and last[name] + 60 <= now:
            count[name] = 0
        count[name] = count.get(name, 0) + 1
        last[name] = now
        expected.setdefault(name, []).append(greeting(name, count[name]))

    for op in ops:
        if op[0] == "one":
            rt.ingest("names", key=op[1], value=GreetRequest(name=op[1]))
            model(op[1])
        elif op[0] == "burst":
            rt.ingest_many("names", [(n, GreetRequest(name=n)) for n in op[1]])
            for n in op[1]:
                model(n)
        else:
            rt.advance(timedelta(seconds=op[1]))
            now += op[1]

    got: dict[str, list[str]] = {}
    for record in rt.egress("example/greets", GreetResponse):
        assert record.key is not None
        got.setdefault(record.key, []).append(record.value.greeting)  # type: ignore[attr-defined]
    assert got == expected
    for name in expected:
        alive = not ttl or last[name] + 60 > now
        want = {"seen_count": SeenCount(seen=count[name])} if alive else {}
        assert dict(rt.state("example/greeter", name)) == want
    assert not rt.pending and rt.failure is None
    if max_batch > 0:
        assert all(e.batch <= max_batch for e in rt.trace.of(RequestSent))

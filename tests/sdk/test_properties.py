"""Property: for any batch, the response decodes to exactly the effects the function produced."""

from __future__ import annotations

from datetime import timedelta
from typing import Any as TypingAny

from google.protobuf.any_pb2 import Any
from hypothesis import given, settings
from hypothesis import strategies as st
from sdk_test_pb2 import Counter, Hello

from statefun import RequestReplyHandler, StatefulFunctions, kafka_egress_record
from statefun.testing import Address, InvocationBuilder, decode_response

STATES = ["a", "b", "c"]
names = st.text(alphabet="xyzXYZ019-_", min_size=1, max_size=6)
typenames = st.tuples(st.sampled_from(["ns", "org.foo", "a/b"]), st.sampled_from(["f", "g"]))

actions = st.one_of(
    st.tuples(st.just("pack"), st.sampled_from(STATES), st.integers(-5, 10**12)),
    st.tuples(st.just("del"), st.sampled_from(STATES)),
    st.tuples(st.just("send"), typenames, names, st.text(max_size=8)),
    st.tuples(
        st.just("send_after"),
        st.integers(1, 10**9),
        typenames,
        names,
        st.integers(-(2**63), 2**63 - 1),
    ),
    st.tuples(st.just("egress"), typenames, st.text(max_size=8)),
    st.tuples(st.just("kafka"), st.text(min_size=1, max_size=5), st.text(max_size=5)),
    st.tuples(st.just("reply"), st.text(max_size=8)),
)
invocation = st.tuples(
    st.one_of(st.none(), st.tuples(st.just("c.ns"), st.just("caller"), names)),
    st.lists(actions, max_size=6),
)
batch = st.tuples(
    st.dictionaries(st.sampled_from(STATES), st.one_of(st.none(), st.integers(0, 99))),
    st.lists(invocation, min_size=1, max_size=5),
)


def _any(message: TypingAny) -> Any:
    any = Any()
    any.Pack(message)
    return any


@settings(max_examples=300, deadline=None)
@given(batch)
def test_response_has_exactly_the_effects_of_the_batch(plan: TypingAny) -> None:
    initial, invocations = plan
    # replies to ingress messages would raise; those are covered by unit tests
    invocations = [
        (caller, [a for a in acts if a[0] != "reply" or caller is not None])
        for caller, acts in invocations
    ]

    def fn(context, message: Hello):  # type: ignore[no-untyped-def]
        for action in invocations[int(message.world)][1]:
            kind = action[0]
            if kind == "pack":
                context.state(action[1]).pack(Counter(value=action[2]))
            elif kind == "del":
                del context[action[1]]
            elif kind == "send":
                context.pack_and_send("/".join(action[1]), action[2], Hello(world=action[3]))
            elif kind == "send_after":
                context.send_after(
                    timedelta(milliseconds=action[1]),
                    "/".join(action[2]),
                    action[3],
                    _any(Counter(value=action[4])),
                )
            elif kind == "egress":
                context.pack_and_send_egress("/".join(action[1]), Hello(world=action[2]))
            elif kind == "kafka":
                context.pack_and_send_egress(
                    "e/kafka", kafka_egress_record(topic=action[1], key=action[2], value=Hello())
                )
            elif kind == "reply":
                context.pack_and_reply(Hello(world=action[1]))

    fns = StatefulFunctions()
    fns.register("t/fn", fn)
    builder = InvocationBuilder().with_target("t", "fn", "id")
    for name in STATES:
        if name in initial:
            value = initial[name]
            builder.with_state(name, None if value is None else Counter(value=value))
    for index, (caller, _) in enumerate(invocations):
        builder.with_invocation(Hello(world=str(index)), caller)

    # the reference model of what the runtime must receive
    expected_messages, expected_delayed, expected_egress = [], [], []
    final: dict[str, TypingAny] = {}
    for caller, acts in invocations:
        for action in acts:
            kind = action[0]
            if kind in ("pack", "del") and action[1] not in initial:
                continue
            if kind == "pack":
                final[action[1]] = _any(Counter(value=action[2]))
            elif kind == "del":
                final[action[1]] = None
            elif kind == "send":
                expected_messages.append(
                    (Address(*action[1], action[2]), _any(Hello(world=action[3])))
                )
            elif kind == "reply":
                expected_messages.append((Address(*caller), _any(Hello(world=action[1]))))
            elif kind == "send_after":
                expected_delayed.append(
                    (action[1], Address(*action[2], action[3]), _any(Counter(value=action[4])))
                )
            elif kind == "egress":
                expected_egress.append(("/".join(action[1]), _any(Hello(world=action[2]))))
            elif kind == "kafka":
                record = kafka_egress_record(topic=action[1], key=action[2], value=Hello())
                expected_egress.append(("e/kafka", _any(record)))

    # undeclared states raise; keep only plans that touch declared states
    touches_undeclared = any(
        a[0] in ("pack", "del") and a[1] not in initial for _, acts in invocations for a in acts
    )
    handler = RequestReplyHandler(fns)
    if touches_undeclared:
        try:
            handler(builder.SerializeToString())
        except KeyError:
            return
        raise AssertionError("an undeclared state was accessed without an error")

    raw = handler(builder.SerializeToString())
    effects = decode_response(raw)
    assert [(m.target, m.argument) for m in effects.messages] == expected_messages
    assert [(d.delay_ms, d.target, d.argument) for d in effects.delayed] == expected_delayed
    assert [(e.egress, e.argument) for e in effects.egresses] == expected_egress
    declared_order = [n for n in STATES if n in initial]
    assert [(m.name, m.value) for m in effects.mutations] == [
        (n, final[n]) for n in declared_order if n in final
    ]
    if not (expected_messages or expected_delayed or expected_egress or final):
        assert raw == b""

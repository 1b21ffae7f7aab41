"""statefun.walkthrough: the lab's one copy of the walkthrough's names and greeting.

The walkthrough's own files keep spelling them out (they are upstream's and import nothing of
the lab); these tests hold the lab's copy to them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import greeter
from statefun.local import load_module
from statefun.walkthrough import (
    EGRESS_ID,
    FUNCTION_TYPE,
    GREETINGS_TOPIC,
    INGRESS_ID,
    NAMES_TOPIC,
    STATE,
    greeting,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("seen", range(1, 8))
def test_the_greeting_is_the_greeters(seen: int) -> None:
    assert greeting("Jerry", seen) == greeter.compute_greeting("Jerry", seen).greeting


def test_the_names_are_module_yamls() -> None:
    module = load_module(ROOT / "module.yaml")
    assert module.function(FUNCTION_TYPE).state_names == (STATE,)
    ingress, route = module.ingress_for(NAMES_TOPIC)
    assert ingress.id == INGRESS_ID
    assert route is not None and route.targets == (FUNCTION_TYPE,)
    assert EGRESS_ID in module.egresses


def test_the_topics_are_the_generators() -> None:
    tree = ast.parse((ROOT / "generator" / "event-generator.py").read_text())
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert (constants["NAMES_TOPIC"], constants["GREETINGS_TOPIC"]) == (
        NAMES_TOPIC,
        GREETINGS_TOPIC,
    )


def test_the_greeter_sends_greetings_to_the_egress_and_topic() -> None:
    source = (ROOT / "greeter" / "greeter.py").read_text()
    assert f'@functions.bind("{FUNCTION_TYPE}")' in source
    assert f'topic="{GREETINGS_TOPIC}"' in source
    assert f'pack_and_send_egress("{EGRESS_ID}"' in source

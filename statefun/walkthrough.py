"""The walkthrough's names and its greeting, as the lab's own code refers to them.

The walkthrough (``greeter/greeter.py``, ``generator/``, ``module.yaml``) is upstream's example
and spells these out itself; it imports nothing of the lab. The lab's code (the exercises, the
widgets' defaults, the real stack's checks) uses the constants here, and
``tests/test_walkthrough.py`` checks that they match the walkthrough's files.

>>> greeting("Jerry", 2)
'Nice to see you again Jerry'
"""

from __future__ import annotations

import re

__all__ = [
    "EGRESS_ID",
    "FUNCTION_TYPE",
    "GREETINGS_TOPIC",
    "GREETING_TEMPLATES",
    "INGRESS_ID",
    "NAMES_TOPIC",
    "STATE",
    "greeting",
    "seen_count",
]

#: The greeter's function type (module.yaml's ``functions``).
FUNCTION_TYPE = "example/greeter"
#: The greeter's one state: how many times it saw a name (a ``SeenCount``).
STATE = "seen_count"
#: The routable Kafka ingress that reads :data:`NAMES_TOPIC`.
INGRESS_ID = "example/names"
#: The Kafka egress the greeter sends its greetings to.
EGRESS_ID = "example/greets"
#: The topic the generator writes ``GreetRequest`` records to.
NAMES_TOPIC = "names"
#: The topic the greetings (``GreetResponse`` records) go to.
GREETINGS_TOPIC = "greetings"
#: ``greeter.compute_greeting``'s templates for the 1st, 2nd and 3rd visit (index 0 unused).
GREETING_TEMPLATES = ("", "Welcome %s", "Nice to see you again %s", "Third time is a charm %s")


def greeting(name: str, seen: int) -> str:
    """The greeting of the ``seen``-th visit of ``name`` (from 1), as the greeter words it.

    >>> greeting("Jerry", 1)
    'Welcome Jerry'
    >>> greeting("Kramer", 5)
    'Nice to see you at the 5-nth time Kramer!'
    """
    if 0 < seen < len(GREETING_TEMPLATES):
        return GREETING_TEMPLATES[seen] % name
    return f"Nice to see you at the {seen}-nth time {name}!"


_NTH = re.compile(r"Nice to see you at the (\d+)-nth time (.*)!")


def seen_count(name: str, greeting: str) -> int | None:
    """The visit count the greeter's ``greeting`` for ``name`` says (None if it is not one of
    the greeter's greetings for that name).

    >>> seen_count("Ann", "Welcome Ann")
    1
    >>> seen_count("Ann", "Nice to see you at the 7-nth time Ann!")
    7
    >>> seen_count("Ann", "Welcome Bob") is None
    True
    """
    for count, template in enumerate(GREETING_TEMPLATES):
        if count and greeting == template % name:
            return count
    match = _NTH.fullmatch(greeting)
    if match is not None and match.group(2) == name and int(match.group(1)) >= 4:
        return int(match.group(1))
    return None

"""Step 6, configuring the run: fix broken module.yaml files, then write the "2.0" one with TTL.

``check_step_6(fixes, ttl_module)`` reads each text with the module parser (the 2.2.2
runtime's rules, warnings included) and compares it with the functions of ``greeter.py``
(:func:`~statefun.local.check_module`), then checks that the fix changed only what was broken:
the function is still the walkthrough's.
"""

from __future__ import annotations

import datetime
import importlib
import warnings
from typing import NoReturn

from statefun.errors import ModuleYamlError
from statefun.exercises._harness import Verdict, verdict
from statefun.exercises._repo import messages
from statefun.exercises.catalog import Exercise
from statefun.exercises.result import CheckResult, Status
from statefun.i18n import N_
from statefun.i18n import gettext as _
from statefun.local import ModuleSpec, check_module, parse_module

__all__ = ["BROKEN", "EXERCISE", "FIXED", "check_step_6"]

FUNCTION = "example/greeter"
TTL = datetime.timedelta(seconds=60)

# The function of the walkthrough's module.yaml, written out: an installed package has no
# module.yaml to read, and the line numbers of the messages about the broken files count from
# this text. tests/notebooks/test_exercises_values.py pins it to the repository's module.yaml.
_FILE = """\
version: "1.0"

module:
  meta:
    type: remote
  spec:
    functions:
      - function:
          meta:
            kind: http
            type: example/greeter
          spec:
            endpoint: http://python-worker:8000/statefun
            states:
              - seen_count
            maxNumBatchRequests: 500
            timeout: 2min
"""

#: The files of the exercise as the practice notebooks give them, each broken in one way: a
#: tab from an editor, a list item without its dash, the function kind of the StateFun 3.x
#: docs, a function type the code does not bind.
BROKEN: tuple[str, ...] = (
    _FILE.replace("            states:", "\tstates:"),
    _FILE.replace("              - seen_count", "              seen_count"),
    _FILE.replace("kind: http", "kind: io.statefun.endpoints.v2/http"),
    _FILE.replace("type: example/greeter", "type: example/greet"),
)
#: The same files, fixed (all four are the walkthrough's function).
FIXED: tuple[str, ...] = (_FILE,) * len(BROKEN)

_TTL_FILE = _FILE.replace('version: "1.0"', 'version: "2.0"').replace(
    "              - seen_count",
    "              - name: seen_count\n                expireAfter: 60s",
)


def _listing(head: str, texts: tuple[str, ...], ttl: str) -> str:
    """The exercise cell: ``head`` (comments), ``fixes = [...]`` holding ``texts``, then ``ttl``."""
    items = "".join(f'    """\\\n{text}""",\n' for text in texts)
    return f"{head}fixes = [\n{items}]\n\n{ttl}"


STARTER = _listing(
    "# en: Four module.yaml files, each broken in a different way. Run try_module(text) on each\n"
    "# en: (or parse_module and check_module), read what it says, and fix the text in place.\n"
    "# zh: 四个 module.yaml 文件，各有一处不同的错误。对每个运行 try_module(text)\n"
    "# zh: （或 parse_module 和 check_module），读懂提示，然后直接修改文本。\n",
    BROKEN,
    """\
# en: The same function in format "2.0", where seen_count expires 60 s after the last visit
# en: (the text of a module.yaml, like those above).
# zh: 同一个函数，改用格式 "2.0"，并让 seen_count 在最后一次访问 60 秒后过期
# zh: （和上面一样，是一个 module.yaml 的文本）。
ttl_module = ...
""",
)

SOLUTION = _listing(
    "# en: 1: spaces instead of the tab; 2: the dash of the list item; 3: `kind: http`\n"
    "# en: (the 2.x kind); 4: the type greeter.py binds, example/greeter.\n"
    "# zh: 1：用空格代替制表符；2：补上列表项的短横线；3：`kind: http`（2.x 的写法）；\n"
    "# zh: 4：greeter.py 绑定的类型 example/greeter。\n",
    FIXED,
    f'ttl_module = """\\\n{_TTL_FILE}"""\n',
)

PREAMBLE = """\
import greeter
from statefun.local import check_module, parse_module
"""

HINTS = (
    N_(
        "Let the parser read each file: parse_module(text) raises a ModuleYamlError that names "
        "the line, the key and the fix; check_module(parse_module(text), greeter.functions) "
        "lists what does not fit the Python code. Change only what it points at."
    ),
    N_(
        'Under version "2.0" every state is a map: `- name: seen_count`, with '
        "`expireAfter: 60s` on the next line, lined up with `name`. A duration is a string "
        "with a unit."
    ),
    N_(
        "Fixes: replace the tab with spaces; write `- seen_count`; `kind: http`; `type: "
        'example/greeter`. ttl_module: the same text with `version: "2.0"` and the state '
        "`- name: seen_count` / `expireAfter: 60s`."
    ),
)


def _wrong(message: str) -> NoReturn:
    raise Verdict(CheckResult(6, Status.WRONG, message))


def _parse(text: str, label: str) -> ModuleSpec:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # they are in module.warnings
        try:
            module = parse_module(text, path="module.yaml")
        except ModuleYamlError as error:
            _wrong(_("{label} does not load: {error}").format(label=label, error=error))
    if module.warnings:
        _wrong(
            _(
                "{label} loads, but with a warning: {warning} The runtime ignores that key "
                "without a word."
            ).format(label=label, warning=module.warnings[0])
        )
    functions = importlib.import_module("greeter").functions
    problems = check_module(module, functions)
    if problems:
        _wrong(
            _("{label} loads, but does not fit greeter.py's functions: {problem}").format(
                label=label, problem=problems[0]
            )
        )
    return module


def _same_function(module: ModuleSpec, label: str) -> None:
    """The function must still be the walkthrough's: a fix changes only what was broken."""
    expected = parse_module(_FILE).functions[FUNCTION]
    got = module.functions[FUNCTION]
    fields = (
        ("kind", got.kind, expected.kind),
        ("endpoint", got.endpoint, expected.endpoint),
        ("states", got.state_names, expected.state_names),
        ("maxNumBatchRequests", got.max_num_batch_requests, expected.max_num_batch_requests),
        ("timeout", got.timeout, expected.timeout),
    )
    for key, value, wanted in fields:
        if value != wanted:
            _wrong(
                _(
                    "{label} loads, but its {key} is {got}, where the walkthrough's is {expected}."
                    " Fix only what was broken; keep the rest as it was."
                ).format(label=label, key=key, got=value, expected=wanted)
            )


def _check(fixes: object, ttl_module: object) -> str:
    messages()  # greeter/ on sys.path, as in the notebooks
    untouched = _check_fixes(fixes)
    if ttl_module is Ellipsis:
        untouched.append("ttl_module")
    else:
        _check_ttl(ttl_module)
    if untouched:
        raise Verdict(
            CheckResult(
                6,
                Status.NOT_ATTEMPTED,
                _("still as given: {names}. Fix them, run that cell, then run this check.").format(
                    names=", ".join(untouched)
                ),
            )
        )
    return _(
        "the four files load and fit greeter.py's functions, and in ttl_module (format "
        '"2.0", read by StateFun 2.1 and 2.2) seen_count expires 60 s after the last visit.'
    )


def _check_fixes(fixes: object) -> list[str]:
    """Each fixed file loads as the "1.0" file it was, with the walkthrough's function; returns
    what is still as given."""
    if fixes is Ellipsis:
        return ["fixes"]
    if not isinstance(fixes, list | tuple) or len(fixes) != len(BROKEN):
        _wrong(
            _("`fixes` should be the list of the {count} module.yaml texts, fixed.").format(
                count=len(BROKEN)
            )
        )
    untouched: list[str] = []
    for number, (text, broken) in enumerate(zip(fixes, BROKEN, strict=True), start=1):
        label = _("file {n}").format(n=number)
        if isinstance(text, str) and text.strip() == broken.strip():
            untouched.append(label)
            continue
        _read_fix(
            text,
            label,
            version="1.0",
            not_text=_("{label} is a {type}; keep it the text of a module.yaml."),
            other_version=_(
                '{label} loads as version "{version}"; the file was "1.0". Fix only '
                "what was broken."
            ),
        )
    return untouched


def _check_ttl(ttl_module: object) -> None:
    label = "`ttl_module`"
    module = _read_fix(
        ttl_module,
        label,
        version="2.0",
        not_text=_("{label} is a {type}; it should be the text of a module.yaml."),
        other_version=_(
            '{label} is version "{version}": a state can expire only in format "2.0" '
            '(version: "2.0", states as maps).'
        ),
    )
    state = module.functions[FUNCTION].states[0]
    if state.expire_after is None:
        _wrong(
            _(
                "in {label}, seen_count never expires: add `expireAfter: 60s` below its `name`."
            ).format(label=label)
        )
    if state.expire_after != TTL:
        _wrong(
            _(
                "in {label}, seen_count expires after {got}; the task asks for 60 s "
                "(expireAfter: 60s)."
            ).format(label=label, got=state.expire_after)
        )


def _read_fix(
    text: object, label: str, *, version: str, not_text: str, other_version: str
) -> ModuleSpec:
    """``text`` read as a module.yaml of format ``version`` that still declares the
    walkthrough's function; ``not_text`` and ``other_version`` say what is wrong otherwise."""
    if not isinstance(text, str):
        _wrong(not_text.format(label=label, type=type(text).__name__))
    module = _parse(text, label)
    if module.version != version:
        _wrong(other_version.format(label=label, version=module.version))
    _same_function(module, label)
    return module


def check_step_6(fixes: object = ..., ttl_module: object = ...) -> CheckResult:
    """Check step 6: ``check_step_6(fixes, ttl_module)``."""
    return verdict(6, lambda: _check(fixes, ttl_module))


EXERCISE = Exercise(
    step=6,
    title=N_("module.yaml files"),
    starter=STARTER,
    solution=SOLUTION,
    hints=HINTS,
    preamble=PREAMBLE,
    checker=check_step_6,
    answers=("fixes", "ttl_module"),
)

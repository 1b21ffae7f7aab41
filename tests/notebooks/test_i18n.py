"""The message catalogs and the language switch (statefun.i18n).

The catalog tests extract the messages from the package as ``make i18n`` does (Babel, the
mapping in statefun/locale/babel.cfg) and fail when the committed Chinese catalog lags behind:
a message missing, untranslated, fuzzy, with other placeholders, or no longer in the code, or a
``.mo`` that is not the compiled ``.po``. The fix is always ``make i18n`` (and translating what
it reports).
"""

from __future__ import annotations

import gc
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from messages_pb2 import GreetRequest, GreetResponse

import greeter
import statefun.i18n
from statefun.errors import UnknownLanguageError
from statefun.exercises import CheckResult, Status, check_environment
from statefun.i18n import (
    ENVIRONMENT_VARIABLE,
    LANGUAGES,
    N_,
    get_language,
    gettext,
    normalize_language,
    on_language_change,
    set_language,
)
from statefun.local import LocalRuntime
from statefun.widgets import (
    ClockControls,
    Dashboard,
    EgressLog,
    GreetSender,
    ModuleYamlView,
    StateInspector,
    TraceView,
)

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "statefun" / "locale"
PO = LOCALE / "zh" / "LC_MESSAGES" / "statefun.po"
MO = LOCALE / "zh" / "LC_MESSAGES" / "statefun.mo"
#: Translations that may leave out a placeholder of the English (with the reason).
PLACEHOLDER_CHANGES = {
    "{name}'s {ordinal} GreetRequest": "Chinese says 第 {n} 条 instead of the English ordinal",
}


def extract() -> Catalog:
    """The messages in the package today, extracted as ``make i18n`` does."""
    with (LOCALE / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, comment_tags=("NOTE:",)
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def committed() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f)


# -- the catalogs ---------------------------------------------------------------------------------


def test_babel_finds_the_messages_of_the_exercises_and_the_widgets() -> None:
    ids = {m.id for m in extract() if m.id}
    assert len(ids) > 150
    assert "{icon} Step {step}: {verdict}" in ids  # the checkers
    assert "Send N random names" in ids  # the widgets
    assert "all good: the environment is ready for the StateFun Lab notebooks." in ids
    assert not any("Unknown message type" in i for i in ids)  # statefun.errors stays English


def test_the_chinese_catalog_has_every_message_of_the_code_and_no_other() -> None:
    fresh = {m.id for m in extract() if m.id}
    po = {m.id for m in committed() if m.id}
    assert sorted(fresh - po) == [], "new messages: run `make i18n` and translate them"
    assert sorted(po - fresh) == [], "stale messages no longer in the code: run `make i18n`"


def test_every_message_is_translated_and_keeps_its_placeholders() -> None:
    problems = []
    for message in committed():
        if not message.id:
            continue
        if not message.string:
            problems.append(f"untranslated: {message.id!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy (check the translation, then drop the flag): {message.id!r}")
        elif message.id not in PLACEHOLDER_CHANGES:
            english = sorted(re.findall(r"\{[^{}]*\}", str(message.id)))
            chinese = sorted(re.findall(r"\{[^{}]*\}", str(message.string)))
            if "python-brace-format" in message.flags and english != chinese:
                problems.append(f"placeholders {english} became {chinese}: {message.id!r}")
    assert problems == []


def test_the_shipped_mo_is_the_compiled_po() -> None:
    compiled = io.BytesIO()
    write_mo(compiled, committed())
    assert MO.read_bytes() == compiled.getvalue(), "run `make i18n` to compile the .mo"


def test_the_mo_is_package_data() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"locale/*/LC_MESSAGES/*.mo"' in pyproject
    for language in LANGUAGES[1:]:
        assert (LOCALE / language / "LC_MESSAGES" / "statefun.mo").is_file()


# -- the language switch --------------------------------------------------------------------------


def test_public_names() -> None:
    assert sorted(statefun.i18n.__all__) == sorted(
        [
            "DOMAIN",
            "ENVIRONMENT_VARIABLE",
            "LANGUAGES",
            "LOCALE_DIR",
            "N_",
            "get_language",
            "gettext",
            "ngettext",
            "normalize_language",
            "on_language_change",
            "set_language",
        ]
    )


@pytest.mark.parametrize(
    ("given", "code"),
    [("zh", "zh"), ("ZH", "zh"), ("zh_CN.UTF-8", "zh"), ("zh-Hans", "zh"), ("en_US", "en")],
)
def test_languages_are_normalized(given: str, code: str) -> None:
    assert normalize_language(given) == code
    assert set_language(given) == code
    assert get_language() == code


def test_an_unknown_language_is_refused_and_the_language_stays() -> None:
    set_language("zh")
    with pytest.raises(UnknownLanguageError, match="no 'fr' translation; use one of en, zh"):
        set_language("fr")
    assert get_language() == "zh"


def test_messages_follow_the_language() -> None:
    assert gettext("Send") == "Send"
    set_language("zh")
    assert gettext("Send") == "发送"
    assert gettext("a message no catalog has") == "a message no catalog has"
    assert N_("Send") == "Send"  # only marks a message
    set_language("en")
    assert gettext("Send") == "Send"


def _language_in_a_fresh_interpreter(value: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != ENVIRONMENT_VARIABLE}
    if value is not None:
        env[ENVIRONMENT_VARIABLE] = value
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    code = "from statefun.i18n import get_language, gettext; print(get_language(), gettext('Send'))"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )


def test_the_environment_variable_picks_the_language_at_import() -> None:
    assert _language_in_a_fresh_interpreter(None).stdout == "en Send\n"
    assert _language_in_a_fresh_interpreter("zh_CN.UTF-8").stdout == "zh 发送\n"


def test_a_bad_environment_variable_warns_and_speaks_english() -> None:
    run = _language_in_a_fresh_interpreter("klingon")
    assert run.stdout == "en Send\n"
    assert "no 'klingon' translation" in run.stderr


def test_listeners_hear_each_change_once_and_do_not_keep_their_owner_alive() -> None:
    heard: list[str] = []

    class Owner:
        def relabel(self, language: str) -> None:
            heard.append(language)

    owner = Owner()
    on_language_change(owner.relabel)
    set_language("zh")
    set_language("zh")  # no change, no call
    set_language("en")
    assert heard == ["zh", "en"]
    del owner
    gc.collect()
    set_language("zh")
    assert heard == ["zh", "en"]


def test_a_verdict_prints_in_the_current_language() -> None:
    result = CheckResult(4, Status.WRONG, "explained")
    assert str(result) == "❌ Step 4: wrong\nExplained"
    set_language("zh")
    assert str(result) == "❌ 第 4 步：还不对\nExplained"


def test_the_environment_check_speaks_chinese() -> None:
    set_language("zh")
    report = check_environment()
    lines = str(report).splitlines()
    assert [line.split()[1] for line in lines] == [
        "Python",
        "statefun-lab",
        "protobuf",
        "ipywidgets",
        "JupyterLab",
        "内核",
        "演练",
    ]
    # the found column lines up, a Chinese character taking two columns
    assert len({_display_width(line[: line.index(line.split()[2])]) for line in lines}) == 1
    assert report.summary == "一切正常：环境已经可以运行 StateFun Lab 的笔记本了。"


def _display_width(text: str) -> int:
    return sum(2 if "\u4e00" <= c <= "\u9fff" else 1 for c in text)


# -- the widgets ----------------------------------------------------------------------------------


@pytest.fixture
def rt() -> LocalRuntime:
    return LocalRuntime.from_module(
        str(ROOT / "module.yaml"),
        greeter.functions,  # type: ignore[attr-defined]
        egress_types={"example/greets": GreetResponse},
    )


def test_widgets_built_after_the_switch_speak_chinese(rt: LocalRuntime) -> None:
    set_language("zh")
    sender = GreetSender(rt, GreetRequest)
    log = EgressLog(rt)
    inspector = StateInspector(rt)
    clock = ClockControls(rt)
    assert sender.send_button.description == "发送"
    assert sender.random_button.description == "随机发送 N 个名字"
    assert sender.pace.options == (
        ("逐个发送", "one by one"),
        ("每秒一个", "one per second"),
        ("一次全部发出", "all at once"),
    )
    assert "到入口 <code>names</code>" in sender.title.value
    sender.name.value = " "
    sender.send_button.click()
    assert "请先输入一个名字" in sender.status.value
    sender.name.value = "Jerry"
    sender.send_button.click()
    assert "已发送 Jerry" in sender.status.value
    assert log.count.value == "1 条记录"
    assert log.clear_button.description == "清空"
    assert ">地址<" in inspector.html.value and ">最近变化<" in inspector.html.value
    assert clock.now.value == "当前 +0.000s"
    clock.quick[61].click()
    assert clock.quick[61].description == "+61 秒"
    assert "<b>+61 秒</b>" in clock.events.value


def test_widgets_on_screen_relabel_when_the_language_changes(rt: LocalRuntime) -> None:
    sender = GreetSender(rt, GreetRequest)
    board = Dashboard(rt, GreetRequest)
    trace = TraceView(rt)
    view = ModuleYamlView(str(ROOT / "module.yaml"))
    assert sender.send_button.description == "Send"
    assert sender.pace.value == "one by one"
    sender.pace.value = "all at once"
    set_language("zh")
    assert sender.send_button.description == "发送"
    assert sender.pace.value == "all at once"  # the value stays, its label is translated
    assert sender.pace.label == "一次全部发出"
    assert board.tabs.titles == ("轨迹", "时钟")
    assert board.clock.advance_button.description == "前进"
    assert trace.refresh_button.description == "刷新"
    assert "还什么都没发生" in trace.html.value
    assert view.validate_button.description == "校验"
    assert view.reset_button.description == "还原"
    assert str(view.report).startswith(
        '✅ 有效的 module.yaml（版本 "1.0"）\n   函数 example/greeter：'
    )
    sender.count.value = 2
    sender.random_button.click()
    assert "已发送 2 个名字（一次全部发出）" in sender.status.value
    set_language("en")
    assert sender.send_button.description == "Send"
    assert board.tabs.titles == ("Trace", "Clock")
    assert str(view.report).startswith('✅ valid module.yaml (version "1.0")')

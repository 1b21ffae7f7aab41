"""The views of a running Flink stack (statefun.widgets.flink_*), driven without a browser on a
fake stack (tests/support/fake_stack.py): click, read the widgets, stop the poll threads."""

from __future__ import annotations

import asyncio
import threading

import pytest
from fake_stack import FakeStack

from statefun.errors import InvalidArgumentError, StackNotRunningError
from statefun.i18n import set_language
from statefun.widgets import (
    CommittedGreetings,
    FailureDrillView,
    FlinkDashboard,
    FlinkGreetings,
    FlinkSender,
    FlinkStatusView,
    StackSender,
    format_duration,
)
from statefun.widgets._poll import Poller


def poll_threads() -> list[threading.Thread]:
    """The views' poll threads (not a stack's own threads, e.g. a real-engine test's server)."""
    names = {"statefun-greetings", "statefun-status"}
    return [t for t in threading.enumerate() if t.name in names]


@pytest.fixture(autouse=True)
def no_thread_left() -> None:
    yield
    assert poll_threads() == [], "a poll thread outlived its test"


class Counting(FakeStack):
    """Sets ``polled`` once greetings() or status() was called ``times`` times."""

    def __init__(self, times: int = 3) -> None:
        super().__init__()
        self.times = times
        self.polled = threading.Event()

    def _count(self) -> None:
        if self.calls.count("greetings") + self.calls.count("status") >= self.times:
            self.polled.set()

    def greetings(self, count: int | None = None, timeout: float = 60.0) -> list[tuple[str, str]]:
        try:
            return super().greetings(count, timeout)
        finally:
            self._count()

    def status(self):  # type: ignore[no-untyped-def]
        try:
            return super().status()
        finally:
            self._count()


# -- committed greetings ---------------------------------------------------------------------------


def test_greetings_show_in_commit_order_with_counts_per_name(stack: FakeStack) -> None:
    view = FlinkGreetings(stack)
    assert view.text.value == "" and view.count.value == "0 greeting(s)"
    stack.send("Jerry", "George", "Jerry")
    view.refresh_button.click()
    assert view.text.value == (
        "Jerry:\tWelcome Jerry\nGeorge:\tWelcome George\nJerry:\tNice to see you again Jerry"
    )
    assert view.count.value == "3 greeting(s)"
    assert view.per_name.value == "<small>George ×1, Jerry ×2</small>"
    stack.send("Elaine")
    assert view.refresh() == 1
    assert view.text.value.splitlines()[-1] == "Elaine:\tWelcome Elaine"
    assert view.refresh() == 0  # each committed greeting once
    view.clear_button.click()
    assert (view.text.value, view.count.value, view.per_name.value) == ("", "0 greeting(s)", "")


def test_the_logic_keeps_the_last_lines_and_counts_them_all(stack: FakeStack) -> None:
    logic = CommittedGreetings(stack, limit=2)
    stack.send("A", "B", "C")
    assert logic.refresh() == 3
    assert logic.lines == ["B:\tWelcome B", "C:\tWelcome C"]
    assert logic.total == 3 and logic.per_name() == [("A", 1), ("B", 1), ("C", 1)]


def test_a_failing_read_is_shown_and_the_next_one_clears_it(stack: FakeStack) -> None:
    view = FlinkGreetings(stack)
    stack.fail_next = StackNotRunningError("the stack is not running: start it")
    assert view.refresh() == 0
    assert "the stack is not running: start it" in view.error.value
    stack.send("Ann")
    assert view.refresh() == 1
    assert view.error.value == ""


def test_follow_polls_in_a_thread_until_stopped() -> None:
    stack = Counting(times=3)
    stack.send("Ann")
    view = FlinkGreetings(stack, interval=0.01)
    view.follow()
    assert view.following and view.follow_toggle.value
    assert stack.polled.wait(10), "the poll thread did not read three times"
    view.stop()
    assert not view.following and not view.follow_toggle.value
    assert poll_threads() == []
    assert view.text.value == "Ann:\tWelcome Ann"  # drawn from the thread (no event loop here)


def test_the_toggle_starts_and_stops_the_poll() -> None:
    stack = Counting(times=2)
    view = FlinkGreetings(stack, interval=0.01)
    view.follow_toggle.value = True
    assert view.follow_toggle.icon == "pause"
    assert stack.polled.wait(10)
    view.follow_toggle.value = False
    assert poll_threads() == [] and view.follow_toggle.icon == "play"


def test_the_poll_stops_itself_when_the_stack_is_gone(stack: FakeStack) -> None:
    stack.fail_next = StackNotRunningError("the stack is not running")
    view = FlinkGreetings(stack, interval=0.01)
    view.follow()
    for thread in poll_threads():
        thread.join(10)
    assert not view.following
    assert not view.follow_toggle.value  # the toggle says so
    assert "the stack is not running" in view.error.value


def test_close_stops_following(stack: FakeStack) -> None:
    view = FlinkGreetings(stack, interval=0.01, follow=True)
    assert view.following
    view.close()
    assert not view.following and poll_threads() == []


def test_the_poller_draws_in_the_event_loop_it_was_started_from() -> None:
    drawn_in: list[threading.Thread] = []

    async def main() -> None:
        drawn = asyncio.Event()

        def draw() -> None:
            drawn_in.append(threading.current_thread())
            drawn.set()

        poller = Poller(lambda: False, draw)
        poller.start(0.01)
        await asyncio.wait_for(drawn.wait(), 10)
        poller.stop()

    asyncio.run(main())
    assert drawn_in == [threading.main_thread()]


# -- status ----------------------------------------------------------------------------------------


def test_status_shows_the_job_its_checkpoints_and_each_process(stack: FakeStack) -> None:
    view = FlinkStatusView(stack)
    assert view.text == "no status read yet: press Refresh"
    view.refresh_button.click()
    assert view.text.splitlines() == [
        "job: RUNNING, tasks 3/3",
        "checkpoints: 12 completed, 0 failed, the last #7",
        "the job runs for 1m 15s",
        "the stack is up for 1h 02m 05s",
        "statefun: pid 4242, running, RSS 512 MiB",
        "kafka: pid 4243, running, RSS 301 MiB",
        "functions: in this process, running, RSS -",
    ]
    assert "RUNNING" in view.state.value and "#2ca02c" in view.state.value
    stack.kill_task()
    status = view.refresh()
    assert status is not None and status.job is None
    assert view.text.splitlines()[0] == (
        "job: not answering (the StateFun JVM is down or starting)"
    )
    assert "statefun: no process, stopped, RSS -" in view.text.splitlines()
    assert view.state.value == ""


def test_a_status_that_cannot_be_read_is_shown(stack: FakeStack) -> None:
    class Gone(FakeStack):
        def status(self):  # type: ignore[no-untyped-def]
            raise StackNotRunningError("the stack is not running: start it with stack.up()")

    view = FlinkStatusView(Gone())
    assert view.refresh() is None
    assert view.text == "the stack is not running: start it with stack.up()"
    assert "#d62728" in view.html.value


def test_status_follows_and_stops() -> None:
    stack = Counting(times=2)
    view = FlinkStatusView(stack, interval=0.01)
    view.follow()
    assert stack.polled.wait(10)
    view.close()
    assert not view.following and poll_threads() == []
    assert view.text.startswith("job: RUNNING")


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (59.6, "1m 00s"), (61, "1m 01s"), (7200, "2h 00m 00s")]
)
def test_durations(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


# -- sender ----------------------------------------------------------------------------------------


def test_the_sender_writes_names_to_the_names_topic(stack: FakeStack) -> None:
    sender = FlinkSender(stack)
    assert "<code>names</code>" in sender.title.value
    sender.name.value = "  Jerry "
    sender.send_button.click()
    assert "sent Jerry" in sender.status.value
    assert stack.committed == [("Jerry", "Welcome Jerry")]
    assert stack.sent_topics == ["names"]
    sender.name.value = " "
    sender.send_button.click()
    assert "type a name first" in sender.status.value
    assert len(stack.committed) == 1


def test_random_names_are_seeded_and_sent_at_once(stack: FakeStack) -> None:
    sender = FlinkSender(stack, count=5, seed=7)
    expected = StackSender(FakeStack(), seed=7).pick(5)
    sender.random_button.click()
    assert [name for name, _ in stack.committed] == expected
    assert stack.calls == ["send"]  # one produce_many
    assert "sent 5 names: " in sender.status.value


def test_a_send_the_stack_refuses_is_shown() -> None:
    class Down(FakeStack):
        def send(self, *names: str, topic: str | None = None) -> int:
            raise StackNotRunningError("the stack is not running")

    sender = FlinkSender(Down())
    sender.name.value = "Ann"
    sender.send_button.click()
    assert "the stack is not running" in sender.status.value and "#d62728" in sender.status.value


# -- failure drill ---------------------------------------------------------------------------------


def test_the_drill_button_shows_the_steps_and_a_good_verdict(stack: FakeStack) -> None:
    view = FailureDrillView(stack)
    assert view.text == "not run yet: press the button"
    assert "Ann, Bob, Cid 2× each" in view.explain.value
    view.run_button.click()
    assert view.result is not None and view.result.ok
    assert view.text.splitlines() == [
        "✅ Ann  1 2 | 3 4",
        "✅ Bob  1 2 | 3 4",
        "✅ Cid  1 2 | 3 4",
        "✅ nothing lost, nothing counted twice: the counts carry on",
    ]
    assert "#2ca02c" in view.verdict.value
    assert view.steps_html.value.count("<li>") == 8
    assert "restored the job from its latest checkpoint, chk-7" in view.steps_html.value
    assert "killed the job (SIGKILL: no cancel, no last checkpoint)" in view.steps_html.value
    assert not view.run_button.disabled


@pytest.mark.parametrize(
    ("fault", "lines"),
    [
        (
            "gap",
            [
                "❌ Ann  1 2 | 4",
                "✅ Bob  1 2 | 3 4",
                "✅ Cid  1 2 | 3 4",
                "   Ann: a gap, count 3 expected, 4 came (a message lost)",
                "   Ann: 3 greetings of 4 expected (some never came)",
                "❌ 2 problem(s)",
            ],
        ),
        (
            "duplicate",
            [
                "✅ Ann  1 2 | 3 4",
                "✅ Bob  1 2 | 3 4",
                "❌ Cid  1 2 | 2 3 4",
                "   Cid: count 2 again where 3 was expected (counted twice)",
                "❌ 1 problem(s)",
            ],
        ),
    ],
)
def test_the_drill_shows_what_went_wrong(fault: str, lines: list[str]) -> None:
    view = FailureDrillView(FakeStack(fault), timeout=5)
    result = view.run()
    assert result is not None and not result.ok
    assert view.text.splitlines() == lines
    assert "#d62728" in view.verdict.value


def test_a_drill_the_stack_fails_shows_the_error_and_can_run_again(stack: FakeStack) -> None:
    stack.kill_task()
    ran: list[bool] = []
    view = FailureDrillView(stack, timeout=5, after_run=lambda: ran.append(True))
    assert view.run() is None
    assert view.text == "the StateFun job is not running (already killed?)"
    assert not view.run_button.disabled and ran == [True]
    stack.restore()
    assert view.run() is not None and ran == [True, True]


def test_the_drill_view_passes_its_options_to_the_drill_it_runs(stack: FakeStack) -> None:
    view = FailureDrillView(stack, [" Ann ", "Ann"], before=1, after=3, timeout=5)
    assert (view.drill.names, view.drill.before, view.drill.after) == (("Ann",), 1, 3)
    assert "Ann 1× each" in view.explain.value and "3× more" in view.explain.value
    result = view.run()
    assert result is not None and result.ok
    assert [(n.name, n.before, n.after) for n in result.names] == [("Ann", (1,), (2, 3, 4))]


def test_a_drill_view_with_bad_options_is_refused_at_once(stack: FakeStack) -> None:
    with pytest.raises(InvalidArgumentError, match="at least one name"):
        FailureDrillView(stack, [])
    with pytest.raises(InvalidArgumentError, match="before and after must each be at least 1"):
        FailureDrillView(stack, before=0)


# -- the dashboard ---------------------------------------------------------------------------------


def test_the_dashboard_shows_the_drills_greetings_and_refreshes_the_status(
    stack: FakeStack,
) -> None:
    board = FlinkDashboard(stack)
    board.sender.name.value = "Zed"
    board.sender.send_button.click()
    board.drill.run_button.click()
    lines = board.greetings.text.value.splitlines()
    assert lines[0] == "Zed:\tWelcome Zed"
    assert len(lines) == 13  # Zed's, then the drill's twelve (not its fence)
    assert board.greetings.per_name.value == "<small>Ann ×4, Bob ×4, Cid ×4, Zed ×1</small>"
    assert board.status.text.startswith("job: RUNNING")  # read after the drill
    board.refresh()
    assert board.greetings.count.value == "13 greeting(s)"  # the fence's is not shown
    assert board.tabs.titles == ("Job", "Failure drill")


def test_the_dashboard_closes_every_poll(stack: FakeStack) -> None:
    board = FlinkDashboard(stack)
    board.greetings.follow(0.01)
    board.status.follow(0.01)
    assert len(poll_threads()) == 2
    board.close()
    assert poll_threads() == []


# -- languages -------------------------------------------------------------------------------------


def test_the_views_speak_chinese_and_relabel_on_a_change(stack: FakeStack) -> None:
    board = FlinkDashboard(stack)
    set_language("zh")
    assert board.tabs.titles == ("作业", "故障演练")
    assert board.greetings.refresh_button.description == "刷新"
    assert board.greetings.follow_toggle.description == "持续跟踪"
    assert board.sender.title.value == "<b>发送名字</b>到 Kafka 主题 <code>names</code>"
    assert board.drill.run_button.description == "运行故障演练"
    assert board.status.text == "还没有读取状态：请按“刷新”"
    board.sender.name.value = "Ann"
    board.sender.send_button.click()
    assert "已发送 Ann" in board.sender.status.value
    board.greetings.refresh()
    assert board.greetings.count.value == "1 句问候"
    board.drill.run()
    assert board.drill.text.splitlines() == [
        "✅ Ann  2 3 | 4 5",  # Ann was sent once before the drill
        "✅ Bob  1 2 | 3 4",
        "✅ Cid  1 2 | 3 4",
        "✅ 没有丢失，也没有重复计数：计数接着往下走",
    ]
    assert "已从最新的检查点 chk-7 恢复作业" in board.drill.steps_html.value
    assert board.status.text.splitlines()[:2] == [
        "作业：RUNNING，任务 3/3",
        "检查点：已完成 12 个，失败 0 个，最近一个 #7",
    ]
    assert "statefun：pid 4242，运行中，RSS 512 MiB" in board.status.text.splitlines()
    set_language("en")
    assert board.tabs.titles == ("Job", "Failure drill")
    assert board.greetings.count.value == "13 greeting(s)"  # with the drill's twelve
    assert board.drill.text.splitlines()[-1] == (
        "✅ nothing lost, nothing counted twice: the counts carry on"
    )


def test_a_problem_reads_in_chinese() -> None:
    set_language("zh")
    view = FailureDrillView(FakeStack("duplicate"))
    view.run()
    assert view.text.splitlines()[-2:] == [
        "   Cid：应为 3，却又来了一次 2（重复计数）",
        "❌ 1 个问题",
    ]

"""The failure drill and the Flink views on the real engine: FlinkDashboard over the session's
stack sends a name, runs the drill (SIGKILL the StateFun JVM, names sent while it is down,
restore from the latest checkpoint) and shows each name's counts carrying on, exactly once."""

from __future__ import annotations

import pytest
from real_engine import E2EHandle

from statefun.widgets import FlinkDashboard

pytestmark = pytest.mark.e2e


def test_the_drill_from_the_dashboard_loses_nothing_and_counts_nothing_twice(
    e2e_stack: E2EHandle,
) -> None:
    stack = e2e_stack.stack
    zed, *names = e2e_stack.unique_names("Zed", "Ann", "Bob", "Cid")
    board = FlinkDashboard(stack, drill_names=names)
    try:
        board.sender.name.value = zed
        board.sender.send_button.click()
        assert f"sent {zed}" in board.sender.status.value
        result = board.drill.run()
        assert result is not None, board.drill.text
        assert [(n.name, n.before, n.after) for n in result.names] == [
            (name, (1, 2), (3, 4)) for name in names
        ]
        assert result.ok and result.job_state == "RUNNING"
        assert result.checkpoint is not None and result.checkpoint.startswith("chk-")
        assert stack.status().job is not None
        assert board.drill.text.splitlines()[-1] == (
            "✅ nothing lost, nothing counted twice: the counts carry on"
        )
        # The views saw it: the greetings the drill read (Zed's came first), the job running.
        shown = board.greetings.text.value.splitlines()
        assert f"{zed}:\tWelcome {zed}" in shown
        assert [line for line in shown if line.startswith(f"{names[0]}:")] == [
            f"{names[0]}:\tWelcome {names[0]}",
            f"{names[0]}:\tNice to see you again {names[0]}",
            f"{names[0]}:\tThird time is a charm {names[0]}",
            f"{names[0]}:\tNice to see you at the 4-nth time {names[0]}!",
        ]
        status = board.status.text.splitlines()
        assert status[0].startswith("job: RUNNING, tasks ")
        assert any(s.startswith("statefun: pid ") and ", running, RSS " in s for s in status)
        assert [s.phase for s in board.drill.steps] == [
            "send", "committed", "kill", "send_down", "restore", "restored", "fence", "done"
        ]  # fmt: skip
    finally:
        board.close()

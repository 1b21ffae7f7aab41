"""The failure drill's operations on a stack: :class:`StackRecovery`.

:meth:`StackRecovery.kill_task` crashes the job (SIGKILL, no cancel, no final checkpoint),
:meth:`StackRecovery.latest_checkpoint` finds the newest completed checkpoint and
:meth:`StackRecovery.restore` starts the job again from it. :mod:`statefun.flink.drill` runs
them and checks that the counts carry on.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

from statefun.errors import FlinkStackError, StackNotRunningError
from statefun.flink.components import StackComponents
from statefun.flink.processes import pid_alive, poll
from statefun.i18n import gettext as _

__all__ = ["StackRecovery"]


class StackRecovery(StackComponents):
    """The part of :class:`~statefun.flink.FlinkStack` that crashes and restores the job."""

    def kill_task(self) -> None:
        """Crash the job: SIGKILL the StateFun JVM (no cancel, no final checkpoint).

        Nothing committed is lost: records are committed with checkpoints. :meth:`restore`
        starts the job again from its latest completed checkpoint.
        """
        rec = self._rec()
        pid = rec.pids.pop("statefun", None)
        if pid is None:
            raise StackNotRunningError("the StateFun job is not running (already killed?)")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        proc = self._procs.pop("statefun", None)
        if proc is not None:
            proc.wait(timeout=30)
        else:
            poll("the StateFun JVM to die", lambda: not pid_alive(pid), 30)
        self.pid_file.write(rec)
        self._say(_("killed the StateFun job (pid {pid})").format(pid=pid))

    def latest_checkpoint(self) -> Path:
        """The newest retained, completed checkpoint (a ``chk-N`` directory with ``_metadata``)."""
        # Checkpoint ids go on across a restore (chk-18 -> the new job's chk-19): the highest
        # id is the newest, whatever job directory it is in.
        found = sorted(
            (int(p.parent.name.removeprefix("chk-")), p.parent)
            for p in (self.scratch / "checkpoints").glob("*/chk-*/_metadata")
        )
        if not found:
            raise StackNotRunningError(
                f"no completed checkpoint under {self.scratch / 'checkpoints'}: the job never "
                f"checkpointed, so there is nothing to restore."
            )
        return found[-1][1]

    def restore(self, *, from_checkpoint: bool = True) -> Path | None:
        """Start the job again after :meth:`kill_task`, from the latest completed checkpoint
        (its path is returned; ``from_checkpoint=False``: from nothing, all state lost)."""
        rec = self._rec()
        if "statefun" in rec.pids:
            raise FlinkStackError("the StateFun job is still running: kill_task() first.")
        checkpoint = self.latest_checkpoint() if from_checkpoint else None
        self._start_statefun(savepoint=checkpoint)
        return checkpoint

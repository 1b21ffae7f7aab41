"""What the browser tier's ``lab`` fixture yields: a running JupyterLab server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Lab:
    url: str
    token: str
    root: Path  # the scratch tree it serves: links to the repository, copied notebooks
    log: Path  # the server's output

    def notebook_url(self, path: str, workspace: str) -> str:
        """``path`` opened alone in a fresh workspace (nothing restored from earlier pages)."""
        return f"{self.url}/lab/workspaces/{workspace}/tree/{path}?reset&token={self.token}"

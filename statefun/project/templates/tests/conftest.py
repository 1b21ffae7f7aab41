"""The functions import their messages as `messages_pb2`, as in their image: functions/ goes
first on the import path (the plugin does the same when it loads functions/functions.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "functions"))

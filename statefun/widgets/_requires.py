"""The widgets need ipywidgets (the ``notebooks`` extra): imported first by the package, so a
missing ipywidgets is a :class:`~statefun.errors.MissingExtraError` naming the extra."""

from __future__ import annotations

from statefun.extras import require

require("ipywidgets", extra="notebooks", feature="statefun.widgets")

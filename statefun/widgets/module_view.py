"""Edit a module.yaml and see at once whether the runtime would accept it, and why not."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import ipywidgets as w

from statefun.errors import ModuleYamlError
from statefun.i18n import gettext as _
from statefun.i18n import on_language_change
from statefun.local.check import FunctionRegistry, check_module
from statefun.local.module_yaml import ModuleSpec, parse_module

__all__ = ["ModuleReport", "ModuleYamlView", "describe_module", "validate_module_text"]


def _duration(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return _("{n} min").format(n=f"{seconds / 60:g}")
    return _("{n} s").format(n=f"{seconds:g}")


def describe_module(module: ModuleSpec) -> list[str]:
    """One line per function, ingress and egress, in the runtime's words."""
    lines = []
    for fn in module.functions.values():
        states = []
        for s in fn.states:
            ttl = ""
            if s.expire_after is not None:
                ttl = " " + _("(expires {duration} {mode})").format(
                    duration=_duration(s.expire_after.total_seconds()), mode=s.expire_mode
                )
            states.append(s.name + ttl)
        lines.append(
            _(
                "function {typename}: {kind} {endpoint}, states [{states}], "
                "maxNumBatchRequests {batch}, timeout {timeout}"
            ).format(
                typename=fn.typename,
                kind=fn.kind,
                endpoint=fn.endpoint,
                states=", ".join(states) or _("none"),
                batch=fn.max_num_batch_requests,
                timeout=_duration(fn.timeout.total_seconds()),
            )
        )
    for ingress in module.ingresses.values():
        routes = "; ".join(
            f"{r.topic} ({r.type_url}) -> {', '.join(r.targets)}" for r in ingress.topics
        )
        lines.append(
            _("ingress {id}: {kind} {address}, starts at {position}, {routes}").format(
                id=ingress.id,
                kind=ingress.kind,
                address=ingress.address,
                position=ingress.startup_position.get("type"),
                routes=routes,
            )
        )
    for egress in module.egresses.values():
        lines.append(
            _("egress {id}: {kind} {address}, {semantic}").format(
                id=egress.id,
                kind=egress.kind,
                address=egress.address,
                semantic=egress.delivery_semantic,
            )
        )
    return lines


@dataclass
class ModuleReport:
    """The verdict on a module.yaml text: valid (with a summary) or the loader's error."""

    ok: bool
    module: ModuleSpec | None = None
    error: ModuleYamlError | None = None
    problems: list[str] = field(default_factory=list)  # module vs bound functions
    summary: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if self.error is not None:
            return "❌ " + _("invalid: {error}").format(error=self.error)
        assert self.module is not None
        head = "✅ " + _('valid module.yaml (version "{version}")').format(
            version=self.module.version
        )
        lines = [head, *(f"   {line}" for line in self.summary)]
        if self.problems:
            lines.append(
                "❌ " + _("{count} problem(s) with the functions:").format(count=len(self.problems))
            )
            lines.extend(f"   - {p}" for p in self.problems)
        return "\n".join(lines)

    __repr__ = __str__

    def to_html(self) -> str:
        """The report as HTML: the verdict in colour, then each problem."""
        color = "#2ca02c" if self.ok else "#d62728"
        return (
            f'<pre style="white-space:pre-wrap;color:{color};font-size:12px">'
            f"{html.escape(str(self))}</pre>"
        )


def validate_module_text(
    text: str, *, path: str = "module.yaml", functions: FunctionRegistry | None = None
) -> ModuleReport:
    """Parse ``text`` as the runtime would; with ``functions``, also check they match."""
    try:
        module = parse_module(text, path=path)
    except ModuleYamlError as e:
        return ModuleReport(ok=False, error=e)
    problems = check_module(module, functions) if functions is not None else []
    return ModuleReport(
        ok=not problems, module=module, problems=problems, summary=describe_module(module)
    )


class ModuleYamlView:
    """A module.yaml editor with *Validate* and *Reset*; validates when the text changes."""

    def __init__(
        self,
        path: str = "module.yaml",
        *,
        functions: FunctionRegistry | None = None,
        text: str | None = None,
    ) -> None:
        self.path = path
        self.functions = functions
        self.original = text if text is not None else Path(path).read_text(encoding="utf-8")
        self.editor = w.Textarea(
            value=self.original,
            continuous_update=False,
            layout=w.Layout(width="100%", height="360px"),
        )
        self.validate_button = w.Button(button_style="primary", icon="check")
        self.reset_button = w.Button(icon="undo")
        self.result = w.HTML()
        self.report = validate_module_text(self.original, path=path, functions=functions)
        self.validate_button.on_click(lambda _: self.validate())
        self.reset_button.on_click(lambda _: self.reset())
        self.editor.observe(lambda _: self.validate(), names="value")
        self._relabel()
        on_language_change(self._relabel)
        self.widget = w.VBox(
            [
                w.HBox(
                    [w.HTML(f"<b>{html.escape(path)}</b>"), self.validate_button, self.reset_button]
                ),
                self.editor,
                self.result,
            ]
        )

    def _relabel(self, language: str = "") -> None:
        self.validate_button.description = _("Validate")
        self.reset_button.description = _("Reset")
        # The report's summary was written in the language of its validation: redo it.
        self.validate()

    def validate(self) -> ModuleReport:
        """Validate the editor's text (and the functions, when given) and show the report."""
        self.report = validate_module_text(
            self.editor.value, path=self.path, functions=self.functions
        )
        self._render()
        return self.report

    def reset(self) -> None:
        """Put the original text back in the editor and validate it."""
        self.editor.value = self.original  # triggers validate() when it changed
        self.validate()

    def _render(self) -> None:
        self.result.value = self.report.to_html()

    def _repr_mimebundle_(self, **kwargs: object) -> object:
        return self.widget._repr_mimebundle_(**kwargs)

"""From the text of a module.yaml to its :class:`ModuleSpec`: compose, explain, build, read.

The text is checked (``_source``), composed by the hardened loader (``_loader``), its syntax
errors said in plain words (``_syntax``), its nodes built (``_nodes``) and read section by
section (``_document``).
"""

from __future__ import annotations

from typing import Final, NoReturn

import yaml

from statefun.errors import ModuleYamlError
from statefun.local.module_yaml._document import read_document
from statefun.local.module_yaml._loader import Loader, Refused
from statefun.local.module_yaml._nodes import Builder, Node
from statefun.local.module_yaml._reader import Reader
from statefun.local.module_yaml._source import (
    DEFAULT_MAX_BYTES,
    LINE_BREAK,
    bad_character,
    source_text,
)
from statefun.local.module_yaml._specs import ModuleSpec
from statefun.local.module_yaml._syntax import Explainer

_TRIAL_MAX_CHARS: Final = 32_768  # syntax errors: files this small are re-parsed to find the fix


class Parser:
    """Reads one module.yaml; every check raises ModuleYamlError with file, line and key path.

    ``explain=False`` (for the trial parses of a syntax error's candidate fixes) lets PyYAML's
    errors through as they are.
    """

    def __init__(
        self,
        path: str | None,
        *,
        strict: bool = False,
        max_bytes: int = DEFAULT_MAX_BYTES,
        explain: bool = True,
    ) -> None:
        self.path = path
        self.strict = strict
        self.max_bytes = max_bytes
        self.explain = explain
        self.composed = False

    def parse(self, source: str | bytes) -> ModuleSpec:
        """The module ``source`` declares (``bytes`` are read as UTF-8)."""
        text = source_text(source, self.path, self.max_bytes)
        reader = Reader(self.path, LINE_BREAK.split(text))
        root = self._compose(text, reader)
        self.composed = True
        return read_document(reader, root, strict=self.strict)

    def trial(self, text: str, flagged: int) -> int:
        """How well a candidate fix of a syntax error at 0-based line ``flagged`` reads: 4 a
        clean module, 3 a module with warnings, 2 valid YAML but not a valid module, 1 a YAML
        error after line ``flagged``, 0 no better."""
        parser = Parser(self.path, max_bytes=self.max_bytes, explain=False)
        try:
            module = parser.parse(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            return 1 if mark is not None and mark.line > flagged else 0
        except (ModuleYamlError, yaml.YAMLError):
            return 2 if parser.composed else 0
        return 3 if module.warnings else 4

    def _compose(self, text: str, reader: Reader) -> Node:
        try:
            loader = Loader(text)
        except yaml.reader.ReaderError as exc:
            bad_character(text, exc, self.path)
        try:
            node = loader.get_single_node()
        except Refused as exc:
            reader.fail(exc.mark.line + 1, "", exc.problem, exc.hint)
        except yaml.MarkedYAMLError as exc:
            if not self.explain:
                raise
            self._syntax_error(text, exc, loader, reader)
        finally:
            loader.dispose()
        if node is None:
            reader.fail(
                1,
                "",
                "the file is empty.",
                'start it with `version: "2.0"` and a `module:` (see the walkthrough\'s '
                "module.yaml).",
            )
        return Builder(reader.fail, text, loader.aliases).build(
            node, "", node.start_mark, None, frozenset()
        )

    def _syntax_error(
        self, text: str, exc: yaml.MarkedYAMLError, loader: Loader, reader: Reader
    ) -> NoReturn:
        trial = self.trial if len(text) <= _TRIAL_MAX_CHARS else None
        culprit = Explainer(text, exc, loader.multiline_quotes, trial).explain()
        reader.fail(culprit.line, "", culprit.problem, culprit.hint)

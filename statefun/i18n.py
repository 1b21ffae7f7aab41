"""The language StateFun Lab speaks to a learner: checkers, hints, widgets, the environment check.

Messages are written in English in the code, marked with :func:`gettext` (``_``), and translated
through standard gettext catalogs: ``statefun/locale/<lang>/LC_MESSAGES/statefun.po`` (the
translation, edited by hand) compiled to ``statefun.mo`` (what is shipped and read at run time,
with the standard library's :mod:`gettext`; a learner's install needs no Babel). ``make i18n``
extracts the messages with Babel, updates the ``.po`` and compiles the ``.mo``.

The language is, in order of precedence:

1. the last :func:`set_language` call (the notebooks' setup cell calls it for their edition);
2. the environment variable ``STATEFUN_LAB_LANG`` (``en``, ``zh``, or a locale such as
   ``zh_CN.UTF-8``), read when this module is imported;
3. English.

Text is translated when it is shown, so a widget already on screen speaks the new language in
its next message; widgets also relabel their buttons when the language changes
(:func:`on_language_change`). Error messages raised by the SDK and the local runtime
(``statefun.errors``) stay English.
"""

from __future__ import annotations

import gettext as _gettext
import os
import warnings
import weakref
from collections.abc import Callable
from functools import cache
from pathlib import Path

from statefun.errors import UnknownLanguageError

__all__ = [
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

#: The languages StateFun Lab speaks; ``en`` is the language of the code (the msgids).
LANGUAGES = ("en", "zh")
#: The gettext domain: ``statefun.mo``.
DOMAIN = "statefun"
#: Where the compiled catalogs live (package data).
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: The environment variable that picks the language when nothing else did.
ENVIRONMENT_VARIABLE = "STATEFUN_LAB_LANG"

_ALIASES = {"zh-hans": "zh", "zh-cn": "zh", "zh-sg": "zh", "cn": "zh", "chinese": "zh"}


def normalize_language(language: str) -> str:
    """``"zh_CN.UTF-8"``, ``"zh-Hans"`` or ``"ZH"`` as ``"zh"``; ``"en_US"`` as ``"en"``.

    :raises UnknownLanguageError: (a ``ValueError``) for a language StateFun Lab does not
        speak (the message lists those it does).
    """
    text = str(language).strip().lower().split(".")[0].replace("_", "-")
    code = _ALIASES.get(text, text.split("-")[0])
    if code not in LANGUAGES:
        raise UnknownLanguageError(
            f"StateFun Lab has no {language!r} translation; use one of {', '.join(LANGUAGES)} "
            f"(in set_language(...) or the {ENVIRONMENT_VARIABLE} environment variable)."
        )
    return code


def _from_environment() -> str:
    value = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not value:
        return "en"
    try:
        return normalize_language(value)
    except UnknownLanguageError as e:  # a bad variable must not break `import statefun`
        warnings.warn(f"{e} Speaking English.", stacklevel=2)
        return "en"


_language = _from_environment()
_listeners: list[Callable[[], Callable[[str], None] | None]] = []


@cache
def _translations(language: str) -> _gettext.NullTranslations:
    if language == "en":
        return _gettext.NullTranslations()  # the msgids are the English text
    return _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language])


def get_language() -> str:
    """The current language: ``"en"`` or ``"zh"``."""
    return _language


def set_language(language: str) -> str:
    """Speak ``language`` from now on (``"en"``, ``"zh"``, or a locale like ``"zh_CN"``).

    Returns the normalized code. Widgets already shown relabel themselves; everything
    printed afterwards is in the new language.

    :raises UnknownLanguageError: (a ``ValueError``) for a language without a translation.
    """
    global _language
    code = normalize_language(language)
    _translations(code)  # fail here, not at the first message, if the catalog is missing
    changed = code != _language
    _language = code
    if changed:
        for listener in list(_listeners):
            callback = listener()
            if callback is None:
                _listeners.remove(listener)
            else:
                callback(code)
    return code


def on_language_change(callback: Callable[[str], None]) -> None:
    """Call ``callback(language)`` after each language change.

    A bound method is held weakly (a widget that is gone is not kept alive by this).
    """
    ref: Callable[[], Callable[[str], None] | None]
    if hasattr(callback, "__self__") and hasattr(callback, "__func__"):
        ref = weakref.WeakMethod(callback)
    else:

        def ref() -> Callable[[str], None]:
            return callback

    _listeners.append(ref)


def gettext(message: str) -> str:
    """``message`` (English) in the current language."""
    return _translations(_language).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the current language."""
    return _translations(_language).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now (translate when shown)."""
    return message

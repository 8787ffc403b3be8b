"""Stored sentences in the reader's language (issue 9).

A sentence the system writes for people to read later (a notification's subject and body, the warranty
reason of a request, an escalation's timeline entry) is stored as its message key and parameters, not as
text in the language of whoever caused it, and rendered when it is read, in the reader's language:

    from django.utils.translation import gettext_noop
    from serviceloop.core.messages import message

    message(gettext_noop("Request %(number)s received"), number=request.number)
    message(gettext_noop("Work order %(number)s: %(result)s"), number=wo.number, result=WorkResult(r).label)

- the key is the English source string as written for gettext (``gettext_noop`` keeps it in the catalog
  without translating it now); ``context=`` for a ``pgettext`` context;
- a parameter that is itself translatable (a choice label such as ``WorkResult(r).label``, any
  ``gettext_lazy`` string, another ``message(...)``) is stored as a key too and translated at render;
  lists render joined with the language's list separator; other values are stored as they are;
- ``join(a, b, sep="\\n")`` stores sentences written one after the other.

The stored form is JSON: a string is literal text; ``{"m": key, "p": {params}, "c": context}`` a message;
``{"j": [parts], "s": separator}`` parts joined; ``{"l": [items]}`` a list. ``render(stored)`` turns it into
text in the active language (``translation.override(...)`` for another one); it never raises: a key not in
the catalog renders in English (the key itself), or as the ``fallback`` text stored with it (the sentence
as first written) when the reader's language is not English; a malformed value renders as the fallback.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.functional import Promise

log = logging.getLogger(__name__)

MAX_DEPTH = 8  # nesting of stored messages (a choice label inside a sentence inside a joined text is 3)


@dataclass(frozen=True)
class Message:
    """A sentence to render later: its gettext key, its parameters and its optional pgettext context."""

    msgid: str
    params: dict[str, Any] = field(default_factory=dict)
    context: str = ""

    def stored(self) -> dict[str, Any]:
        return stored(self)

    def render(self, language: str | None = None) -> str:
        return render(stored(self), language=language)

    def __str__(self) -> str:  # in the active language: a Message can go wherever text went
        return self.render()


@dataclass(frozen=True)
class Joined:
    parts: tuple[Any, ...]
    sep: str = ""

    def __str__(self) -> str:
        return render(stored(self))


def message(msgid: Any, *, context: str = "", **params: Any) -> Message:
    if isinstance(msgid, Promise):  # a gettext_lazy string given as the key: its source text, not a translation
        key = _promise_key(msgid)
        return Message(key["m"], params, context or key.get("c", ""))
    return Message(str(msgid), params, context)


def join(*parts: Any, sep: str = "") -> Joined:
    """Sentences (messages or text) written one after the other; empty parts are left out."""
    return Joined(tuple(p for p in parts if p not in (None, "")), sep)


def _promise_key(value: Promise) -> dict[str, Any] | str:
    """A lazy translation (``gettext_lazy``/``pgettext_lazy``, e.g. a choice label) as a stored key: its
    call is read from its pickling recipe (``__reduce__``), which names the function and its arguments."""
    try:
        _unpickle, (func, args, kwargs, *_types) = value.__reduce__()
    except Exception:  # another kind of promise: its source text, translated again at render
        func, args, kwargs = None, (), {}
    if not kwargs and func in (translation.gettext, translation.gettext_lazy) and len(args) == 1:
        return {"m": str(args[0])}
    if not kwargs and func in (translation.pgettext, translation.pgettext_lazy) and len(args) == 2:
        return {"m": str(args[1]), "c": str(args[0])}
    with translation.override(None):  # no catalog active: the source text
        return {"m": str(value)}


def stored(value: Any, _depth: int = 0) -> Any:
    """The JSON form of a message, a joined text, a lazy translation or a plain value."""
    if _depth > MAX_DEPTH:
        return str(value)
    if isinstance(value, Message):
        out: dict[str, Any] = {"m": value.msgid}
        if value.params:
            out["p"] = {str(k): stored(v, _depth + 1) for k, v in value.params.items()}
        if value.context:
            out["c"] = value.context
        return out
    if isinstance(value, Joined):
        return {"j": [stored(p, _depth + 1) for p in value.parts], "s": value.sep}
    if isinstance(value, Promise):
        return _promise_key(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return {"l": [stored(v, _depth + 1) for v in value]}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else \
            value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)  # a person, a customer, a record: its name as it is now


def is_message(value: Any) -> bool:
    """Whether this is something ``stored`` keeps as a key (rather than plain text)."""
    return isinstance(value, Message | Joined | Promise)


class _Missing(Exception):
    """A key that the active catalog does not translate (while the reader's language is not English)."""


_PLACEHOLDER = re.compile(r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%%")
_LETTER = re.compile(r"[A-Za-z]")


def _translate(msgid: str, context: str, strict: bool) -> str:
    text = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
    if strict and text == msgid and _LETTER.search(_PLACEHOLDER.sub("", msgid)):  # words left untranslated
        raise _Missing(msgid)
    return text


def _render(value: Any, depth: int, strict: bool) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError("stored message nested too deep")
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "m" in value:
            msgid, context, params = value["m"], value.get("c") or "", value.get("p") or {}
            if not isinstance(msgid, str) or not isinstance(context, str) or not isinstance(params, dict):
                raise ValueError("malformed stored message")
            text = _translate(msgid, context, strict)
            if not params:
                return text
            values = {str(k): _render(v, depth + 1, False) for k, v in params.items()}
            try:
                return text % values
            except (KeyError, ValueError, TypeError):  # a translation whose placeholders do not match
                return msgid % values
        if "j" in value:
            parts, sep = value["j"], value.get("s", "")
            if not isinstance(parts, list) or not isinstance(sep, str):
                raise ValueError("malformed stored text")
            return sep.join(str(_render(p, depth + 1, strict)) for p in parts)
        if "l" in value and isinstance(value["l"], list):
            sep = translation.pgettext("list separator", ", ")
            return sep.join(str(_render(v, depth + 1, False)) for v in value["l"])
    raise ValueError("malformed stored message")


def render(value: Any, *, fallback: str = "", language: str | None = None) -> str:
    """The stored message in the active language (or ``language``); never raises. With a ``fallback``
    (the text stored when the sentence was written), a key the catalog of a non-English reader does not
    know renders as that text, and so does a malformed value."""
    if value is None or value == "":
        return fallback
    if isinstance(value, Message | Joined | Promise):
        value = stored(value)
    with translation.override(language) if language else nullcontext():
        current = translation.get_language() or ""
        strict = bool(fallback) and not current.startswith("en")
        try:
            return str(_render(value, 0, strict))
        except _Missing:
            return fallback
        except Exception:  # a row written by another version, or by hand: show what was stored
            log.warning("stored message could not be rendered: %r", value, exc_info=True)
            return fallback or (value if isinstance(value, str) else "")


def language_of(user: Any) -> str:
    """The language a person reads: their own setting, else the site's."""
    language = getattr(user, "language", "") or ""
    if language and language in dict(settings.LANGUAGES):
        return language
    return settings.LANGUAGE_CODE


def as_text(value: Any, *, language: str | None = None) -> str:
    """What a plain text column stores of a message: its rendering in ``language`` (the site's by default),
    or the value itself when it is plain text (the old call style)."""
    if value is None:
        return ""
    if not is_message(value):
        return str(value)
    return render(value, language=language or settings.LANGUAGE_CODE)


def as_stored(value: Any) -> Any:
    """What the message column stores: the key and parameters, or None for plain text (rendered as stored)."""
    return stored(value) if is_message(value) else None

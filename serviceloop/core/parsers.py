"""The API's JSON parser: DRF's, with a limit on how deeply lists and objects may nest.

A body nested thousands of levels deep made Python's decoder raise RecursionError, which was a 500;
it is a 400 with a message now. (A module of its own: DRF reads DEFAULT_PARSER_CLASSES while its
views module is imported, so this must not import DRF's views.)
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

MAX_JSON_DEPTH = 64  # far deeper than any input of the API; Python's decoder gives up near 1,000


def _too_deep() -> exceptions.ParseError:
    return exceptions.ParseError(
        _("The JSON body is nested too deeply (more than %(max)s levels of lists and objects).")
        % {"max": MAX_JSON_DEPTH}
    )


def _json_depth_exceeds(data: Any, limit: int) -> bool:
    """Whether lists and objects in ``data`` nest deeper than ``limit`` levels (without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with a limit on nesting: a body nested deeper than ``MAX_JSON_DEPTH`` is a 400.
    (Thousands of levels made Python's decoder raise RecursionError, which was a 500.)"""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise _too_deep() from None
        if _json_depth_exceeds(data, MAX_JSON_DEPTH):
            raise _too_deep()
        return data

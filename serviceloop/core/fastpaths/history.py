"""django-simple-history's ``Model.history`` builds a new manager class on every access
(``HistoryManager.from_queryset(HistoricalQuerySet)``, which walks the queryset's members with
``inspect``): some 0.3 ms per saved record, since each save reads it to write the history row.
``install()`` keeps one such class per descriptor; every access still gets its own manager instance
for its model and record, as before.

django-simple-history internals used: ``simple_history.manager.HistoryDescriptor.__get__`` (replaced)
and its ``manager_class``, ``queryset_class`` and ``model`` attributes.

Read at start-up only: ``accounts.apps.AccountsConfig.ready`` installs the patch when the fast paths
are on (``override_settings(FASTPATHS=...)`` does not add or remove it; ``install``/``uninstall`` do).
"""

from __future__ import annotations

from typing import Any

from simple_history.manager import HistoryDescriptor

from . import enabled

_original_get = HistoryDescriptor.__get__


def _get(self: HistoryDescriptor, instance: Any, owner: Any) -> Any:
    key = (self.manager_class, self.queryset_class)
    cached = self.__dict__.get("_manager_classes")
    if cached is None or cached[0] != key:
        cached = (key, self.manager_class.from_queryset(self.queryset_class))
        self._manager_classes = cached
    return cached[1](self.model, instance)


def install() -> None:
    """Once, from an app's ``ready`` (idempotent); only when the installed descriptor is the one this was
    written against (it keeps its manager and queryset classes as attributes)."""
    if HistoryDescriptor.__get__ is _original_get and {"manager_class", "queryset_class"} <= set(
        HistoryDescriptor.__init__.__code__.co_names
    ):
        HistoryDescriptor.__get__ = _get  # type: ignore[method-assign]


def uninstall() -> None:
    """The library's own ``__get__`` again."""
    HistoryDescriptor.__get__ = _original_get  # type: ignore[method-assign]


def installed() -> bool:
    return HistoryDescriptor.__get__ is _get


def install_if_enabled() -> None:
    """What start-up does: the patch when the fast paths are on, the library as it is otherwise."""
    if enabled():
        install()

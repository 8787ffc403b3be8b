"""Per-process caches of tables that rarely change, kept correct across processes by stamps.

Watched: roles (groups and their permissions), the working calendars with the company's days, and
what other apps add with ``watch`` (the service app: SLA policies). Every change of one of them writes a new random value into the ``CacheStamp`` row in
the same transaction (the signal receivers below) and empties this process's caches. Who is in which
group (and a user's own permissions) is stamped on the user instead (``User.access_stamp``), so a new
colleague's roles do not empty everyone's cache. A cache entry remembers the stamps it was loaded
under and is used only while the database still holds them; a process that reads other values loads
the entry again.

The caches serve HTTP requests: the stamp is read once per request, before the data it guards (the
API's token authentication reads it in the same query as the token and the user; otherwise the first
cache used in the request reads it), so a request sees roles and policies as they were when it
started, as it did when it read them from the database itself. Outside requests (tasks, the shell,
tests calling services directly) every use reads the database, as before.

Writes that bypass model signals (``QuerySet.update``, ``bulk_create``, raw SQL) on a watched table
must call ``bump()`` (or ``bump_users(ids)`` for group memberships) in their transaction.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from asgiref.local import Local
from django.core.signals import request_finished, request_started
from django.db import connection
from django.db.models import Subquery
from django.db.models.signals import m2m_changed, post_delete, post_save

STAMP_ID = 1
# models whose saves and deletes change a cache; apps add theirs with ``watch`` (their AppConfig.ready)
WATCHED_MODELS: list[str] = [
    "auth.Group", "auth.Permission", "contenttypes.ContentType", "core.WorkCalendar", "core.CalendarDay",
]
_connected = False

_local = Local()  # per thread / async context: .request, the _Request being served (None outside requests)


class _Request:
    __slots__ = ("memo", "dirty")

    def __init__(self) -> None:
        self.memo: str | None = None  # the stamp read for this request
        self.dirty = False  # this request changed a watched table: read the stamp anew each time
_caches: list[StampedCache] = []
_table_ready = False


def _table() -> str:
    from .models import CacheStamp

    return connection.ops.quote_name(CacheStamp._meta.db_table)


def read() -> str:
    """The stamp in the database now ("" before the first change)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {_table()} WHERE id = %s", [STAMP_ID])  # noqa: S608 - our table
        row = cursor.fetchone()
    return row[0] if row else ""


def subquery() -> Subquery:
    """The stamp as a subquery, to read it in the same statement as something else."""
    from .models import CacheStamp

    return Subquery(CacheStamp.objects.filter(pk=STAMP_ID).values("value")[:1])


def current() -> str | None:
    """The stamp this request works under (read once per request); None outside requests: no caching."""
    request = getattr(_local, "request", None)
    if request is None:
        return None
    if request.memo is not None:
        return request.memo
    value = read()
    if not request.dirty:
        request.memo = value
    return value


def remember(value: str | None) -> None:
    """Keep a stamp read by another query for the rest of the request."""
    request = getattr(_local, "request", None)
    if request is not None and not request.dirty:
        request.memo = value or ""


def _table_exists() -> bool:
    global _table_ready
    if not _table_ready:
        from .models import CacheStamp

        _table_ready = CacheStamp._meta.db_table in connection.introspection.table_names()
    return _table_ready


def _changed() -> None:
    request = getattr(_local, "request", None)
    if request is not None:  # this request reads the stamp anew each time (its transaction may roll back)
        request.memo = None
        request.dirty = True


def bump(**_kwargs: Any) -> None:
    """A watched table changed: a new stamp (in the caller's transaction) and empty caches here."""
    _changed()
    clear_local()
    if not _table_exists():  # a migration run before the stamp's own migration
        return
    table = _table()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, value) VALUES (%s, %s) "  # noqa: S608 - our table
            "ON CONFLICT (id) DO UPDATE SET value = excluded.value",
            [STAMP_ID, uuid.uuid4().hex],
        )


def bump_users(user_ids: Iterable[int], instance: Any = None) -> None:
    """These users' roles or own permissions changed: a new access stamp on each (in the caller's transaction)."""
    from django.contrib.auth import get_user_model

    ids = sorted({pk for pk in user_ids if pk is not None})
    if not ids:
        return
    value = uuid.uuid4().hex
    model = get_user_model()
    model._base_manager.filter(pk__in=ids).update(access_stamp=value)
    if isinstance(instance, model) and instance.pk in ids:
        instance.access_stamp = value


def clear_local() -> None:
    """Empty this process's caches (the next use loads again)."""
    for cache in list(_caches):
        cache.clear()


class StampedCache:
    """``loader(key, *args)`` results per key, used while the stamp (and the entry's ``version``, e.g. a
    user's access stamp) they were loaded under holds; outside requests the loader runs every time."""

    def __init__(self, loader: Callable[..., Any], *, max_entries: int = 10_000) -> None:
        self._loader = loader
        self._entries: dict[Hashable, tuple[str, Hashable, Any]] = {}
        self._max = max_entries
        self._lock = threading.Lock()
        _caches.append(self)

    def get(self, key: Hashable = None, *args: Any, version: Hashable = None) -> Any:
        stamp = current()  # before the data: a change committed meanwhile gives another stamp
        if stamp is None:
            return self._loader(key, *args)
        hit = self._entries.get(key)
        if hit is not None and hit[0] == stamp and hit[1] == version:
            return hit[2]
        value = self._loader(key, *args)
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[key] = (stamp, version, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _request_started(**_kwargs: Any) -> None:
    _local.request = _Request()


def _request_finished(**_kwargs: Any) -> None:
    _local.request = None


def _memberships_changed(sender: Any, instance: Any, action: str = "", reverse: bool = False,
                         pk_set: set[int] | None = None, **_kwargs: Any) -> None:
    """user.groups / user.user_permissions (or the reverse side: group.user_set, permission.user_set)."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        bump_users([instance.pk], instance)
    elif pk_set is not None:
        bump_users(pk_set)
    else:  # a group or permission cleared of all its users: who they were is gone
        bump()


def _group_permissions_changed(action: str = "", **_kwargs: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        bump()


def connect() -> None:
    """Called once from the core app's ``ready``."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    request_started.connect(_request_started, dispatch_uid="stamps-request-started")
    request_finished.connect(_request_finished, dispatch_uid="stamps-request-finished")
    user = get_user_model()
    # (Django sends no save or delete signals for the rows of these membership tables: written
    # directly, not through the relation's add/remove/set/clear, they need bump_users or bump.)
    for through in (user.groups.through, user.user_permissions.through):
        m2m_changed.connect(_memberships_changed, sender=through, dispatch_uid=f"stamps-m2m-{through._meta.label}")
    m2m_changed.connect(_group_permissions_changed, sender=Group.permissions.through,
                        dispatch_uid="stamps-m2m-group-permissions")
    global _connected
    _connected = True
    for label in WATCHED_MODELS:  # their deletions cascade to the membership tables: covered here
        _watch_signals(label)


def _watch_signals(label: str) -> None:
    post_save.connect(bump, sender=label, weak=False, dispatch_uid=f"stamps-save-{label}")
    post_delete.connect(bump, sender=label, weak=False, dispatch_uid=f"stamps-delete-{label}")


def watch(label: str) -> None:
    """Another app's model (``"app_label.Model"``) whose changes empty the caches (call from AppConfig.ready)."""
    if label not in WATCHED_MODELS:
        WATCHED_MODELS.append(label)
    if _connected:
        _watch_signals(label)

"""Fast paths that rely on framework internals, each justified by a benchmark (see README.md here).

Every fast path asks ``enabled()`` when it runs (the history manager patch: at start-up only) and
falls back to the plain ORM / DRF / django-simple-history behaviour when the ``FASTPATHS`` setting
is off (environment: ``SERVICELOOP_FASTPATHS=0``).

``CHECKED_ON``: the release (major.minor) of each library whose internals these modules use, as
last checked; ``core/tests/test_fastpaths.py`` fails when an installed one is newer.

Modules (import them directly; this package imports none of them, so the gate can use them):
- ``compiled``: querysets compiled to SQL once (Django's SQL compiler);
- ``gated``: the API's gated foreign keys looked up through a compiled query (DRF field internals);
- ``tokens``: API token, user, branch and cache stamp in one compiled query;
- ``permcache``: the user's permissions written into ModelBackend's caches from the stamped cache;
- ``serializers``: serializer fields built once per class (DRF ``get_fields``);
- ``history``: one django-simple-history manager class per model.
"""

from __future__ import annotations

from django.conf import settings

# distribution name -> "major.minor" the internals were read and tested on; the same as README.md
CHECKED_ON: dict[str, str] = {
    "Django": "5.2",
    "djangorestframework": "3.18",
    "django-simple-history": "3.13",
}


def enabled() -> bool:
    """Whether the fast paths are on (the ``FASTPATHS`` setting; ``override_settings`` applies)."""
    return getattr(settings, "FASTPATHS", True)

"""Shared by bench/generate.py and bench/run.py: where the bench databases live, Django setup."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench" / "data"
DEFAULT_SQLITE = DATA_DIR / "bench.sqlite3"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/bench"

# Users the generator creates and the benchmark logs in as.
HQ_USER = "bench_hq"
BRANCH_USER = "bench_east"
BRANCH_CODE = "EAST"


def database_url(db: str, sqlite_path: str | Path | None = None, pg_url: str | None = None) -> str:
    if db == "sqlite":
        return f"sqlite:///{Path(sqlite_path or DEFAULT_SQLITE).resolve()}"
    if db == "postgres":
        return pg_url or os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL)
    raise SystemExit(f"unknown database {db!r}: use sqlite or postgres")


def bench_env(url: str) -> dict[str, str]:
    """Environment for Django pointed at the bench database (connections kept for the whole run)."""
    env = dict(os.environ)
    env["DATABASE_URL"] = url
    env["DJANGO_SETTINGS_MODULE"] = "serviceloop.settings"
    env["DB_CONN_MAX_AGE"] = "86400"
    env.setdefault("DEBUG", "false")
    return env


def run_migrate(url: str) -> None:
    """``migrate`` and ``createcachetable``: without the cache table (the default cache when REDIS_URL is
    not set) the login page answers 500, as it reads the login-failure counters from the cache."""
    for command in (["migrate", "--noinput", "--skip-checks", "-v", "0"], ["createcachetable"]):
        subprocess.run([sys.executable, str(ROOT / "manage.py"), *command], cwd=ROOT, env=bench_env(url), check=True)


def setup_django(url: str) -> None:
    """Configure Django in this process for the bench database (call before importing models)."""
    os.environ.update({k: v for k, v in bench_env(url).items() if k in
                       ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DB_CONN_MAX_AGE", "DEBUG")})
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def without_db(cmd: list[str]) -> list[str]:
    """The command line without its --db options."""
    out, skip = [], False
    for item in cmd:
        if skip:
            skip = False
            continue
        if item == "--db":
            skip = True
            continue
        if item.startswith("--db="):
            continue
        out.append(item)
    return out


def run_each_database(script: str, dbs: list[str], argv: list[str] | None) -> int:
    """One database per process (Django is configured once): run ``script`` again for each database."""
    import subprocess
    import sys

    status = 0
    for db in dbs:
        rest = without_db(argv if argv is not None else sys.argv[1:])
        status |= subprocess.call([sys.executable, script, *rest, "--db", db])
    return status

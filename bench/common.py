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
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "--skip-checks", "-v", "0"],
        cwd=ROOT, env=bench_env(url), check=True,
    )


def setup_django(url: str) -> None:
    """Configure Django in this process for the bench database (call before importing models)."""
    os.environ.update({k: v for k, v in bench_env(url).items() if k in
                       ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DB_CONN_MAX_AGE", "DEBUG")})
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()

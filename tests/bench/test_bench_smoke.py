"""The benchmark code must not rot: generate tiny data sets and run the scenarios (no timings asserted).

- the command-line tools on a temporary SQLite file: bench/generate.py (units and service requests),
  bench/run.py (one unit-list scenario) and bench/run_requests.py (every desk-queue scenario, the SLA
  re-evaluation, API intake in-process and over HTTP against gunicorn);
- the generator and the request scenarios inside this test run's own database (SQLite, or PostgreSQL with
  DATABASE_URL=postgres://...), through the same functions the tools call.
"""

import json
import os
import subprocess
import sys
from argparse import Namespace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _run(*args, timeout=600):
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          check=False)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-3000:])
    return done


def test_generate_and_run_the_tools(tmp_path):
    db = tmp_path / "bench.sqlite3"
    _run("bench/generate.py", "--db", "sqlite", "--units", "200", "--requests", "300", "--sqlite-path", str(db))
    _run("bench/run.py", "--db", "sqlite", "--sqlite-path", str(db), "--n", "2", "--warmup", "1",
         "--scenario", "hq_first_page", "--label", "smoke", "--out", str(tmp_path))
    table = (tmp_path / "results-sqlite-smoke.md").read_text()
    assert "hq_first_page" in table and "| scenario |" in table

    # requests can be replaced without touching the units
    _run("bench/generate.py", "--db", "sqlite", "--only-requests", "--requests", "250", "--sqlite-path", str(db))
    _run("bench/run_requests.py", "--db", "sqlite", "--sqlite-path", str(db), "--n", "2", "--warmup", "1",
         "--sla-runs", "1", "--api-n", "12", "--api-concurrency", "2", "--api-inproc-n", "3", "--label", "smoke",
         "--out", str(tmp_path))
    report = (tmp_path / "results-requests-sqlite-smoke.md").read_text()
    assert "| scenario |" in report and "hq_default" in report and "branch_page_40" in report
    payload = json.loads((tmp_path / "results-requests-sqlite-smoke.json").read_text())
    assert payload["data"]["units"] == 200
    assert payload["data"]["requests"] == 250
    assert payload["sla"]["evaluate_rows"]["requests"] == payload["data"]["open requests"] == 25
    assert payload["api"]["inprocess"]["n"] == 3
    assert payload["api"]["http"]["ok"] == 12 and payload["api"]["http"]["errors"] == 0
    assert (tmp_path / "explain-requests-sqlite-smoke.txt").read_text().count("### ") >= 11


LOGIN_PROBE = """
import django
django.setup()
from django.db import connection
from django.test import Client
print("cache table:", "serviceloop_cache" in connection.introspection.table_names())
response = Client().post("/accounts/login/", {"username": "bench_hq", "password": "wrong"})
print("login status:", response.status_code)
"""


def test_the_generated_database_has_the_cache_table_so_login_works(tmp_path):
    """Logging in reads the login-failure counters from the database cache: the generator must create its table."""
    db = tmp_path / "bench.sqlite3"
    _run("bench/generate.py", "--db", "sqlite", "--units", "10", "--requests", "0", "--sqlite-path", str(db))
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(DATABASE_URL=f"sqlite:///{db}", DJANGO_SETTINGS_MODULE="serviceloop.settings", DEBUG="false")
    done = subprocess.run([sys.executable, "-c", LOGIN_PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "cache table: True" in done.stdout
    assert "login status: 200" in done.stdout  # the form answers (wrong password), not a 500


@pytest.mark.django_db
def test_requests_on_the_test_database(tmp_path):
    """Generator and scenarios on this run's database: COPY and EXPLAIN ANALYZE when it is PostgreSQL."""
    from django.db import connection

    from bench import run_requests
    from bench.generate import Progress, fill_requests, fill_units
    from serviceloop.core.models import DocumentSequence
    from serviceloop.service.models import ServiceRequest, SlaEvent

    today = date(2026, 11, 19)
    now = datetime(2026, 11, 19, 2, 0, tzinfo=UTC)
    progress = Progress()
    fill_units(connection, 200, 20240601, today, progress)
    fill_requests(connection, 300, 20240601, today, now, progress)
    assert ServiceRequest.objects.count() == 300
    assert ServiceRequest.objects.filter(status__in=["new", "in_progress"]).exists()
    assert SlaEvent.objects.filter(kind="started", target="").count() == 300
    numbers = list(ServiceRequest.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 300 and all(n.startswith("CSI-") for n in numbers)
    # the counters continue after the generated numbers: the next request of this month does not collide
    assert DocumentSequence.objects.get(prefix="CSI", period="2611").last_value == sum(
        1 for n in numbers if n.startswith("CSI-2611-"))

    plans: list[str] = []
    results = run_requests.run_queue(n=2, warmup=1, budget_s=5, only=None, plans=plans)
    assert [r.name for r in results] == [s.name for s in run_requests.queue_scenarios()]
    assert all(r.view is not None and r.orm and r.raw for r in results)
    assert len(plans) >= len(results)

    sla = run_requests.run_sla(runs=2, now=now)
    assert sla["evaluate"]["requests"] == sla["evaluate_rows"]["requests"] == sla["open_requests"] == 30
    # the generator stored the deadline columns and escalations the task computes: nothing left to do
    assert [run["created"] for run in sla["escalate"]] == [0, 0]

    if run_requests.api_available():
        api = run_requests.run_api_inprocess(3)
        assert api["n"] == 3 and api["queries"] > 0
        assert ServiceRequest.objects.count() == 300 + (3 + 6) + (3 + 3)  # API creates, service creates

    args = Namespace(part=["queue"], label="smoke-db", out=str(tmp_path), n=1, warmup=1, budget=5, scenario=["hq_default"],
                     no_view=True, sla_runs=1, api_n=0, api_inproc_n=0, api_concurrency=1, api_workers=1)
    info = run_requests.run_all(connection.vendor, None, args)
    assert info["queue"][0]["name"] == "hq_default"

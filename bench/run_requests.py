#!/usr/bin/env python
"""Benchmark of service requests on the generated data: the desk queue, SLA re-evaluation, API intake.

    .venv/bin/python bench/run_requests.py --db postgres                  # all three parts
    .venv/bin/python bench/run_requests.py --db postgres --part queue --n 50 --label after
    .venv/bin/python bench/run_requests.py --db postgres --part api --api-n 2000 --api-concurrency 4
    .venv/bin/python bench/run_requests.py --db sqlite --part sla

Parts (``--part``, repeatable; default all):
- queue: the desk queue (/service/, URL name service:queue) per scenario, N times after a warm-up:
  ORM = ``selectors.request_queue(user)`` with the queue's filters, search, sort and page applied by
  the queue's ListSpec (page rows + the capped count); raw = the SQL statements of that evaluation,
  captured and run again through the database cursor with fetchall; view = the whole request through
  Django's test client when the URL resolves (skipped, with a note, while it does not); raw all = every
  SELECT of that request run raw. EXPLAIN (ANALYZE on PostgreSQL) of every scenario's ORM statements.
- sla: ``sla.evaluate_open_requests`` over every open request, then ``services.sla_escalate`` (first
  run: what changed since generation; further runs: the steady state of the 5-minute task).
- api: ``POST /api/v1/service-requests/`` with a token: in-process through the test client (time per
  call, queries per create) and over HTTP against gunicorn (``--api-workers``, default 2) with a
  threaded client (``--api-n`` requests at ``--api-concurrency``); requests/s and latency. The created
  requests stay in the database (regenerate with ``generate.py --only-requests`` to start over).
Output in --out (default bench/data/): results-requests-<db>-<label>.json and .md, explain-requests-*.txt.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    BRANCH_CODE,
    BRANCH_USER,
    DATA_DIR,
    HQ_USER,
    ROOT,
    bench_env,
    database_url,
    run_each_database,
    setup_django,
)
from bench.run import (  # noqa: E402
    Capture,
    _pg_exists,
    explain,
    fmt,
    is_select,
    machine,
    summary,
    time_raw,
)

TARGET_P95_MS = 150.0
TARGET_RATIO = 2.0
TARGET_CREATE_PER_S = 200.0
TARGET_SLA_S = 5.0
PARTS = ("queue", "sla", "api")
QUEUE_URL_NAME = "service:queue"
CREATE_PATH = "/api/v1/service-requests/"


# ---------------------------------------------------------------- queue

@dataclass
class Scenario:
    name: str
    user: str  # "hq" or "branch"
    params: dict[str, str]
    what: str


@dataclass
class QueueResult:
    name: str
    user: str
    what: str
    params: dict[str, str]
    n: int
    count_label: str
    rows: int
    orm_statements: int
    view_queries: int | None = None
    orm: dict[str, float] = field(default_factory=dict)
    raw: dict[str, float] = field(default_factory=dict)
    view: dict[str, float] | None = None
    raw_all: dict[str, float] | None = None

    @property
    def ratio_orm(self) -> float:
        return self.orm["p95"] / max(self.raw["p95"], 1e-6)

    @property
    def ratio_orm_p50(self) -> float:
        return self.orm["p50"] / max(self.raw["p50"], 1e-6)

    @property
    def ratio_view(self) -> float | None:
        if self.view is None or self.raw_all is None:
            return None
        return self.view["p95"] / max(self.raw_all["p95"], 1e-6)


def queue_url() -> str | None:
    """The queue's URL, or None while it does not resolve (another engineer is building it)."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(QUEUE_URL_NAME)
    except (NoReverseMatch, ImportError, AttributeError) as exc:
        print(f"  view column skipped: {QUEUE_URL_NAME} does not resolve ({exc.__class__.__name__})", flush=True)
        return None


def queue_spec() -> Any:
    """The queue's own ListSpec (sort, filters, search, page size); a stand-in while the view is missing."""
    try:
        from serviceloop.service.views import QUEUE_LIST

        return QUEUE_LIST
    except ImportError:
        from django.db.models import F, Q

        from serviceloop.core.listing import Column, ListSpec

        def search(qs: Any, q: str) -> Any:
            return qs.filter(Q(number__startswith=q.upper()) | Q(customer__name__contains=q))

        return ListSpec(columns=[Column("sla", "sla", lambda r: r.sla_due_at, sort=F("sla_due_at"))],
                        default_sort="sla", search=search)


def queue_scenarios() -> list[Scenario]:
    """Parameters come from the generated data, so they exist at any size."""
    from serviceloop.accounts.models import Branch
    from serviceloop.customers.models import Customer
    from serviceloop.service.choices import OPEN_STATUSES
    from serviceloop.service.models import ServiceRequest

    open_qs = ServiceRequest.objects.filter(status__in=OPEN_STATUSES)
    ids = list(open_qs.order_by("pk").values_list("pk", flat=True))
    middle = ServiceRequest.objects.get(pk=ids[len(ids) // 2]) if ids else ServiceRequest.objects.order_by("pk").first()
    if middle is None:
        raise SystemExit("no service requests: run bench/generate.py with --requests first")
    # a customer with open requests: the middle one among them; generated names are <city 2><word 2>...
    customer = Customer.objects.get(pk=middle.customer_id)
    branch = Branch.objects.get(code=BRANCH_CODE)
    return [
        Scenario("hq_default", "hq", {}, "open requests, nearest deadline first"),
        Scenario("hq_breached", "hq", {"breached": "1"}, "breached only"),
        Scenario("hq_status", "hq", {"status": "in_progress"}, "status filter (in progress)"),
        Scenario("hq_priority_p1", "hq", {"priority": "P1"}, "priority P1"),
        Scenario("hq_number_prefix", "hq", {"q": middle.number[:11]}, "search by request number prefix"),
        Scenario("hq_customer_name", "hq", {"q": customer.name[2:6]}, "search by customer name"),
        Scenario("hq_branch", "hq", {"branch": str(branch.pk)}, "HQ desk, branch filter"),
        Scenario("hq_page_40", "hq", {"page": "40"}, "deep page (40)"),
        Scenario("branch_default", "branch", {}, "branch staff's queue (gate: customer's branch)"),
        Scenario("branch_breached", "branch", {"breached": "1"}, "branch staff, breached only"),
        Scenario("branch_page_40", "branch", {"page": "40"}, "branch staff, deep page (40)"),
    ]


def _orm_page(sc: Scenario, users: dict[str, Any], spec: Any) -> Any:
    from django.test import RequestFactory

    from serviceloop.core.listing import ListPage
    from serviceloop.service.selectors import request_queue

    request = RequestFactory().get("/service/", sc.params)
    request.user = users[sc.user]
    return ListPage(request, request_queue(request.user), spec)


def run_queue_scenario(sc: Scenario, users: dict[str, Any], clients: dict[str, Any] | None, url: str | None,
                       n: int, warmup: int, budget_s: float, plans: list[str]) -> QueueResult:
    from django.db import connection

    spec = queue_spec()

    def orm_once() -> tuple[float, Any]:
        page = _orm_page(sc, users, spec)
        t0 = time.perf_counter()
        page.rows()
        label = page.count_label()
        return (time.perf_counter() - t0) * 1000, (page, label)

    first = [orm_once()[0] for _ in range(max(1, warmup))]
    capture = Capture()
    with connection.execute_wrapper(capture):
        _ms, (page, label) = orm_once()
    orm_statements = [(s, p) for s, p in capture.statements if is_select(s)]

    view_ms: list[float] | None = None
    raw_all: list[float] | None = None
    view_queries = None
    if url is not None and clients is not None:
        client = clients[sc.user]

        def view_once() -> float:
            t0 = time.perf_counter()
            response = client.get(url, sc.params)
            elapsed = (time.perf_counter() - t0) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{sc.name}: status {response.status_code}")
            return elapsed

        first += [view_once() for _ in range(max(1, warmup))]
        view_capture = Capture()
        with connection.execute_wrapper(view_capture):
            view_once()
        view_queries = len(view_capture.statements)
        view_selects = [(s, p) for s, p in view_capture.statements if is_select(s)]
    runs = max(2, min(n, int(budget_s * 1000 / (3 * max(max(first), 0.1)))))
    if url is not None and clients is not None:
        view_ms = [view_once() for _ in range(runs)]
        raw_all = time_raw(connection, view_selects, runs)
    orm_ms = [orm_once()[0] for _ in range(runs)]
    raw_ms = time_raw(connection, orm_statements, runs)
    for sql, params in orm_statements:
        plans.append(f"### {sc.name}: {sc.what} ({sc.user})\n{sql}\nparams: {params!r}\n"
                     f"{explain(connection, sql, params)}\n")
    return QueueResult(
        name=sc.name, user=sc.user, what=sc.what, params=sc.params, n=runs, count_label=label,
        rows=len(page.rows()), orm_statements=len(orm_statements), view_queries=view_queries,
        orm=summary(orm_ms), raw=summary(raw_ms), view=summary(view_ms) if view_ms else None,
        raw_all=summary(raw_all) if raw_all else None,
    )


def bench_users() -> dict[str, Any]:
    from serviceloop.accounts.models import User

    return {"hq": User.objects.get(username=HQ_USER), "branch": User.objects.get(username=BRANCH_USER)}


def run_queue(n: int, warmup: int, budget_s: float, only: list[str] | None, plans: list[str],
              with_view: bool = True) -> list[QueueResult]:
    from django.test import Client
    from django.utils import translation

    translation.activate("zh-hans")
    users = bench_users()
    url = queue_url() if with_view else None
    clients = None
    if url is not None:
        clients = {}
        for key, user in users.items():
            clients[key] = Client()
            clients[key].force_login(user)
    chosen = [s for s in queue_scenarios() if not only or s.name in only]
    results = []
    for sc in chosen:
        r = run_queue_scenario(sc, users, clients, url, n, warmup, budget_s, plans)
        results.append(r)
        view = f"view p50 {fmt(r.view['p50']):>6} p95 {fmt(r.view['p95']):>6} | " if r.view else "view —  | "
        print(f"{r.name:20} n={r.n:3} {view}ORM p50 {fmt(r.orm['p50']):>6} p95 {fmt(r.orm['p95']):>6} | raw p50 "
              f"{fmt(r.raw['p50']):>6} p95 {fmt(r.raw['p95']):>6} ms | {r.count_label}", flush=True)
    return results


def queue_table(results: list[QueueResult]) -> str:
    head = ("| scenario | user | params | N | count | view p50 | view p95 | ORM p50 | ORM p95 | raw p50 | raw p95 "
            "| raw all p95 | ORM/raw p50 | ORM/raw p95 | view/raw all p95 | p95 ≤ 150 ms |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        params = " ".join(f"{k}={v}" for k, v in r.params.items()) or "—"
        slowest = r.view["p95"] if r.view else r.orm["p95"]
        ok = "yes" if slowest <= TARGET_P95_MS else "**no**"
        view50 = fmt(r.view["p50"]) if r.view else "—"
        view95 = fmt(r.view["p95"]) if r.view else "—"
        all95 = fmt(r.raw_all["p95"]) if r.raw_all else "—"
        ratio_view = f"{r.ratio_view:.1f}×" if r.ratio_view is not None else "—"
        lines.append(
            f"| {r.name} | {r.user} | `{params}` | {r.n} | {r.count_label} | {view50} | {view95} "
            f"| {fmt(r.orm['p50'])} | {fmt(r.orm['p95'])} | {fmt(r.raw['p50'])} | {fmt(r.raw['p95'])} | {all95} "
            f"| {r.ratio_orm_p50:.1f}× | {r.ratio_orm:.1f}× | {ratio_view} | {ok} |"
        )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- SLA re-evaluation

class Counter:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.n += 1
        return execute(sql, params, many, context)


def _timed(fn: Any) -> tuple[Any, dict[str, float]]:
    """Run ``fn()``: its result, wall seconds, this process's CPU seconds, queries sent."""
    from django.db import connection

    counter = Counter()
    t0, c0 = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(counter):
        result = fn()
    return result, {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0,
                    "queries": counter.n, "loadavg": os.getloadavg()[0]}


def run_sla(runs: int = 3, now: datetime | None = None) -> dict[str, Any]:
    """The open requests' deadlines: ``evaluate_open_requests`` (model instances, every deadline in full),
    ``evaluate_open_rows`` with ``fast=False`` (rows, each verdict from those deadlines) and as the
    periodic task runs it (rows, integer clocks), then ``sla_escalate`` ``runs`` times (committed:
    the first run records what became due since generation, the next ones are the steady state)."""
    from django.utils import timezone

    from serviceloop.service import services
    from serviceloop.service.choices import OPEN_STATUSES
    from serviceloop.service.models import ServiceRequest
    from serviceloop.service.sla.fastpath import evaluate_open_requests, evaluate_open_rows

    now = now or timezone.now()
    n_open = ServiceRequest.objects.filter(status__in=OPEN_STATUSES).count()
    out: dict[str, Any] = {"open_requests": n_open, "now": now.isoformat(), "escalate": []}

    def consume_instances() -> tuple[int, int]:
        n = breached = 0
        for _request, found in evaluate_open_requests(now):
            n += 1
            breached += any(d.breached for d in found.values())
        return n, breached

    def consume_rows(fast: bool) -> tuple[int, int]:
        n = breached = 0
        for chunk in evaluate_open_rows(now, fast=fast):
            n += len(chunk)
            breached += sum(verdict.breached for verdict in chunk)
        return n, breached

    for key, fn in (("evaluate", consume_instances), ("evaluate_rows_reference", lambda: consume_rows(False)),
                    ("evaluate_rows", lambda: consume_rows(True))):
        (n, breached), figures = _timed(fn)
        out[key] = {**figures, "requests": n, "breached": breached}
        print(f"{key}: {n:,} open requests in {figures['seconds']:.2f} s (CPU {figures['cpu_seconds']:.2f} s, "
              f"{figures['queries']} queries, {breached:,} with a breached target, load "
              f"{figures['loadavg']:.1f})", flush=True)
    for k in range(runs):
        created, figures = _timed(lambda: services.sla_escalate(now=now))
        out["escalate"].append({"run": k + 1, **figures, "created": len(created)})
        print(f"sla_escalate run {k + 1}: {figures['seconds']:.2f} s (CPU {figures['cpu_seconds']:.2f} s), "
              f"{len(created):,} escalations created, {figures['queries']} queries, load {figures['loadavg']:.1f}",
              flush=True)
    return out


# ---------------------------------------------------------------- API intake

def api_token() -> str:
    from rest_framework.authtoken.models import Token

    token, _created = Token.objects.get_or_create(user=bench_users()["hq"])
    return token.key


def api_payloads(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """Requests for random sold units (and their customers), as the desk would log them by phone."""
    from serviceloop.assets.models import Unit

    ids = list(Unit.objects.filter(customer__isnull=False).order_by("pk").values_list("pk", "customer_id"))
    rng = random.Random(seed)
    out = []
    for k in range(n):
        unit, customer = ids[rng.randrange(len(ids))]
        out.append({"channel": "phone", "request_type": "fault_repair", "severity": "general", "customer": customer,
                    "unit": unit, "title": f"主轴异响 bench {k}", "description": "客户来电：加工时主轴有异响。",
                    "contact_name": "王工", "contact_phone": "13900001111"})
    return out


def api_available() -> bool:
    """Whether POST /api/v1/service-requests/ reaches a viewset's create (another engineer builds it)."""
    from django.urls import Resolver404, resolve

    try:
        match = resolve(CREATE_PATH)
    except (Resolver404, ImportError, AttributeError):
        return False
    return (getattr(match.func, "actions", None) or {}).get("post") == "create"


def run_api_inprocess(n: int) -> dict[str, Any]:
    """Time per create through the test client (no network), and the queries of one create."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    token = api_token()
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    payloads = api_payloads(n + 6, seed=11)

    def post(body: dict[str, Any]) -> float:
        t0 = time.perf_counter()
        response = client.post(CREATE_PATH, data=json.dumps(body), content_type="application/json")
        elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code != 201:
            raise SystemExit(f"API create: status {response.status_code}: {response.content[:500]!r}")
        return elapsed

    for body in payloads[:5]:
        post(body)
    with CaptureQueriesContext(connection) as ctx:
        post(payloads[5])
    queries = [q["sql"] for q in ctx.captured_queries]
    times = [post(body) for body in payloads[6:]]
    out = {"n": len(times), "ms": summary(times), "queries": len(queries), "sql": queries,
           "service": run_service_create(max(3, n // 2))}
    print(f"API in-process: {len(times)} creates, p50 {fmt(out['ms']['p50'])} p95 {fmt(out['ms']['p95'])} ms, "
          f"{len(queries)} queries per create; services.request_create alone p50 "
          f"{fmt(out['service']['ms']['p50'])} ms, {out['service']['queries']} queries", flush=True)
    return out


def run_service_create(n: int) -> dict[str, Any]:
    """``services.request_create`` alone (no HTTP, authentication, serializer or response): the intake's
    own share of a create, with the unit read as the API reads it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from serviceloop.assets.models import Unit
    from serviceloop.customers.models import Customer
    from serviceloop.service.services import request_create

    actor = bench_users()["hq"]
    units = Unit.objects.select_related("so_line__order", "product_model", "site")

    def once(body: dict[str, Any]) -> float:
        data = {k: v for k, v in body.items() if k not in ("customer", "unit")}
        t0 = time.perf_counter()
        request_create(actor=actor, customer=Customer.objects.get(pk=body["customer"]),
                       unit=units.get(pk=body["unit"]), **data)
        return (time.perf_counter() - t0) * 1000

    payloads = api_payloads(n + 3, seed=13)
    once(payloads[0])
    with CaptureQueriesContext(connection) as ctx:
        once(payloads[1])
    times = [once(body) for body in payloads[2:]]
    return {"n": len(times), "ms": summary(times), "queries": len(ctx.captured_queries)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer on port {port} within {timeout:.0f}s")


def run_api_http(url: str, n: int, concurrency: int, workers: int, out_dir: Path, label: str,
                 warmup: int = 40) -> dict[str, Any]:
    """Requests/s of POST /api/v1/service-requests/ against gunicorn (sync workers) over real HTTP."""
    token = api_token()
    port = _free_port()
    env = bench_env(url)
    env.update({"DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECRET_KEY": env.get("SECRET_KEY") or
                "bench-only-secret-key-" + "x" * 40})
    log_path = out_dir / f"gunicorn-{label}.log"
    out_dir.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "serviceloop.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--access-logfile", "-", "--timeout", "120"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        _wait_http(port)
        payloads = [json.dumps(p).encode() for p in api_payloads(n + warmup, seed=int(time.time()) % 100000)]
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json",
                   "Accept": "application/json"}
        lock = threading.Lock()
        queue = list(range(len(payloads)))
        latencies: list[float] = []
        errors: list[str] = []

        def worker(measure_from: int) -> None:
            while True:
                with lock:
                    if not queue:
                        return
                    k = queue.pop(0)
                t0 = time.perf_counter()
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    conn.request("POST", CREATE_PATH, body=payloads[k], headers=headers)
                    response = conn.getresponse()
                    body = response.read()
                    conn.close()
                    ok = response.status == 201
                except OSError as exc:
                    ok, body = False, str(exc).encode()
                elapsed = (time.perf_counter() - t0) * 1000
                with lock:
                    if not ok:
                        errors.append(body[:300].decode("utf-8", "replace"))
                    elif k >= measure_from:
                        latencies.append(elapsed)

        # warm-up: every worker loads the app, the policy table and the calendar once
        queue[:] = list(range(warmup))
        threads = [threading.Thread(target=worker, args=(warmup,)) for _ in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        queue[:] = list(range(warmup, len(payloads)))
        load_start = os.getloadavg()
        t0 = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(warmup,)) for _ in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()
    done = len(latencies)
    out = {"n": n, "ok": done, "errors": len(errors), "error_samples": errors[:3], "concurrency": concurrency,
           "workers": workers, "seconds": wall, "per_s": done / wall if wall else 0.0,
           "ms": summary(latencies) if latencies else {}, "loadavg_start": load_start,
           "loadavg_end": os.getloadavg(), "gunicorn_log": str(log_path)}
    print(f"API over HTTP: {done} creates in {wall:.1f}s = {out['per_s']:.0f}/s at concurrency {concurrency}, "
          f"{workers} gunicorn workers; latency p50 {fmt(out['ms'].get('p50', 0))} p95 "
          f"{fmt(out['ms'].get('p95', 0))} ms; {len(errors)} errors", flush=True)
    if errors:
        print("  first error:", errors[0][:300], flush=True)
    return out


# ---------------------------------------------------------------- main

def data_sizes() -> dict[str, int]:
    from serviceloop.assets.models import Unit
    from serviceloop.customers.models import Customer
    from serviceloop.service.choices import OPEN_STATUSES
    from serviceloop.service.models import Escalation, ServiceRequest, SlaEvent

    return {"units": Unit.objects.count(), "customers": Customer.objects.count(),
            "requests": ServiceRequest.objects.count(),
            "open requests": ServiceRequest.objects.filter(status__in=OPEN_STATUSES).count(),
            "breached open": ServiceRequest.objects.filter(status__in=OPEN_STATUSES, sla_breached=True).count(),
            "SLA events": SlaEvent.objects.count(), "escalations": Escalation.objects.count()}


def run_all(db: str, url: str | None, args: argparse.Namespace) -> dict[str, Any]:
    """Every chosen part on the database Django is configured for; returns the JSON payload."""
    from django.db import connection

    parts = args.part or list(PARTS)
    info: dict[str, Any] = {"db": db, "label": args.label,
                            "date": datetime.now().astimezone().isoformat(timespec="seconds"),
                            "machine": machine(), "data": data_sizes()}
    with connection.cursor() as cur:
        cur.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT 'SQLite ' || sqlite_version()")
        info["server"] = cur.fetchone()[0]
    print(f"== {db} ({info['server'].split(' on ')[0]}) {info['data']['requests']:,} requests, "
          f"{info['data']['open requests']:,} open, label {args.label}", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{db}-{args.label}"
    md: list[str] = []
    if "queue" in parts:
        plans: list[str] = []
        results = run_queue(args.n, args.warmup, args.budget, args.scenario, plans, with_view=not args.no_view)
        info["queue"] = [{**asdict(r), "ratio_orm": r.ratio_orm, "ratio_view": r.ratio_view} for r in results]
        (out / f"explain-requests-{stem}.txt").write_text("\n".join(plans))
        md += ["## Desk queue (ms)", "", queue_table(results)]
    if "sla" in parts:
        info["sla"] = run_sla(args.sla_runs)
        md += ["## SLA re-evaluation", ""]
        for key, name in (("evaluate", "evaluate_open_requests"),
                          ("evaluate_rows_reference", "evaluate_open_rows(fast=False)"),
                          ("evaluate_rows", "evaluate_open_rows")):
            ev = info["sla"][key]
            md.append(f"- {name}: {ev['requests']:,} open requests in {ev['seconds']:.2f} s (CPU "
                      f"{ev['cpu_seconds']:.2f} s, {ev['queries']} queries, load {ev['loadavg']:.1f})")
        md += [f"- sla_escalate run {r['run']}: {r['seconds']:.2f} s (CPU {r['cpu_seconds']:.2f} s), {r['created']:,} "
               f"created, {r['queries']} queries, load {r['loadavg']:.1f}" for r in info["sla"]["escalate"]]
        md.append("")
    if "api" in parts:
        if not api_available():
            print(f"API part skipped: {CREATE_PATH} does not resolve to a viewset with create yet", flush=True)
            info["api"] = None
        else:
            info["api"] = {"existing_requests": info["data"]["requests"]}
            if args.api_inproc_n:
                info["api"]["inprocess"] = run_api_inprocess(args.api_inproc_n)
            if args.api_n and url is not None:
                info["api"]["http"] = run_api_http(url, args.api_n, args.api_concurrency, args.api_workers, out,
                                                   f"{stem}-api")
            md += ["## API intake", ""]
            if "inprocess" in info["api"]:
                ip = info["api"]["inprocess"]
                md.append(f"- in-process: {ip['n']} creates, p50 {fmt(ip['ms']['p50'])} ms, p95 "
                          f"{fmt(ip['ms']['p95'])} ms, {ip['queries']} queries per create; "
                          f"services.request_create alone (customer and unit read as the API reads them): p50 "
                          f"{fmt(ip['service']['ms']['p50'])} ms, p95 {fmt(ip['service']['ms']['p95'])} ms, "
                          f"{ip['service']['queries']} queries")
            if "http" in info["api"]:
                h = info["api"]["http"]
                md.append(f"- HTTP (gunicorn {h['workers']} workers, concurrency {h['concurrency']}): {h['ok']} "
                          f"creates in {h['seconds']:.1f} s = **{h['per_s']:.0f}/s**, latency p50 "
                          f"{fmt(h['ms'].get('p50', 0))} p95 {fmt(h['ms'].get('p95', 0))} ms, {h['errors']} errors, "
                          f"with {info['data']['requests']:,} requests in the table")
            md.append("")
    info["machine"]["loadavg_end"] = os.getloadavg()
    head = (f"# {db} {args.label}: {info['data']['requests']:,} requests ({info['data']['open requests']:,} open), "
            f"load {info['machine']['loadavg_start'][0]:.2f} → {info['machine']['loadavg_end'][0]:.2f}\n")
    (out / f"results-requests-{stem}.md").write_text(head + "\n" + "\n".join(md))
    (out / f"results-requests-{stem}.json").write_text(json.dumps(info, ensure_ascii=False, indent=1, default=str))
    print("\n".join(md))
    return info


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], action="append",
                        help="repeatable; default: both, skipping a database that was not generated")
    parser.add_argument("--part", choices=PARTS, action="append", help="repeatable; default: all")
    parser.add_argument("--n", type=int, default=50, help="timed runs per queue measurement (default 50)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per queue scenario")
    parser.add_argument("--scenario", action="append", help="only these queue scenarios (repeatable)")
    parser.add_argument("--no-view", action="store_true", help="queue: ORM and raw SQL only")
    parser.add_argument("--sla-runs", type=int, default=3, help="sla_escalate runs (default 3)")
    parser.add_argument("--api-n", type=int, default=2000, help="HTTP creates (default 2000; 0: none)")
    parser.add_argument("--api-concurrency", type=int, default=4)
    parser.add_argument("--api-workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--api-inproc-n", type=int, default=200, help="in-process creates (default 200; 0: none)")
    parser.add_argument("--label", default="run")
    parser.add_argument("--sqlite-path", default=str(DATA_DIR / "bench.sqlite3"))
    parser.add_argument("--pg-url", default=None)
    parser.add_argument("--out", default=str(DATA_DIR))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    dbs = args.db or ["sqlite", "postgres"]
    if len(dbs) > 1:
        return run_each_database(__file__, dbs, argv)
    db = dbs[0]
    url = database_url(db, args.sqlite_path, args.pg_url)
    if db == "sqlite" and not Path(args.sqlite_path).exists():
        print(f"{args.sqlite_path} not found: run bench/generate.py --db sqlite first", file=sys.stderr)
        return 0
    if db == "postgres" and not _pg_exists(url):
        print(f"{url} not found: run bench/generate.py --db postgres first", file=sys.stderr)
        return 0
    setup_django(url)
    run_all(db, url, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""Benchmark of the unit list page (search, filters, sort, pages) on the generated data.

    .venv/bin/python bench/run.py --db postgres            # after bench/generate.py --db postgres
    .venv/bin/python bench/run.py --db sqlite --n 50 --label after

For every scenario it measures, N times after a warm-up:
- view: the whole request through Django's test Client (middleware, session, gate, filters, queries,
  template rendering), timed around ``client.get``;
- ORM: the list's queryset evaluation alone (the page rows with select_related, and the capped
  count), without the form, the other queries and the rendering;
- raw: the exact SQL statements the view sent (captured with ``connection.execute_wrapper`` during
  one view call), run again through the database's own cursor with fetchall; "list" are the
  statements that read ``assets_unit`` (the rows and the count), "all" every SELECT of the request.
It writes bench/data/results-<db>-<label>.json and .md (a table) and explain-<db>-<label>.txt
(the plans of every scenario's list statements). bench/RESULTS.md is written from these by hand.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
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
    database_url,
    run_each_database,
    setup_django,
)

TARGET_P95_MS = 150.0
TARGET_RATIO = 2.0


@dataclass
class Scenario:
    name: str
    user: str  # "hq" or "branch"
    params: dict[str, str]
    what: str


@dataclass
class Result:
    name: str
    user: str
    what: str
    params: dict[str, str]
    n: int
    queries: int
    list_statements: int
    count_label: str
    rows: int
    view: dict[str, float] = field(default_factory=dict)
    orm: dict[str, float] = field(default_factory=dict)
    raw_list: dict[str, float] = field(default_factory=dict)
    raw_all: dict[str, float] = field(default_factory=dict)

    @property
    def ratio_view(self) -> float:
        return self.view["p95"] / max(self.raw_all["p95"], 1e-6)

    @property
    def ratio_orm(self) -> float:
        return self.orm["p95"] / max(self.raw_list["p95"], 1e-6)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values_ms: list[float]) -> dict[str, float]:
    return {"p50": percentile(values_ms, 50), "p95": percentile(values_ms, 95), "max": max(values_ms)}


def scenarios() -> list[Scenario]:
    """Scenario parameters are read from the generated data, so they exist at any size."""
    from serviceloop.accounts.models import Branch
    from serviceloop.assets.models import ProductModel, Unit
    from serviceloop.customers.models import Contact, Customer

    def middle(model: Any) -> Any:
        ids = model.objects.order_by("pk").values_list("pk", flat=True)
        return model.objects.get(pk=ids[ids.count() // 2])

    unit = middle(Unit)
    customer = middle(Customer)
    phone = middle(Contact).phone
    branch = Branch.objects.get(code=BRANCH_CODE)
    model = ProductModel.objects.filter(code="CK-6150").first() or ProductModel.objects.order_by("code").first()
    # generated names are <city 2><word 2><industry>...: "word + industry start" narrows, "industry start" is broad
    narrow, broad = customer.name[2:6], customer.name[4:6]
    return [
        Scenario("hq_first_page", "hq", {}, "no filter, page 1 (sort -id)"),
        Scenario("hq_serial_prefix", "hq", {"q": unit.serial_number[:6]}, "serial prefix search"),
        Scenario("hq_customer_name", "hq", {"q": narrow}, "customer name search (narrow)"),
        Scenario("hq_customer_broad", "hq", {"q": broad}, "customer name search (broad, ~5% of customers)"),
        Scenario("hq_phone", "hq", {"q": phone[:7]}, "contact phone prefix search"),
        Scenario("hq_search_nothing", "hq", {"q": "ZZ9999"}, "search that matches nothing"),
        Scenario("hq_branch_in_warranty", "hq", {"branch": str(branch.pk), "warranty": "in_warranty"},
                 "branch filter + in warranty"),
        Scenario("hq_branch_contract", "hq", {"branch": str(branch.pk), "warranty": "contract"},
                 "branch filter + under contract"),
        Scenario("hq_chargeable", "hq", {"warranty": "chargeable"}, "chargeable (no warranty, no contract)"),
        Scenario("hq_model_sort_warranty_end", "hq", {"product_model": str(model.pk), "sort": "warranty_end"},
                 "model filter + sort by warranty end"),
        Scenario("hq_class_status", "hq", {"service_class": "equipment", "status": "returned"},
                 "service class + status filter"),
        Scenario("hq_sort_ship_date", "hq", {"sort": "-ship_date"}, "sort by ship date, newest first"),
        Scenario("hq_sort_model", "hq", {"sort": "model"}, "sort by product model"),
        Scenario("hq_page_50", "hq", {"page": "50"}, "deep page (50)"),
        Scenario("branch_first_page", "branch", {}, "branch staff: no filter, page 1"),
        Scenario("branch_customer_name", "branch", {"q": narrow}, "branch staff: customer name search"),
        Scenario("branch_in_warranty_sort_end", "branch", {"warranty": "in_warranty", "sort": "warranty_end"},
                 "branch staff: in warranty, sort by warranty end"),
        Scenario("branch_page_50", "branch", {"page": "50"}, "branch staff: deep page (50)"),
    ]


class Capture:
    """Records (sql, params) of every statement sent through Django's cursor."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.statements.append((sql, params))
        return execute(sql, params, many, context)


def is_select(sql: str) -> bool:
    return sql.lstrip().upper().startswith("SELECT")


def is_list_statement(sql: str) -> bool:
    return 'FROM "assets_unit"' in sql


def explain(connection: Any, sql: str, params: Any) -> str:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            return "\n".join(row[0] for row in cur.fetchall())
        cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(f"{row[0]:>4} {row[1]:>4} {row[3]}" for row in cur.fetchall())


def time_raw(connection: Any, statements: list[tuple[str, Any]], n: int) -> list[float]:
    out = []
    cur = connection.create_cursor()
    try:
        for _ in range(n):
            t0 = time.perf_counter()
            for sql, params in statements:
                cur.execute(sql, params)
                cur.fetchall()
            out.append((time.perf_counter() - t0) * 1000)
    finally:
        cur.close()
    return out


def run_scenario(sc: Scenario, clients: dict[str, Any], users: dict[str, Any], n: int, warmup: int,
                 budget_s: float, plans: list[str]) -> Result:
    from django.db import connection
    from django.test import RequestFactory
    from django.urls import reverse

    from serviceloop.assets.views import UNIT_LIST, UnitListView
    from serviceloop.core.listing import ListPage

    url = reverse("assets:unit_list")
    client = clients[sc.user]

    def view_once() -> float:
        t0 = time.perf_counter()
        response = client.get(url, sc.params)
        elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{sc.name}: status {response.status_code}")
        return elapsed

    first = [view_once() for _ in range(max(1, warmup))]
    runs = max(2, min(n, int(budget_s * 1000 / (3 * max(min(first), 0.1)))))
    capture = Capture()
    with connection.execute_wrapper(capture):
        view_once()
    selects = [(s, p) for s, p in capture.statements if is_select(s)]
    list_statements = [(s, p) for s, p in selects if is_list_statement(s)]

    view_ms = [view_once() for _ in range(runs)]

    factory = RequestFactory()
    orm_ms = []
    page = None
    for _ in range(runs):
        request = factory.get(url, sc.params)
        request.user = users[sc.user]
        view = UnitListView()
        view.setup(request)
        page = ListPage(request, view.get_queryset(), UNIT_LIST)
        t0 = time.perf_counter()
        page.rows()
        label = page.count_label()
        orm_ms.append((time.perf_counter() - t0) * 1000)
    assert page is not None

    raw_list = time_raw(connection, list_statements, runs)
    raw_all = time_raw(connection, selects, runs)
    for sql, params in list_statements:
        plans.append(f"### {sc.name}: {sc.what}\n{sql}\nparams: {params!r}\n{explain(connection, sql, params)}\n")
    return Result(
        name=sc.name, user=sc.user, what=sc.what, params=sc.params, n=runs, queries=len(capture.statements),
        list_statements=len(list_statements), count_label=label, rows=len(page.rows()),
        view=summary(view_ms), orm=summary(orm_ms), raw_list=summary(raw_list), raw_all=summary(raw_all),
    )


def machine() -> dict[str, Any]:
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "loadavg_start": os.getloadavg(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def data_sizes() -> dict[str, int]:
    from serviceloop.assets.models import SalesOrder, SalesOrderLine, ServiceContract, Unit
    from serviceloop.customers.models import Contact, Customer, Site

    models = {"units": Unit, "customers": Customer, "sites": Site, "contacts": Contact, "sales orders": SalesOrder,
              "sales order lines": SalesOrderLine, "service contracts": ServiceContract,
              "contract-unit links": ServiceContract.units.through}
    return {name: model.objects.count() for name, model in models.items()}


def fmt(ms: float) -> str:
    return f"{ms:.1f}" if ms < 100 else f"{ms:.0f}"


def markdown_table(results: list[Result]) -> str:
    head = ("| scenario | user | params | N | queries | count | view p50 | view p95 | ORM p50 | ORM p95 "
            "| raw list p50 | raw list p95 | raw all p95 | view/raw all (p95) | ORM/raw list (p95) | p95 ≤ 150 ms |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        params = " ".join(f"{k}={v}" for k, v in r.params.items()) or "—"
        ok = "yes" if r.view["p95"] <= TARGET_P95_MS else "**no**"
        lines.append(
            f"| {r.name} | {r.user} | `{params}` | {r.n} | {r.queries} | {r.count_label} "
            f"| {fmt(r.view['p50'])} | {fmt(r.view['p95'])} | {fmt(r.orm['p50'])} | {fmt(r.orm['p95'])} "
            f"| {fmt(r.raw_list['p50'])} | {fmt(r.raw_list['p95'])} | {fmt(r.raw_all['p95'])} "
            f"| {r.ratio_view:.1f}× | {r.ratio_orm:.1f}× | {ok} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], action="append",
                        help="repeatable; default: both, skipping a database that was not generated")
    parser.add_argument("--n", type=int, default=50, help="timed runs per measurement (default 50)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds per scenario: fewer runs than --n when one view call is slow")
    parser.add_argument("--scenario", action="append", help="only these scenarios (repeatable)")
    parser.add_argument("--label", default="run", help="name of this run in the output files (e.g. before/after)")
    parser.add_argument("--sqlite-path", default=str(DATA_DIR / "bench.sqlite3"))
    parser.add_argument("--pg-url", default=None)
    parser.add_argument("--out", default=str(DATA_DIR), help="directory for results-*.json/.md, explain-*.txt")
    args = parser.parse_args(argv)
    dbs = args.db or ["sqlite", "postgres"]
    if len(dbs) > 1:
        return run_each_database(__file__, dbs, argv)
    return run_db(dbs[0], args)


def run_db(db: str, args: argparse.Namespace) -> int:
    url = database_url(db, args.sqlite_path, args.pg_url)
    if db == "sqlite" and not Path(args.sqlite_path).exists():
        print(f"{args.sqlite_path} not found: run bench/generate.py --db sqlite first", file=sys.stderr)
        return 0
    if db == "postgres" and not _pg_exists(url):
        print(f"{url} not found: run bench/generate.py --db postgres first", file=sys.stderr)
        return 0
    setup_django(url)
    from django.db import connection
    from django.test import Client
    from django.utils import translation

    from serviceloop.accounts.models import User

    translation.activate("zh-hans")
    users = {"hq": User.objects.get(username=HQ_USER), "branch": User.objects.get(username=BRANCH_USER)}
    clients = {}
    for key, user in users.items():
        clients[key] = Client()
        clients[key].force_login(user)
    chosen = [s for s in scenarios() if not args.scenario or s.name in args.scenario]
    if not chosen:
        raise SystemExit("no scenario selected")
    info = {"db": db, "label": args.label, "date": datetime.now().astimezone().isoformat(timespec="seconds"),
            "machine": machine(), "data": data_sizes()}
    with connection.cursor() as cur:
        cur.execute("SELECT version()" if db == "postgres" else "SELECT 'SQLite ' || sqlite_version()")
        info["server"] = cur.fetchone()[0]
    print(f"== {db} ({info['server'].split(' on ')[0]}) {info['data']['units']:,} units, label {args.label}")
    plans: list[str] = []
    results = []
    for sc in chosen:
        r = run_scenario(sc, clients, users, args.n, args.warmup, args.budget, plans)
        results.append(r)
        print(f"{r.name:30} n={r.n:3} view p50 {fmt(r.view['p50']):>6} p95 {fmt(r.view['p95']):>6} | ORM p95 "
              f"{fmt(r.orm['p95']):>6} | raw list p95 {fmt(r.raw_list['p95']):>6} all {fmt(r.raw_all['p95']):>6} ms"
              f" | {r.count_label}", flush=True)
    info["machine"]["loadavg_end"] = os.getloadavg()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{db}-{args.label}"
    table = markdown_table(results)
    (out / f"results-{stem}.md").write_text(table)
    (out / f"explain-{stem}.txt").write_text("\n".join(plans))
    payload = {**info, "results": [{**asdict(r), "ratio_view": r.ratio_view, "ratio_orm": r.ratio_orm}
                                   for r in results]}
    (out / f"results-{stem}.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1))
    print(table)
    return 0


def _pg_exists(url: str) -> bool:
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    try:
        psycopg.connect(host=cfg["HOST"] or "127.0.0.1", port=cfg["PORT"] or 5432, user=cfg["USER"] or "postgres",
                        password=cfg["PASSWORD"] or None, dbname=cfg["NAME"], connect_timeout=5).close()
    except psycopg.OperationalError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())

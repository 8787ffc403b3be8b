#!/usr/bin/env python
"""Generate a deterministic benchmark data set into a dedicated database.

    .venv/bin/python bench/generate.py --db sqlite   --units 1000000   # bench/data/bench.sqlite3
    .venv/bin/python bench/generate.py --db postgres --units 1000000   # database "bench" at 127.0.0.1

The database is dropped and created again, migrated with ``manage.py migrate`` (and its cache table
created with ``createcachetable``: the login page needs it) and filled with
seeded random data: 4 branches (HQ + 3 regions), customers (2 % of --units) with sites and
contacts, 30 product models in the three service classes, sales orders (30 % of --units) with
lines, the units themselves with dates spread over 8 years (so warranty states vary; ids grow with
the order date, as in a real installed base) and service contracts (5 % of --units) covering units.
PostgreSQL is loaded with COPY, SQLite with executemany in large transactions.
Two users are created for the benchmark: bench_hq (HQ service desk) and bench_east (branch staff).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    BRANCH_CODE,
    BRANCH_USER,
    DATA_DIR,
    HQ_USER,
    database_url,
    run_migrate,
    setup_django,
)

YEARS = 8
BATCH = 20_000

BRANCHES = [  # code, name, city, is_headquarters, share of customers
    ("HQ", "总部", "苏州", True, 0.05),
    ("EAST", "华东分公司", "上海", False, 0.45),
    ("SOUTH", "华南分公司", "深圳", False, 0.30),
    ("NORTH", "华北分公司", "北京", False, 0.20),
]
CITIES = {  # branch -> [(city, area code)]
    "HQ": [("苏州", "0512"), ("武汉", "027"), ("成都", "028"), ("重庆", "023")],
    "EAST": [("上海", "021"), ("苏州", "0512"), ("无锡", "0510"), ("常州", "0519"), ("南京", "025"),
             ("杭州", "0571"), ("宁波", "0574"), ("合肥", "0551")],
    "SOUTH": [("深圳", "0755"), ("广州", "020"), ("东莞", "0769"), ("佛山", "0757"), ("厦门", "0592"),
              ("长沙", "0731")],
    "NORTH": [("北京", "010"), ("天津", "022"), ("青岛", "0532"), ("济南", "0531"), ("沈阳", "024"),
              ("大连", "0411"), ("郑州", "0371"), ("西安", "029")],
}
WORDS = ("恒达 华鑫 永信 宏远 精诚 博创 鼎盛 瑞丰 金泰 联合 东方 新华 天成 汇通 长江 锦程 中科 海达 凯达 正泰 "
         "明阳 远航 德力 盛世 百川 利民 昌盛 嘉禾 富源 华强 立信 润泽 同创 兴业 安泰 弘毅 鸿运 启明 卓越 宝丰 "
         "万达 振华 通力 华美 亿丰 天翔 科瑞 晨光 金鹰 骏马 祥和 铭泰 福田 力拓 新锐 宏图 恒通 众诚 尚品 三和").split()
INDUSTRIES = ("精密机械 汽车零部件 电子科技 新材料 模具 机电设备 光电 半导体 医疗器械 航空部件 五金制品 塑胶制品 "
              "包装机械 食品机械 纺织机械 化工装备 电气 自动化 液压 轴承").split()
SUFFIXES = ["有限公司", "有限公司", "股份有限公司", "制造有限公司"]
SITE_NAMES = ["一厂", "二厂", "三厂", "总装车间", "机加工车间", "研发中心", "中心仓库", "新厂区"]
SURNAMES = "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹".split()
GIVEN = "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀 霞 平 刚 桂 华 建 国 志 红 文 斌 鹏".split()
TITLES = ["设备部经理", "设备工程师", "生产主管", "采购", "厂长", "维修班长", "技术总监"]
DISTRICTS = ["高新区", "经济开发区", "工业园区", "新区", "保税区"]
ROADS = ["星湖街", "长江路", "人民路", "科技大道", "工业一路", "创业路", "滨江大道", "学府路"]

# code, name, service class, warranty months, serial prefix, share of units
PRODUCT_MODELS = [
    ("VMC-650", "立式加工中心 650", "equipment", 12, "VA", 3), ("VMC-850", "立式加工中心 850", "equipment", 12, "VB", 4),
    ("VMC-1160", "立式加工中心 1160", "equipment", 18, "VC", 3), ("HMC-500", "卧式加工中心 500", "equipment", 18, "HA", 2),
    ("HMC-630", "卧式加工中心 630", "equipment", 24, "HB", 2), ("GMC-2518", "龙门加工中心 2518", "equipment", 24, "GA", 1),
    ("CK-6150", "数控车床 6150", "equipment", 12, "CA", 4), ("CK-46", "数控车床 46", "equipment", 12, "CB", 4),
    ("TC-5X", "五轴加工中心", "equipment", 24, "FX", 1), ("GR-820", "数控磨床 820", "equipment", 18, "GR", 2),
    ("LS-3015", "光纤激光切割机 3015", "equipment", 24, "LS", 2), ("PB-100", "数控折弯机 100T", "equipment", 12, "PB", 2),
    ("TK-SP01", "主轴维护工具箱", "tool_kit", 12, "TK", 4), ("TK-AL02", "激光对刀仪", "tool_kit", 12, "TA", 3),
    ("TK-BB03", "球杆仪", "tool_kit", 12, "TB", 3), ("TK-HD04", "手持测温仪", "tool_kit", 6, "TH", 4),
    ("TK-TQ05", "扭力扳手套装", "tool_kit", 6, "TQ", 4), ("TK-LV06", "电子水平仪", "tool_kit", 12, "TL", 3),
    ("TK-PR07", "对刀测头", "tool_kit", 12, "TP", 3), ("TK-VB08", "振动分析仪", "tool_kit", 12, "TV", 2),
    ("TK-OL09", "自动润滑泵", "tool_kit", 12, "TO", 4), ("TK-CH10", "冷水机", "tool_kit", 18, "TC", 3),
    ("SP-SPD", "电主轴", "spare_part", 6, "SD", 5), ("SP-BSC", "滚珠丝杠", "spare_part", 6, "SB", 5),
    ("SP-LGD", "直线导轨", "spare_part", 6, "SG", 5), ("SP-SRV", "伺服电机", "spare_part", 12, "SS", 5),
    ("SP-DRV", "伺服驱动器", "spare_part", 12, "SV", 4), ("SP-ATC", "刀库刀臂", "spare_part", 3, "SA", 3),
    ("SP-ENC", "光栅尺", "spare_part", 6, "SE", 3), ("SP-PCB", "数控系统主板", "spare_part", 3, "SP", 2),
]


def stamp(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 30, tzinfo=UTC)


class Progress:
    def __init__(self) -> None:
        self.t0 = time.monotonic()

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.t0:7.1f}s] {text}", flush=True)


class Loader:
    """Bulk insert of dict rows into a model's table (COPY on PostgreSQL, executemany on SQLite)."""

    def __init__(self, connection: Any, progress: Progress) -> None:
        self.connection = connection
        self.vendor = connection.vendor
        self.progress = progress
        self.totals: dict[str, tuple[int, float]] = {}
        connection.ensure_connection()
        self.raw = connection.connection
        if self.vendor == "sqlite" and not connection.in_atomic_block:
            cur = self.raw.cursor()
            for pragma in ("synchronous=OFF", "cache_size=-200000", "temp_store=MEMORY"):
                cur.execute(f"PRAGMA {pragma}")

    def _columns(self, model: Any) -> list[tuple[str, Any, Any]]:
        """(column, default, converter) for every concrete field of the model."""
        out = []
        for field in model._meta.concrete_fields:
            kind = field.get_internal_type()
            convert = None
            if self.vendor == "sqlite":
                if kind == "DateField":
                    convert = date.isoformat
                elif kind == "DateTimeField":
                    def convert(v: datetime) -> str:
                        return v.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
                elif kind == "BooleanField":
                    convert = int
                elif kind == "DecimalField":
                    convert = str
            default = None if field.primary_key or field.null else field.get_default()
            if default is not None and convert is not None:
                default = convert(default)
            out.append((field.column, default, convert))
        return out

    def load(self, model: Any, rows: Iterable[dict[str, Any]], label: str = "", *, quiet: bool = False) -> int:
        table = model._meta.db_table
        cols = self._columns(model)
        names = [c for c, _d, _f in cols]
        label = label or table
        count = 0
        t0 = time.monotonic()

        def tuples() -> Iterator[tuple]:
            nonlocal count
            for row in rows:
                count += 1
                out = []
                for column, default, convert in cols:
                    value = row.get(column, default)
                    if value is not None and convert is not None and column in row:
                        value = convert(value)
                    out.append(value)
                yield tuple(out)
                if count % 200_000 == 0 and not quiet:
                    self.progress.say(f"  {label}: {count:,}")

        quoted = ", ".join(self.connection.ops.quote_name(n) for n in names)
        if self.vendor == "postgresql":
            with self.raw.cursor() as cur, cur.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for tup in tuples():
                    copy.write_row(tup)
        else:
            marks = ", ".join("?" for _ in names)
            sql = f"INSERT INTO {table} ({quoted}) VALUES ({marks})"
            cur = self.raw.cursor()
            batch: list[tuple] = []
            own_transaction = not self.connection.in_atomic_block
            if own_transaction:
                cur.execute("BEGIN")
            for tup in tuples():
                batch.append(tup)
                if len(batch) >= BATCH:
                    cur.executemany(sql, batch)
                    batch.clear()
            if batch:
                cur.executemany(sql, batch)
            if own_transaction:
                cur.execute("COMMIT")
        secs = time.monotonic() - t0
        self.totals[label] = self.totals.get(label, (0, 0.0))
        self.totals[label] = (self.totals[label][0] + count, self.totals[label][1] + secs)
        if not quiet:
            total, total_secs = self.totals[label]
            self.progress.say(f"{label}: {total:,} rows in {total_secs:.1f}s")
        return count


def create_database(db: str, url: str, progress: Progress) -> None:
    if db == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        progress.say(f"SQLite file {path}")
        return
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    name = cfg["NAME"]
    admin = psycopg.connect(host=cfg["HOST"] or "127.0.0.1", port=cfg["PORT"] or 5432, user=cfg["USER"] or "postgres",
                            password=cfg["PASSWORD"] or None, dbname="postgres", autocommit=True)
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    progress.say(f"PostgreSQL database {name} created")


def generate(db: str, url: str, n_units: int, seed: int, today: date, analyze: bool, *, n_requests: int = 0,
             only_requests: bool = False, now: datetime | None = None) -> None:
    progress = Progress()
    if not only_requests:
        create_database(db, url, progress)
    run_migrate(url)
    progress.say("migrated")
    setup_django(url)
    from django.db import connection

    if not only_requests:
        fill_units(connection, n_units, seed, today, progress)
    if n_requests:
        fill_requests(connection, n_requests, seed, today, now or default_now(today), progress)
    finish(connection, analyze, progress)


def default_now(today: date) -> datetime:
    """The generation moment: now when generating around today, else 10:00 (Shanghai) that day."""
    from zoneinfo import ZoneInfo

    if today == date.today():  # noqa: DTZ011
        return datetime.now(UTC).replace(microsecond=0)
    return datetime(today.year, today.month, today.day, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


def finish(connection: Any, analyze: bool, progress: Progress) -> None:
    """Statistics for the planner (PostgreSQL always, SQLite unless --no-analyze); skipped inside a
    transaction (the smoke test fills its test database in one)."""
    if connection.in_atomic_block:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM (ANALYZE)")
        progress.say("VACUUM (ANALYZE) done")
    else:
        with connection.cursor() as cur:
            if analyze:
                cur.execute("ANALYZE")
                progress.say("ANALYZE done")
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def fill_units(connection: Any, n_units: int, seed: int, today: date, progress: Progress) -> None:
    """Branches, customers, sites, contacts, product models, sales orders, units, contracts, bench users."""
    from django.contrib.auth.models import Group
    from django.core.management.color import no_style

    from serviceloop.accounts.models import Branch, User
    from serviceloop.assets.models import ProductModel, SalesOrder, SalesOrderLine, ServiceContract, Unit
    from serviceloop.assets.warranty import add_months
    from serviceloop.customers.models import Contact, Customer, Site

    rng = random.Random(seed)
    loader = Loader(connection, progress)
    first_day = today - timedelta(days=365 * YEARS)
    span = (today - first_day).days
    now = stamp(today)

    n_customers = max(4, round(n_units * 0.02))
    n_orders = max(2, round(n_units * 0.3))
    n_contracts = max(1, round(n_units * 0.05))
    n_stock = n_units // 100  # produced, not yet sold: no customer
    n_sold = n_units - n_stock

    # branches and product models: few rows, through the ORM
    branches = {}
    for code, name, city, is_hq, _share in BRANCHES:
        branches[code] = Branch.objects.create(code=code, name=name, city=city, region=name, is_headquarters=is_hq)
    ProductModel.objects.bulk_create(
        ProductModel(code=code, name=name, service_class=cls, warranty_months=months, description="")
        for code, name, cls, months, _p, _w in PRODUCT_MODELS
    )
    models_by_code = {m.code: m for m in ProductModel.objects.all()}
    pm_rows = [(models_by_code[code].pk, cls, months, prefix, weight)
               for code, _n, cls, months, prefix, weight in PRODUCT_MODELS]
    pm_weights = [w for *_x, w in pm_rows]

    # customers
    branch_codes = [b[0] for b in BRANCHES]
    branch_shares = [b[4] for b in BRANCHES]
    customer_branch = rng.choices(branch_codes, weights=branch_shares, k=n_customers)
    customer_city: list[tuple[str, str]] = []
    customer_weight: list[float] = []

    def customers() -> Iterator[dict[str, Any]]:
        for i in range(n_customers):
            pk = i + 1
            br = customer_branch[i]
            city, area = rng.choice(CITIES[br])
            customer_city.append((city, area))
            weight = min(rng.paretovariate(1.3), 60.0)
            customer_weight.append(weight)
            level = "A" if weight > 8 else ("B" if weight > 2.5 else "C")
            name = f"{city}{rng.choice(WORDS)}{rng.choice(INDUSTRIES)}{rng.choice(SUFFIXES)}"
            created = first_day + timedelta(days=rng.randrange(span))
            yield {
                "id": pk, "code": f"C{pk:06d}", "name": name, "level": level, "branch_id": branches[br].pk,
                "address": f"{city}市{rng.choice(DISTRICTS)}{rng.choice(ROADS)}{rng.randint(1, 999)}号",
                "phone": f"{area}-{rng.randint(5000_0000, 8999_9999)}", "note": "",
                "created_at": stamp(created), "updated_at": stamp(created), "version": 1,
            }

    loader.load(Customer, customers(), "customers")

    # sites and contacts
    customer_sites: list[list[int]] = [[] for _ in range(n_customers)]

    def sites() -> Iterator[dict[str, Any]]:
        pk = 0
        for i in range(n_customers):
            count = 1 + (rng.random() < 0.45) + (rng.random() < 0.15)
            city = customer_city[i][0]
            for name in rng.sample(SITE_NAMES, count):
                pk += 1
                customer_sites[i].append(pk)
                yield {"id": pk, "customer_id": i + 1, "name": name, "city": city,
                       "address": f"{city}市{rng.choice(DISTRICTS)}{rng.choice(ROADS)}{rng.randint(1, 999)}号",
                       "created_at": now, "updated_at": now, "version": 1}

    loader.load(Site, sites(), "sites")

    def contacts() -> Iterator[dict[str, Any]]:
        pk = 0
        for i in range(n_customers):
            for k in range(1 + (rng.random() < 0.5) + (rng.random() < 0.2)):
                pk += 1
                yield {"id": pk, "customer_id": i + 1,
                       "site_id": rng.choice(customer_sites[i]) if rng.random() < 0.5 else None,
                       "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else ""),
                       "title": rng.choice(TITLES),
                       "phone": f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}",
                       "email": f"contact{pk}@example.cn", "is_primary": k == 0,
                       "created_at": now, "updated_at": now, "version": 1}

    loader.load(Contact, contacts(), "contacts")

    # sales orders: chronological, so ids grow with the order date
    order_customer = rng.choices(range(1, n_customers + 1), weights=customer_weight, k=n_orders)
    order_date = sorted(first_day + timedelta(days=rng.randrange(span - 5)) for _ in range(n_orders))
    per_order = [1] * n_orders
    if n_sold > n_orders:
        for i in rng.choices(range(n_orders), k=n_sold - n_orders):
            per_order[i] += 1
    else:
        per_order = [1 if i < n_sold else 0 for i in range(n_orders)]

    def orders() -> Iterator[dict[str, Any]]:
        for i in range(n_orders):
            d = order_date[i]
            yield {"id": i + 1, "number": f"SO{d:%y%m}-{i + 1:07d}", "customer_id": order_customer[i],
                   "order_date": d, "note": "", "created_at": stamp(d), "updated_at": stamp(d), "version": 1}

    loader.load(SalesOrder, orders(), "sales orders")

    lines: list[tuple[int, int, int, int]] = []  # (line id, order index, product model index, quantity)
    for i in range(n_orders):
        k = per_order[i]
        if not k:
            continue
        n_lines = min(k, rng.choice((1, 1, 1, 2, 2, 3)))
        cuts = sorted(rng.sample(range(1, k), n_lines - 1)) if n_lines > 1 else []
        parts = [b - a for a, b in zip([0, *cuts], [*cuts, k], strict=True)]
        chosen = rng.choices(range(len(pm_rows)), weights=pm_weights, k=n_lines)
        for qty, pm_index in zip(parts, chosen, strict=True):
            lines.append((len(lines) + 1, i, pm_index, qty))

    def order_lines() -> Iterator[dict[str, Any]]:
        line_no = 0
        last_order = -1
        for pk, i, pm_index, qty in lines:
            line_no = line_no + 1 if i == last_order else 1
            last_order = i
            d = order_date[i]
            yield {"id": pk, "order_id": i + 1, "line_no": line_no, "product_model_id": pm_rows[pm_index][0],
                   "quantity": qty, "serial_numbers": "", "created_at": stamp(d), "updated_at": stamp(d),
                   "version": 1}

    loader.load(SalesOrderLine, order_lines(), "sales order lines")

    # units
    from django.conf import settings

    start_order = list(settings.WARRANTY_START_ORDER)
    serial_seq: dict[str, int] = {}
    customer_units: list[list[int]] = [[] for _ in range(n_customers)]
    unit_wend: list[date | None] = [None]  # by unit id
    unit_cust: list[int] = [0]  # by unit id: customer index + 1, 0 for none

    def serial(prefix: str, d: date) -> str:
        key = f"{prefix}{d:%y%m}"
        serial_seq[key] = serial_seq.get(key, 0) + 1
        return f"{key}{serial_seq[key]:05d}"

    def one_unit(pk: int, pm_index: int, cust: int | None, so_line: int | None, d: date | None) -> dict[str, Any]:
        pm_id, cls, months, prefix, _w = pm_rows[pm_index]
        ship = install = accept = None
        status = "in_stock"
        if d is not None:
            ship = d + timedelta(days=rng.randint(5, 60))
            if ship > today:
                ship = None
        if ship is not None:
            status = "in_service"
            if (cls == "equipment" and rng.random() < 0.9) or (cls == "tool_kit" and rng.random() < 0.4):
                install = ship + timedelta(days=rng.randint(3, 40))
                if install > today:
                    install = None
            if install is not None and cls == "equipment" and rng.random() < 0.75:
                accept = install + timedelta(days=rng.randint(7, 45))
                if accept > today:
                    accept = None
            r = rng.random()
            if r < 0.015:
                status = "returned"
            elif r < 0.05 and (today - ship).days > 3 * 365:
                status = "scrapped"
        dates = {"acceptance": accept, "install": install, "ship": ship}
        basis, wstart, wend = "", None, None
        for name in start_order:
            if dates.get(name):
                basis, wstart = name, dates[name]
                wend = add_months(wstart, months) - timedelta(days=1) if months else None
                break
        site = None
        if cust is not None:
            customer_units[cust - 1].append(pk)
            if rng.random() < 0.85:
                site = rng.choice(customer_sites[cust - 1])
        unit_wend.append(wend)
        unit_cust.append(cust or 0)
        made = d or today
        return {
            "id": pk, "serial_number": serial(prefix, made), "product_model_id": pm_id, "customer_id": cust,
            "site_id": site, "so_line_id": so_line, "status": status, "ship_date": ship, "install_date": install,
            "acceptance_date": accept, "warranty_basis": basis, "warranty_start": wstart, "warranty_end": wend,
            "qr_token": f"q{pk:09d}{rng.getrandbits(40):010x}", "note": "",
            "created_at": stamp(made), "updated_at": stamp(made), "version": 1,
        }

    def units() -> Iterator[dict[str, Any]]:
        pk = 0
        for line_pk, i, pm_index, qty in lines:
            for _ in range(qty):
                pk += 1
                yield one_unit(pk, pm_index, order_customer[i], line_pk, order_date[i])
        for _ in range(n_stock):
            pk += 1
            yield one_unit(pk, rng.choices(range(len(pm_rows)), weights=pm_weights)[0], None, None, None)

    loader.load(Unit, units(), "units")

    # service contracts covering units of one customer each, mostly starting when warranty ends
    links: list[tuple[int, int]] = []
    sold_ids = range(1, n_sold + 1)

    def contracts() -> Iterator[dict[str, Any]]:
        for n in range(1, n_contracts + 1):
            anchor = rng.choice(sold_ids)
            cidx = unit_cust[anchor] - 1
            pool = customer_units[cidx]
            covered = {anchor, *rng.sample(pool, min(len(pool), rng.randint(0, 7)))}
            for uid in sorted(covered):
                links.append((n, uid))
            wend = unit_wend[anchor]
            start = (wend + timedelta(days=rng.randint(-30, 30))) if wend else first_day + timedelta(
                days=rng.randrange(span))
            if start > today + timedelta(days=90):
                start = today - timedelta(days=rng.randrange(365))
            end = add_months(start, 12 * rng.choice((1, 1, 2, 3))) - timedelta(days=1)
            yield {"id": n, "number": f"SC{start:%y%m}-{n:06d}", "customer_id": cidx + 1,
                   "title": rng.choice(["年度维保合同", "延保协议", "全包维保服务合同", "备件保障协议"]),
                   "start_date": start, "end_date": end, "covers_parts": rng.random() < 0.8,
                   "covers_labour": True, "covers_onsite": rng.random() < 0.9,
                   "covers_preventive": rng.random() < 0.4,
                   "sla_level": rng.choice(["standard", "standard", "priority", "24x7"]),
                   "price": Decimal(rng.randint(5, 300) * 1000), "note": "",
                   "created_at": stamp(min(start, today)), "updated_at": stamp(min(start, today)), "version": 1}

    loader.load(ServiceContract, contracts(), "service contracts")
    through = ServiceContract.units.through
    loader.load(through, ({"id": k + 1, "servicecontract_id": c, "unit_id": u} for k, (c, u) in enumerate(links)),
                "contract units")

    # sequences after explicit ids, then the benchmark users
    with connection.cursor() as cur:
        for sql in connection.ops.sequence_reset_sql(
            no_style(), [Customer, Site, Contact, SalesOrder, SalesOrderLine, Unit, ServiceContract, through]
        ):
            cur.execute(sql)
    hq = User.objects.create_user(HQ_USER, display_name="总部服务台", branch=branches["HQ"])
    hq.groups.add(Group.objects.get(name="service_desk"))
    staff = User.objects.create_user(BRANCH_USER, display_name="华东分公司", branch=branches[BRANCH_CODE])
    staff.groups.add(Group.objects.get(name="branch_staff"))
    progress.say(
        f"done: {n_customers:,} customers, {len(lines):,} order lines in {n_orders:,} orders, "
        f"{n_units:,} units, {n_contracts:,} contracts covering {len(links):,} units"
    )


# ---------------------------------------------------------------- service requests

REQUEST_YEARS = 3
OPEN_SHARE = 0.10
REQUEST_CHUNK = 50_000
# open requests by status, and how long (days, exponential mean) they have typically been open;
# a few per cent are forgotten ones, anywhere in the three years
OPEN_STATUS_MIX = [("new", 25), ("under_review", 15), ("plan_proposed", 15), ("plan_confirmed", 10),
                   ("in_progress", 35)]
OPEN_AGE_DAYS = {"new": 1.0, "under_review": 3.0, "plan_proposed": 6.0, "plan_confirmed": 8.0,
                 "in_progress": 12.0}
OPEN_TAIL = 0.04
FINISHED_STATUS_MIX = [("closed", 94), ("cancelled", 5), ("resolved", 1)]
CHANNEL_MIX = [("phone", 50), ("portal", 15), ("qr", 8), ("email", 12), ("api", 5), ("monitoring", 6),
               ("walk_in", 4)]
TYPE_MIX = [("fault_repair", 55), ("consultation", 12), ("maintenance", 10), ("complaint", 5), ("installation", 6),
            ("parts_only", 7), ("training", 3), ("return_exchange", 2)]
SEVERITY_MIX = [("minor", 20), ("general", 55), ("severe", 20), ("major", 5)]
PLAN_MIX = [("onsite", 45), ("remote_support", 30), ("parts_only", 12), ("return_to_factory", 8),
            ("return_exchange", 5)]
NO_UNIT_TYPES = {"consultation": 0.6, "training": 0.7}  # share of requests of these types without a unit
REQUEST_TITLES = {
    "fault_repair": ["主轴异响", "伺服报警 SV0401", "换刀卡刀", "X轴定位精度超差", "液压站压力不足", "冷却液泄漏",
                     "数控系统黑屏", "导轨润滑报警", "光栅尺读数跳动", "主轴温升过高", "刀库乱刀", "急停无法复位"],
    "complaint": ["新机到货外观划伤", "加工精度不达标", "交付延期", "备件质量问题"],
    "consultation": ["参数设置咨询", "加工工艺咨询", "程序传输方法", "保养周期咨询"],
    "training": ["操作培训申请", "编程培训申请"],
    "installation": ["新机安装调试", "设备验收"],
    "return_exchange": ["备件退换", "错发货退换"],
    "parts_only": ["采购滚珠丝杠", "采购伺服电机", "采购刀臂"],
    "maintenance": ["年度保养", "精度校准", "预防性维护"],
}


def _mix(pairs: list[tuple[str, int]]) -> tuple[list[str], list[int]]:
    return [p[0] for p in pairs], [p[1] for p in pairs]


def clear_requests(connection: Any, progress: Progress) -> None:
    """Remove every service request and what hangs on it (reviews, SLA events, escalations, history, other
    apps' rows pointing at requests, their timeline events and the CSI number counters)."""
    from django.contrib.contenttypes.models import ContentType

    from serviceloop.core.models import DocumentSequence, TimelineEvent
    from serviceloop.service.models import ServiceRequest

    models = [ServiceRequest]
    for model in list(models):
        for f in model._meta.get_fields(include_hidden=True):
            if f.auto_created and not f.concrete and f.related_model is not None and f.related_model not in models:
                models.append(f.related_model)
    models.append(ServiceRequest.history.model)
    tables = [m._meta.db_table for m in models]
    quote = connection.ops.quote_name
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"TRUNCATE {', '.join(quote(t) for t in tables)} CASCADE")
        else:
            if not connection.in_atomic_block:
                cur.execute("PRAGMA foreign_keys = OFF")
            for table in reversed(tables):
                cur.execute(f"DELETE FROM {quote(table)}")
            if not connection.in_atomic_block:
                cur.execute("PRAGMA foreign_keys = ON")
    cts = [ContentType.objects.get_for_model(m, for_concrete_model=True) for m in models]
    TimelineEvent.objects.filter(content_type__in=cts).delete()
    DocumentSequence.objects.filter(prefix="CSI").delete()
    progress.say(f"cleared service requests ({len(tables)} tables)")


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def fill_requests(connection: Any, n_requests: int, seed: int, today: date, now: datetime,
                  progress: Progress) -> None:
    """``n_requests`` service requests over the last 3 years on the existing customers and units.

    ~90 % finished (closed, cancelled, resolved), ~10 % open (new .. in progress, mostly recent); numbers
    CSI-YYMM-NNNN in order of receipt; a "started" SLA event per request, target_met / stopped / paused
    events as the status implies; sla_due_at and sla_breached of open requests computed by service.sla
    at ``now`` (and the escalations the periodic task would have recorded by then); one history row and
    one "created" timeline event per request; the CSI counters set past the generated numbers.
    """
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.color import no_style

    from serviceloop.accounts.models import User
    from serviceloop.assets.models import SalesOrderLine, ServiceContract, Unit
    from serviceloop.core.calendar_cache import ROUND_THE_CLOCK
    from serviceloop.core.models import DocumentSequence, TimelineEvent
    from serviceloop.customers.models import Contact, Customer
    from serviceloop.service.classification import priority_for
    from serviceloop.service.models import Escalation, ServiceRequest, SlaEvent, SlaPolicy
    from serviceloop.service.sla.deadlines import deadlines, summary
    from serviceloop.service.sla.policies import SpecCache, match_policy, targets_of

    rng = random.Random(seed + 1)
    tz = ZoneInfo(settings.TIME_ZONE)
    clear_requests(connection, progress)
    loader = Loader(connection, progress)
    quote = connection.ops.quote_name

    # what requests hang on: sold units (with customer, site, order, warranty), contracts, contacts
    def table(model: Any) -> str:
        return quote(model._meta.db_table)

    with connection.cursor() as cur:
        cur.execute(
            f"SELECT u.id, u.customer_id, u.site_id, l.order_id, u.warranty_start, u.warranty_end "  # noqa: S608
            f"FROM {table(Unit)} u LEFT JOIN {table(SalesOrderLine)} l ON l.id = u.so_line_id "
            f"WHERE u.customer_id IS NOT NULL ORDER BY u.id"
        )
        units = [(uid, cid, sid, oid, _as_date(ws), _as_date(we)) for uid, cid, sid, oid, ws, we in cur.fetchall()]
        cur.execute(f"SELECT id, level FROM {table(Customer)} ORDER BY id")  # noqa: S608
        customer_level = dict(cur.fetchall())
        cur.execute(f"SELECT customer_id, name, phone FROM {table(Contact)} "  # noqa: S608
                    f"ORDER BY customer_id, is_primary DESC, id")
        contact: dict[int, tuple[str, str]] = {}
        for cid, name, phone in cur.fetchall():
            contact.setdefault(cid, (name, phone))
        through = ServiceContract.units.through
        cur.execute(
            f"SELECT cu.unit_id, c.id, c.start_date, c.end_date, c.sla_level FROM {table(through)} cu "  # noqa: S608
            f"JOIN {table(ServiceContract)} c ON c.id = cu.servicecontract_id"
        )
        unit_contracts: dict[int, list[tuple[int, date, date, str]]] = {}
        for uid, kid, start, end, level in cur.fetchall():
            unit_contracts.setdefault(uid, []).append((kid, _as_date(start), _as_date(end), level))
    if not customer_level:
        raise SystemExit("no customers: generate units first (without --only-requests)")
    customer_ids = list(customer_level)
    progress.say(f"context: {len(units):,} sold units, {len(unit_contracts):,} units under contract")

    desk = User.objects.filter(username=HQ_USER).values_list("pk", flat=True).first()
    policies = list(SlaPolicy.objects.filter(active=True))
    policy_by_id = {p.pk: p for p in policies}
    matched: dict[tuple[str, str, str, str], int | None] = {}
    cache = SpecCache()
    ct_request = ContentType.objects.get_for_model(ServiceRequest).pk
    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table(TimelineEvent)}")  # noqa: S608
        timeline_offset = cur.fetchone()[0]

    # when and in which state: open ones mostly recent, finished ones spread over three years
    n_open = round(n_requests * OPEN_SHARE)
    span_s = REQUEST_YEARS * 365 * 86400
    first_moment = now - timedelta(seconds=span_s)
    open_names, open_weights = _mix(OPEN_STATUS_MIX)
    fin_names, fin_weights = _mix(FINISHED_STATUS_MIX)
    plan: list[tuple[datetime, str]] = []
    for status in rng.choices(open_names, weights=open_weights, k=n_open):
        if rng.random() < OPEN_TAIL:
            age = rng.uniform(0, span_s)
        else:
            age = min(rng.expovariate(1 / OPEN_AGE_DAYS[status]) * 86400, span_s)
        plan.append((now - timedelta(seconds=int(age) + 60), status))
    day_s = 86400
    for status in rng.choices(fin_names, weights=fin_weights, k=n_requests - n_open):
        day = first_moment + timedelta(seconds=rng.randrange(span_s - 3 * day_s) // day_s * day_s)
        local = day.astimezone(tz)
        hour = rng.uniform(8, 18) if rng.random() < 0.85 else rng.uniform(0, 24)
        moment = datetime(local.year, local.month, local.day, tzinfo=tz) + timedelta(seconds=int(hour * 3600))
        plan.append((moment.astimezone(UTC), status))
    plan.sort(key=lambda p: p[0])

    channels, channel_w = _mix(CHANNEL_MIX)
    types, type_w = _mix(TYPE_MIX)
    severities, severity_w = _mix(SEVERITY_MIX)
    plans, plan_w = _mix(PLAN_MIX)
    dummy = ServiceRequest()
    sequence: dict[str, int] = {}
    open_set = set(open_names)
    counts = {"requests": 0, "events": 0, "escalations": 0, "breached open": 0}
    event_id = escalation_id = 0

    def hours(lo: float, hi: float) -> timedelta:
        return timedelta(seconds=int(rng.uniform(lo, hi) * 3600))

    def one(pk: int, received: datetime, status: str) -> tuple[dict, list[dict], list[dict]]:
        nonlocal event_id, escalation_id
        period = received.astimezone(tz).strftime("%y%m")
        sequence[period] = sequence.get(period, 0) + 1
        request_type = rng.choices(types, weights=type_w)[0]
        severity = rng.choices(severities, weights=severity_w)[0]
        unit = None
        if units and rng.random() >= NO_UNIT_TYPES.get(request_type, 0.05):
            unit = units[rng.randrange(len(units))]
        if unit is not None:
            customer = unit[1]
        elif units:
            customer = units[rng.randrange(len(units))][1]
        else:
            customer = rng.choice(customer_ids)
        level = customer_level[customer]
        on = received.astimezone(tz).date()
        contract, sla_level, wstate, wreason = None, "", "", ""
        if unit is not None:
            active = [c for c in unit_contracts.get(unit[0], ()) if c[1] <= on <= c[2]]
            if active:
                contract = max(active, key=lambda c: (c[2], c[0]))
                sla_level = contract[3]
            if unit[4] and unit[5] and unit[4] <= on <= unit[5]:
                wstate, wreason = "in_warranty", f"保修期至 {unit[5]}"
            elif contract is not None:
                wstate, wreason = "contract", f"服务合同 #{contract[0]}"
            else:
                wstate, wreason = "chargeable", "保修期外，无服务合同"
        key = (request_type, severity, level, sla_level)
        if key not in matched:
            found_policy = match_policy(request_type=request_type, severity=severity, customer_level=level,
                                        contract_sla_level=sla_level, policies=policies)
            matched[key] = found_policy.pk if found_policy else None
        policy = policy_by_id.get(matched[key]) if matched[key] else None
        name, phone = contact.get(customer, ("", ""))
        title = rng.choice(REQUEST_TITLES[request_type])
        row: dict[str, Any] = {
            "id": pk, "created_at": received, "version": 1, "number": f"CSI-{period}-{sequence[period]:04d}",
            "channel": rng.choices(channels, weights=channel_w)[0], "request_type": request_type,
            "severity": severity, "priority": priority_for(severity, level, sla_level).value,
            "customer_id": customer, "site_id": unit[2] if unit else None, "contact_name": name,
            "contact_phone": phone, "unit_id": unit[0] if unit else None, "sales_order_id": unit[3] if unit else None,
            "contract_id": contract[0] if contract else None, "warranty_state": wstate, "warranty_reason": wreason,
            "title": title, "description": f"客户反映：{title}。", "status": status, "received_at": received,
            "received_by_id": desk, "sla_policy_id": policy.pk if policy else None,
        }
        # the life so far: response, plan, confirmation, dispatch, resolution, closing (or cancellation)
        stamps = {"resp": received + timedelta(seconds=int(rng.expovariate(1 / 5400))),
                  "cancel": received + hours(1, 240)}
        stamps["plan"] = stamps["resp"] + hours(2, 96)
        stamps["confirm"] = stamps["plan"] + hours(1, 48)
        stamps["dispatch"] = stamps["confirm"] + hours(0.5, 24)
        stamps["resolve"] = stamps["confirm"] + hours(4, 240)
        stamps["close"] = stamps["resolve"] + hours(24, 192)
        last_needed = {"new": None, "under_review": "resp", "plan_proposed": "plan", "plan_confirmed": "confirm",
                       "in_progress": "dispatch", "resolved": "resolve", "closed": "close",
                       "cancelled": "cancel"}[status]
        bound = now - timedelta(seconds=30)
        if last_needed and stamps[last_needed] > bound:  # squeeze the life into the time since receipt
            factor = (bound - received) / (stamps[last_needed] - received)
            stamps = {k: received + (v - received) * factor for k, v in stamps.items()}
        events: list[tuple[str, str, str, datetime]] = [("started", "", "", received)]
        rank = ["new", "under_review", "plan_proposed", "plan_confirmed", "in_progress", "resolved", "closed"]
        step = rank.index(status) if status in rank else -1
        if step >= 1 or (status == "cancelled" and rng.random() < 0.7):
            row["first_responded_at"] = stamps["resp"] if status != "cancelled" else min(stamps["resp"],
                                                                                        stamps["cancel"])
            events.append(("target_met", "first_response", "", row["first_responded_at"]))
        plan_kind = rng.choices(plans, weights=plan_w)[0]
        if step >= 2:
            row.update(plan=plan_kind, plan_decided_at=stamps["plan"])
            events.append(("target_met", "plan_decided", "", stamps["plan"]))
        if step >= 3:
            row.update(customer_confirmed_at=stamps["confirm"], customer_confirmed_via=rng.choice(["phone", "portal"]),
                       customer_confirmed_name=name or "客户")
        if step >= 4 and plan_kind == "onsite":
            dispatch = stamps["dispatch"]
            events.append(("started", "engineer_contact", "", dispatch))
            events.append(("started", "onsite_arrival", "", dispatch))
            contact_at = dispatch + timedelta(minutes=rng.uniform(10, 120))
            arrive_at = dispatch + hours(4, 72)
            end = stamps["resolve"] if step >= 5 else bound
            if contact_at < end and (step >= 5 or rng.random() < 0.8):
                events.append(("target_met", "engineer_contact", "", contact_at))
            if arrive_at < end and (step >= 5 or rng.random() < 0.5):
                events.append(("target_met", "onsite_arrival", "", arrive_at))
        if status == "in_progress" and rng.random() < 0.08:
            paused_at = stamps["confirm"] + (bound - stamps["confirm"]) * rng.uniform(0.3, 0.9)
            events.append(("paused", "", "waiting_parts", paused_at))
            row.update(sla_paused=True, sla_pause_reason="waiting_parts")
        if step >= 5:
            row.update(resolution="已更换故障部件，试机正常。", resolved_at=stamps["resolve"])
            events.append(("target_met", "resolution", "", stamps["resolve"]))
            events.append(("stopped", "", "resolved", stamps["resolve"]))
        if status == "closed":
            row["closed_at"] = stamps["close"]
            if rng.random() < 0.7:
                row.update(resolution_confirmed_at=stamps["resolve"] + (stamps["close"] - stamps["resolve"]) / 2,
                           resolution_confirmed_via=rng.choice(["phone", "signature", "portal"]),
                           resolution_confirmed_name=name or "客户")
        if status == "cancelled":
            row["cancel_reason"] = "客户自行解决"
            events.append(("stopped", "", "cancelled", stamps["cancel"]))
        events.sort(key=lambda e: e[3])
        row["updated_at"] = events[-1][3]
        row["version"] = 1 + max(step, 0) + (status == "cancelled")
        event_rows = []
        log = []
        for kind, target, reason, at in events:
            event_id += 1
            event_rows.append({"id": event_id, "service_request_id": pk, "kind": kind, "target": target, "reason": reason,
                               "at": at, "actor_id": desk})
            if status in open_set:
                log.append(SlaEvent(id=event_id, kind=kind, target=target, at=at))
        targets = targets_of(policy)
        escalations = []
        levels = ["service_manager", "gm_office"] if severity == "major" else ["service_manager"]
        if status in open_set:  # the deadline columns and escalations as service.sla computes them
            spec = ROUND_THE_CLOCK if sla_level == "24x7" else cache.for_calendar(policy.calendar_id if policy else None)
            found = deadlines(dummy, log, spec, targets=targets, now=now)
            row["sla_due_at"], row["sla_breached"] = summary(found)
            counts["breached open"] += row["sla_breached"]
            for d in found.values():
                if d.is_open and (d.breached or (d.running and d.fraction_left < 0.2)):
                    for level_name in levels:
                        escalation_id += 1
                        escalations.append({"id": escalation_id, "service_request_id": pk, "target": d.target,
                                            "level": level_name, "at": min(now, d.due_at) if d.due_at else now,
                                            "due_at": d.due_at, "breached": d.breached})
        else:  # finished: breached roughly (wall time against the working-time target, 8 h days, 5 of 7)
            def late(target: str, met: datetime | None) -> bool:
                allowed = timedelta(days=targets[target].total_seconds() / (8 * 3600) * 7 / 5)
                return met is not None and met - received > allowed
            breached = [t for t, met in (("first_response", row.get("first_responded_at")),
                                         ("resolution", row.get("resolved_at"))) if late(t, met)]
            row["sla_breached"] = bool(breached)
            for target in breached:
                escalation_id += 1
                escalations.append({"id": escalation_id, "service_request_id": pk, "target": target,
                                    "level": "service_manager", "at": received, "due_at": None, "breached": True})
        return row, event_rows, escalations

    history_model = ServiceRequest.history.model
    done = 0
    for chunk_start in range(0, n_requests, REQUEST_CHUNK):
        requests, events, escalations = [], [], []
        for k in range(chunk_start, min(n_requests, chunk_start + REQUEST_CHUNK)):
            row, event_rows, escalation_rows = one(k + 1, *plan[k])
            requests.append(row)
            events.extend(event_rows)
            escalations.extend(escalation_rows)
        quiet = chunk_start + REQUEST_CHUNK < n_requests
        loader.load(ServiceRequest, requests, "service requests", quiet=quiet)
        loader.load(SlaEvent, events, "SLA events", quiet=quiet)
        loader.load(Escalation, escalations, "escalations", quiet=quiet)
        loader.load(history_model, ({**r, "history_id": r["id"], "history_date": r["received_at"],
                                     "history_type": "+", "history_user_id": desk} for r in requests),
                    "request history", quiet=quiet)
        loader.load(TimelineEvent, ({"id": timeline_offset + r["id"], "content_type_id": ct_request,
                                     "object_id": r["id"], "actor_id": desk, "at": r["received_at"],
                                     "verb": "created", "to_state": "new", "note": "",
                                     "data": json.dumps({"channel": r["channel"]})} for r in requests),
                    "timeline events", quiet=quiet)
        done += len(requests)
        counts["events"] += len(events)
        counts["escalations"] += len(escalations)
        progress.say(f"  service requests: {done:,}")
    counts["requests"] = done

    DocumentSequence.objects.bulk_create(
        DocumentSequence(prefix="CSI", period=period, last_value=value) for period, value in sorted(sequence.items())
    )
    with connection.cursor() as cur:
        for sql in connection.ops.sequence_reset_sql(
            no_style(), [ServiceRequest, history_model, SlaEvent, Escalation, TimelineEvent]
        ):
            cur.execute(sql)
    progress.say(
        f"done: {counts['requests']:,} requests ({n_open:,} open, {counts['breached open']:,} of them breached), "
        f"{counts['events']:,} SLA events, {counts['escalations']:,} escalations, "
        f"CSI counters for {len(sequence)} months"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--sqlite-path", default=str(DATA_DIR / "bench.sqlite3"))
    parser.add_argument("--pg-url", default=None, help="default postgres://postgres@127.0.0.1:5432/bench")
    parser.add_argument("--today", type=date.fromisoformat, default=date.today(),  # noqa: DTZ011
                        help="date the data is generated around (default: today)")
    parser.add_argument("--no-analyze", dest="analyze", action="store_false",
                        help="SQLite: do not run ANALYZE at the end (PostgreSQL is always analysed)")
    parser.add_argument("--requests", type=int, default=1_000_000,
                        help="service requests over the last 3 years (default 1,000,000; 0: none)")
    parser.add_argument("--only-requests", action="store_true",
                        help="keep the database and its units; migrate it, replace the service requests")
    args = parser.parse_args(argv)
    if args.units < 10 and not args.only_requests:
        parser.error("--units must be at least 10")
    url = database_url(args.db, args.sqlite_path, args.pg_url)
    if args.only_requests and args.db == "sqlite" and not Path(args.sqlite_path).exists():
        parser.error(f"{args.sqlite_path} does not exist: generate the units first")
    generate(args.db, url, args.units, args.seed, args.today, args.analyze, n_requests=args.requests,
             only_requests=args.only_requests)


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Generate a deterministic benchmark data set into a dedicated database.

    .venv/bin/python bench/generate.py --db sqlite   --units 1000000   # bench/data/bench.sqlite3
    .venv/bin/python bench/generate.py --db postgres --units 1000000   # database "bench" at 127.0.0.1

The database is dropped and created again, migrated with ``manage.py migrate`` and filled with
seeded random data: 4 branches (HQ + 3 regions), customers (2 % of --units) with sites and
contacts, 30 product models in the three service classes, sales orders (30 % of --units) with
lines, the units themselves with dates spread over 8 years (so warranty states vary; ids grow with
the order date, as in a real installed base) and service contracts (5 % of --units) covering units.
PostgreSQL is loaded with COPY, SQLite with executemany in large transactions.
Two users are created for the benchmark: bench_hq (HQ service desk) and bench_east (branch staff).
"""

from __future__ import annotations

import argparse
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
        connection.ensure_connection()
        self.raw = connection.connection
        if self.vendor == "sqlite":
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

    def load(self, model: Any, rows: Iterable[dict[str, Any]], label: str = "") -> int:
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
                if count % 200_000 == 0:
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
            cur.execute("BEGIN")
            for tup in tuples():
                batch.append(tup)
                if len(batch) >= BATCH:
                    cur.executemany(sql, batch)
                    batch.clear()
            if batch:
                cur.executemany(sql, batch)
            cur.execute("COMMIT")
        secs = time.monotonic() - t0
        self.progress.say(f"{label}: {count:,} rows in {secs:.1f}s")
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


def generate(db: str, url: str, n_units: int, seed: int, today: date, analyze: bool) -> None:
    progress = Progress()
    create_database(db, url, progress)
    run_migrate(url)
    progress.say("migrated")
    setup_django(url)

    from django.contrib.auth.models import Group
    from django.core.management.color import no_style
    from django.db import connection

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
    progress.say(
        f"done: {n_customers:,} customers, {len(lines):,} order lines in {n_orders:,} orders, "
        f"{n_units:,} units, {n_contracts:,} contracts covering {len(links):,} units"
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
    args = parser.parse_args(argv)
    if args.units < 10:
        parser.error("--units must be at least 10")
    url = database_url(args.db, args.sqlite_path, args.pg_url)
    generate(args.db, url, args.units, args.seed, args.today, args.analyze)


if __name__ == "__main__":
    main()

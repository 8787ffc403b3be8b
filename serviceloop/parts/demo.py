"""Demo data of spare parts: a catalogue of about 150 parts, stock in every location (HQ and branch
warehouses, every engineer's van, the bench, quarantine), safety stocks, and requisitions in every state
on the demo's open work orders (called by accounts/demo.py after the service loop)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from serviceloop.accounts import roles as R
from serviceloop.workorders.choices import FIELD_STATUSES
from serviceloop.workorders.models import WorkOrderAssignment

from . import ledger, services
from .choices import LocationKind, MoveKind, PartCategory, Tracking
from .models import Location, OldPartReturn, Part, SafetyStock

# (name, specification, category, tracked, cost, supplier)
FAMILIES = [
    ("主控板", "V3.2 ARM", PartCategory.KEY, True, 1800, "苏州华芯电子"),
    ("温控模块", "PID 24V", PartCategory.KEY, True, 650, "无锡恒温科技"),
    ("伺服驱动器", "400W", PartCategory.KEY, True, 2400, "深圳汇川"),
    ("伺服电机", "400W 3000rpm", PartCategory.KEY, True, 1900, "深圳汇川"),
    ("触摸屏", "10.1寸", PartCategory.KEY, True, 1300, "昆山威纶"),
    ("变频器", "2.2kW", PartCategory.KEY, True, 1600, "上海台达"),
    ("PLC 模块", "32点", PartCategory.KEY, True, 2100, "南京西门子"),
    ("加热管", "220V 1kW", PartCategory.WEAR, False, 180, "常州热能"),
    ("热电偶", "K型 1m", PartCategory.WEAR, False, 60, "常州热能"),
    ("冷却风扇", "24V 120mm", PartCategory.WEAR, False, 45, "东莞风机"),
    ("链条", "08B 2m", PartCategory.WEAR, False, 220, "杭州东华"),
    ("导轨滑块", "HGH20", PartCategory.WEAR, False, 310, "台湾上银"),
    ("同步带", "HTD5M", PartCategory.WEAR, False, 85, "宁波伏龙"),
    ("吸嘴", "CN040", PartCategory.WEAR, False, 30, "深圳贴片配件"),
    ("真空泵膜片", "VP-20", PartCategory.WEAR, False, 95, "上海真空"),
    ("密封圈", "O型 50mm", PartCategory.COMMON, False, 5, "宁波密封件"),
    ("保险丝", "10A 慢断", PartCategory.COMMON, False, 3, "温州正泰"),
    ("继电器", "24V 10A", PartCategory.COMMON, False, 25, "温州正泰"),
    ("接近开关", "M12 NPN", PartCategory.COMMON, False, 40, "上海欧姆龙"),
    ("光电传感器", "漫反射 2m", PartCategory.COMMON, False, 120, "上海欧姆龙"),
    ("电磁阀", "24V 二位五通", PartCategory.COMMON, False, 150, "宁波亚德客"),
    ("气缸", "SC32x50", PartCategory.COMMON, False, 130, "宁波亚德客"),
    ("开关电源", "24V 10A", PartCategory.COMMON, False, 160, "明纬"),
    ("轴承", "6204-2RS", PartCategory.COMMON, False, 18, "瓦房店轴承"),
    ("急停按钮", "红色 22mm", PartCategory.COMMON, False, 22, "施耐德"),
    ("接触器", "LC1D18", PartCategory.COMMON, False, 90, "施耐德"),
    ("编码器", "1000线", PartCategory.KEY, True, 480, "长春禹衡"),
    ("线缆总成", "2m 屏蔽", PartCategory.COMMON, False, 70, "苏州线缆"),
    ("过滤网", "G4", PartCategory.WEAR, False, 35, "苏州净化"),
    ("UPS 电池", "12V 7Ah", PartCategory.WEAR, False, 110, "南都电源"),
]
VARIANTS = ["A", "B", "C", "D", "E"]


def seed_parts_demo(seeder: Any) -> None:
    PartsDemo(seeder).run()


class PartsDemo:
    def __init__(self, seeder: Any):
        self.s = seeder
        self.rng = seeder.rng
        self.keeper = seeder.logins_by_role[R.WAREHOUSE]
        self.counts = seeder.counts

    def run(self) -> None:
        if Part.objects.exists():
            self.counts["parts kept"] += Part.objects.count()
            return
        self.catalogue()
        self.locations()
        self.stock()
        self.requisitions()

    def catalogue(self) -> None:
        models = list(self.s.models.values())
        parts = []
        for f, (name, spec, category, tracked, cost, supplier) in enumerate(FAMILIES):
            for v, variant in enumerate(VARIANTS):
                cost_ = Decimal(cost) * (Decimal(1) + Decimal(v) / 10)
                parts.append(Part(
                    number=f"SP-{f + 1:02d}{v + 1:02d}", name=f"{name}{variant}型", specification=spec,
                    unit_of_measure="个", category=category,
                    tracking=Tracking.SERIAL if tracked else Tracking.QUANTITY,
                    standard_cost=cost_.quantize(Decimal("0.01")),
                    sale_price=(cost_ * Decimal("1.6")).quantize(Decimal("1")), supplier=supplier,
                    lead_time_days=self.rng.choice([3, 5, 10, 15, 20]), updated_by=self.keeper))
        Part.objects.bulk_create(parts)
        self.parts = list(Part.objects.order_by("number"))
        for p in self.parts:
            if models:
                p.compatible_models.set(self.rng.sample(models, min(len(models), self.rng.randint(1, 3))))
        self.counts["spare parts"] += len(self.parts)

    def locations(self) -> None:
        self.warehouses = []
        for code, branch in self.s.branches.items():
            kind = LocationKind.HQ_WAREHOUSE if branch.is_headquarters else LocationKind.BRANCH_WAREHOUSE
            self.warehouses.append(Location.objects.create(
                code=f"WH-{code}", name=f"{branch.name}备件库", kind=kind, branch=branch, updated_by=self.keeper))
            for special in (LocationKind.QUARANTINE, LocationKind.SCRAP, LocationKind.TRANSIT):
                services.special_location(special, branch)
        hq = next(b for b in self.s.branches.values() if b.is_headquarters)
        self.bench = Location.objects.create(code="BENCH-HQ", name="总部维修台", kind=LocationKind.BENCH, branch=hq,
                                             updated_by=self.keeper)
        engineers = {a.engineer for a in WorkOrderAssignment.objects.select_related("engineer")}
        engineers.add(self.s.logins_by_role[R.FIELD_ENGINEER])
        self.vans = [services.van_of(e) for e in sorted(engineers, key=lambda u: u.username)]
        self.counts["stock locations"] += Location.objects.count()

    def _receipts(self, location: Location, quantities: dict[Part, int]) -> None:
        specs = []
        for p, quantity in quantities.items():
            if quantity < 1:
                continue
            serials = [f"{p.number}-{location.code}-{i:03d}" for i in range(quantity)] if p.serial_tracked else []
            specs.append(ledger.MoveSpec(MoveKind.RECEIPT, p, quantity, to_location=location, serials=serials,
                                         note="期初库存"))
        ledger.post(specs, actor=self.keeper)
        self.counts["stock moves"] += len(specs)

    def stock(self) -> None:
        hq_wh = next(w for w in self.warehouses if w.kind == LocationKind.HQ_WAREHOUSE)
        self._receipts(hq_wh, {p: self.rng.randint(3, 12 if p.serial_tracked else 40) for p in self.parts})
        for w in self.warehouses:
            if w is not hq_wh:
                self._receipts(w, {p: self.rng.choice([0, 0, 1, 2, 5]) for p in self.parts})
        for van in self.vans:
            self._receipts(van, {p: self.rng.randint(1, 3) for p in self.rng.sample(self.parts, 12)})
        self._receipts(self.bench, {p: 1 for p in self.rng.sample(self.parts, 5)})
        SafetyStock.objects.bulk_create([
            SafetyStock(part=p, location=hq_wh, minimum=self.rng.choice([5, 8, 10, 15]))
            for p in self.parts if p.category != PartCategory.COMMON])
        self.counts["safety stocks"] += SafetyStock.objects.count()

    def requisitions(self) -> None:
        """On open work orders: one requisition in each state, fitted parts and old parts due (one overdue)."""
        hq_wh = next(w for w in self.warehouses if w.kind == LocationKind.HQ_WAREHOUSE)
        jobs = list(WorkOrderAssignment.objects.filter(
            released_at__isnull=True, role="lead", work_order__status__in=FIELD_STATUSES)
            .select_related("work_order", "engineer").order_by("work_order_id"))
        tracked = [p for p in self.parts if p.serial_tracked]
        common = [p for p in self.parts if not p.serial_tracked]
        states = ["submitted", "approved", "refused", "issued", "received", "closed", "closed", "submitted"]
        for n, (assignment, state) in enumerate(zip(jobs, states, strict=False)):
            eng, wo = assignment.engineer, assignment.work_order
            lines = [(tracked[n % len(tracked)], 1), (common[(3 * n) % len(common)], self.rng.randint(1, 3))]
            r = services.requisition_create(actor=eng, work_order=wo, purpose="现场故障，申领更换备件", lines=lines)
            self.counts["requisitions"] += 1
            if state == "submitted":
                continue
            if state == "refused":
                services.requisition_refuse(actor=self.keeper, requisition=r, reason="非保内件，请走销售订单")
                continue
            decisions = [{"line": line.pk, "quantity": line.quantity} for line in r.lines.all()]
            services.requisition_approve(actor=self.keeper, requisition=r, source=hq_wh, decisions=decisions)
            if state == "approved":
                continue
            services.requisition_issue(actor=self.keeper, requisition=r)
            if state == "issued":
                continue
            services.requisition_confirm(actor=eng, requisition=r)
            if state == "received":
                continue
            r.refresh_from_db()
            for line in r.lines.select_related("part"):
                serial = ""
                if line.part.serial_tracked:
                    serial = r.moves.filter(part=line.part).first().serials.first().serial
                services.requisition_fit(actor=eng, requisition=r, line=line, quantity=line.quantity_issued,
                                         serial=serial, old_serial=f"OLD-{wo.number}" if serial else "")
        old = list(OldPartReturn.objects.order_by("pk"))
        if old:
            OldPartReturn.objects.filter(pk=old[0].pk).update(due_date=timezone.localdate() - dt.timedelta(days=3))
        if len(old) > 1:
            services.old_part_receive(actor=self.keeper, old_part=old[-1])
        self.counts["old parts"] += len(old)

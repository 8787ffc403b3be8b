"""Parts, locations, stock and requisitions for tests, made through the services."""

from __future__ import annotations

from decimal import Decimal

from serviceloop.parts import services
from serviceloop.parts.choices import LocationKind, PartCategory, Tracking
from serviceloop.parts.models import Location, Part
from serviceloop.workorders.tests.factories import on_site

_n = {"part": 0}


def part(*, number=None, name="温控模块", tracking=Tracking.QUANTITY, category=PartCategory.COMMON,
         sale_price="120.00", standard_cost="80.00") -> Part:
    _n["part"] += 1
    return Part.objects.create(number=number or f"P-{_n['part']:04d}", name=name, tracking=tracking,
                               category=category, sale_price=Decimal(sale_price), standard_cost=Decimal(standard_cost))


def location(*, code, branch, kind=LocationKind.HQ_WAREHOUSE, name=None, engineer=None) -> Location:
    return Location.objects.create(code=code, name=name or code, kind=kind, branch=branch, engineer=engineer)


def stock(*, actor, part, location, quantity, serials=None):
    return services.stock_receive(actor=actor, part=part, location=location, quantity=quantity, serials=serials)


def job(crew, **kwargs):
    """A work order on site, east_eng leading it."""
    return on_site(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng,
                   **kwargs)


def requested(crew, wo, lines, purpose="温控模块故障，需更换"):
    return services.requisition_create(actor=crew.east_eng, work_order=wo, purpose=purpose, lines=lines)


def approved(crew, requisition, source, quantities=None):
    decisions = [{"line": line.pk, "quantity": (quantities or {}).get(line.part_id, line.quantity),
                  "reason": "库存不足" if quantities and quantities.get(line.part_id, line.quantity) < line.quantity
                  else ""}
                 for line in requisition.lines.all()]
    return services.requisition_approve(actor=crew.keeper, requisition=requisition, source=source, decisions=decisions)


def issued(crew, requisition, serials=None):
    return services.requisition_issue(actor=crew.keeper, requisition=requisition, serials=serials)


def received(crew, requisition):
    return services.requisition_confirm(actor=crew.east_eng, requisition=requisition)

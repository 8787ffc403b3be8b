"""The records of the spare-parts workflows in every state, for the proof of the declared steps
(workorders/tests/test_declared_steps.py walks every workflow with the whole cast)."""

from __future__ import annotations

from django.urls import reverse

from serviceloop.parts import services
from serviceloop.parts.choices import PartCategory, Tracking
from serviceloop.parts.steps import OLD_PART_STEPS, REQUISITION_STEPS

from .factories import approved, issued, job, location, part, received, requested, stock


def _stocked(crew):
    wh = location(code="WALK-WH", branch=crew.hq)
    key = part(number="WALK-KEY", tracking=Tracking.SERIAL, category=PartCategory.KEY)
    common = part(number="WALK-COM")
    stock(actor=crew.keeper, part=key, location=wh, quantity=5, serials=[f"W{i}" for i in range(5)])
    stock(actor=crew.keeper, part=common, location=wh, quantity=20)
    return wh, key, common


def requisitions(crew):
    wh, key, common = _stocked(crew)

    def fresh():
        return requested(crew, job(crew), [(common, 1)])

    found = {"submitted": fresh()}
    found["approved"] = approved(crew, fresh(), wh)
    found["refused"] = services.requisition_refuse(actor=crew.keeper, requisition=fresh(), reason="无库存")
    found["issued"] = issued(crew, approved(crew, fresh(), wh))
    found["received"] = received(crew, issued(crew, approved(crew, fresh(), wh)))
    closed = received(crew, issued(crew, approved(crew, fresh(), wh)))
    services.requisition_fit(actor=crew.east_eng, requisition=closed, line=closed.lines.get(), quantity=1)
    found["closed"] = closed
    for r in found.values():
        r.refresh_from_db()
    return found


def old_parts(crew):
    wh, key, common = _stocked(crew)
    r = received(crew, issued(crew, approved(crew, requested(crew, job(crew), [(key, 2)]), wh)))
    line = r.lines.get()
    services.requisition_fit(actor=crew.east_eng, requisition=r, line=line, serial="W0", old_serial="OLD-A")
    services.requisition_fit(actor=crew.east_eng, requisition=r, line=line, serial="W1", old_serial="OLD-B")
    due, back = list(r.work_order.old_parts.order_by("pk"))
    services.old_part_receive(actor=crew.keeper, old_part=back)
    back.refresh_from_db()
    return {"due": due, "received": back}


CASES = {
    "requisition": (REQUISITION_STEPS, requisitions, lambda r: reverse("parts:requisition_detail", args=[r.pk]),
                    lambda r: f"/api/v1/requisitions/{r.pk}/"),
    "old_part": (OLD_PART_STEPS, old_parts, lambda o: reverse("parts:old_part_detail", args=[o.pk]),
                 lambda o: f"/api/v1/old-parts/{o.pk}/"),
}

"""Work orders for tests, made through the services (the one way they come to exist)."""

from __future__ import annotations

import base64
import datetime as dt
import io
from decimal import Decimal

from django.utils import timezone
from PIL import Image, ImageDraw

from serviceloop.accounts.tests.factories import EngineerProfileFactory, EngineerSkillFactory, UserFactory
from serviceloop.service.tests.factories import new_request
from serviceloop.workorders import services


def engineer(*, branch=None, username=None, city="上海", lat=None, lng=None, skills=None, phone="13800001111",
             active=True):
    """A field engineer (user in the field_engineer role + engineer profile) with {skill: level}."""
    kwargs = {"roles": ["field_engineer"], "branch": branch}
    if username:
        kwargs["username"] = username
    user = UserFactory(**kwargs)
    profile = EngineerProfileFactory(user=user, home_city=city, home_latitude=lat, home_longitude=lng, phone=phone,
                                     active=active)
    for skill, level in (skills or {}).items():
        EngineerSkillFactory(engineer=profile, skill=skill, level=level)
    return user


def dispatcher(branch=None, username="dispatcher"):
    return UserFactory(username=username, branch=branch, roles=["dispatcher"])


def confirmed_request(*, actor, customer, unit=None, severity="general", plan="onsite", **kwargs):
    """A request whose on-site plan the customer confirmed by phone."""
    from serviceloop.service.services import request_confirm_plan, request_propose_plan

    request = new_request(actor=actor, customer=customer, unit=unit, severity=severity, **kwargs)
    request = request_propose_plan(actor=actor, service_request=request, plan=plan)
    return request_confirm_plan(actor=actor, service_request=request, how="phone", confirmed_by_name="王工")


def new_work_order(*, actor, customer, unit=None, severity="general", planned_date=None, **kwargs):
    request = confirmed_request(actor=actor, customer=customer, unit=unit, severity=severity)
    return services.work_order_create(actor=actor, service_request=request,
                                      planned_date=planned_date or timezone.localdate(), **kwargs)


def dispatched(*, office, manager, customer, lead, helpers=(), **kwargs):
    """A work order assigned by ``office`` (dispatch permission) and approved by ``manager``."""
    wo = new_work_order(actor=office, customer=customer, **kwargs)
    services.work_order_assign(actor=office, work_order=wo, lead=lead, helpers=list(helpers))
    return services.work_order_approve(actor=manager, work_order=wo)


def on_site(*, office, manager, customer, lead, helpers=(), **kwargs):
    wo = dispatched(office=office, manager=manager, customer=customer, lead=lead, helpers=helpers, **kwargs)
    services.work_order_accept(actor=lead, work_order=wo)
    services.work_order_check_in(actor=lead, work_order=wo)
    wo.refresh_from_db()
    return wo


def completed(*, office, manager, customer, lead, result="fixed", **kwargs):
    wo = on_site(office=office, manager=manager, customer=customer, lead=lead, **kwargs)
    services.work_order_add_test(actor=lead, work_order=wo, item="炉温曲线", result="245℃", passed=True)
    services.work_order_log_hours(actor=lead, work_order=wo, day=timezone.localdate(), hours=Decimal("3.5"))
    services.work_order_record_result(actor=lead, work_order=wo, result=result, work_done="更换温控模块",
                                      parts_used="温控模块 x1")
    wo.refresh_from_db()
    return wo


def signature_data_url(*, blank=False, size=(300, 120), mode="RGBA", fmt="PNG") -> str:
    """A signature like the canvas signature pad posts: transparent background, dark strokes."""
    image = Image.new(mode, size, (0, 0, 0, 0) if mode == "RGBA" else "white")
    if not blank:
        draw = ImageDraw.Draw(image)
        draw.line([(20, 80), (80, 30), (140, 90), (220, 40), (280, 70)], fill=(10, 10, 60, 255) if mode == "RGBA"
                  else (10, 10, 60), width=4)
    out = io.BytesIO()
    image.save(out, format=fmt)
    mime = "png" if fmt == "PNG" else fmt.lower()
    return f"data:image/{mime};base64," + base64.b64encode(out.getvalue()).decode()


def today() -> dt.date:
    return timezone.localdate()


def fuzz_records(*, cast, customer, unit):
    """A few work order records for one customer (for the API fuzzer): a work order on site with a draft
    service report, a help request, a work report and a fee; and a draft work order."""
    from serviceloop.workorders.models import FeeLine

    office = dispatcher(username=f"dispatcher_{customer.code}")
    lead = engineer(branch=customer.branch, username=f"engineer_{customer.code}")
    wo = on_site(office=office, manager=cast.manager, customer=customer, lead=lead, unit=unit)
    services.work_order_update(actor=office, work_order=wo, chargeable=True)
    services.help_request_create(actor=lead, work_order=wo, reason="需要总部支援")
    services.service_report_prepare(actor=lead, work_order=wo)
    services.work_report_save(actor=lead, work_order=wo, fault_phenomenon="不启动", cause_analysis="保险丝熔断",
                              actions_taken="更换保险丝")
    services.fee_line_save(user=office, instance=FeeLine(work_order=wo, kind="travel", description="差旅费",
                                                         quantity=Decimal("1"), unit_price=Decimal("300")))
    new_work_order(actor=office, customer=customer, unit=unit)
    return wo

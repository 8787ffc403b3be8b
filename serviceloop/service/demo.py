"""Demo service loop: requests in every state, work orders at every step, signed reports and
follow-ups, all made through the services (the same rules as real use).

Called by accounts.demo.Seeder after the installed base and the logins exist. What a person sees
after `make run`:
- service_desk: a queue with overdue, due-soon and paused requests, a complaint under review;
- customer (portal): a plan waiting for confirmation, a resolved request to rate;
- dispatcher: unassigned work orders; service_manager: one waiting for approval;
- field_engineer: jobs today (one dispatched to accept, one on site), a signed report with its PDF.
"""

from __future__ import annotations

import base64
import datetime as dt
from io import BytesIO
from typing import Any

from django.apps import apps
from django.utils import timezone

from serviceloop.accounts import roles as R

from . import services
from .models import ServiceRequest

FAULTS = [
    ("回流焊炉温区温度异常，报警代码 E203", "fault_repair", "severe"),
    ("贴片机吸嘴频繁抛料", "fault_repair", "general"),
    ("锡膏印刷机刮刀压力不稳", "fault_repair", "general"),
    ("波峰焊锡炉液位传感器报警", "fault_repair", "severe"),
    ("AOI 误判率升高，需要调整程序", "consultation", "minor"),
    ("设备整线停机，无法启动", "fault_repair", "major"),
    ("新员工操作培训申请", "training", "minor"),
    ("申请购买传送带备件", "parts_only", "minor"),
    ("链条异响，需要保养", "maintenance", "general"),
    ("触摸屏偶发黑屏", "fault_repair", "general"),
]
CONTACTS = [("王工", "13912345678"), ("李经理", "13805150001"), ("赵主管", "13761234567"), ("周工", "15951230088")]


def _signature_data_url() -> str:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (360, 120), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(20, 80), (60, 30), (90, 90), (130, 40), (170, 85), (230, 35), (300, 70)], fill=(20, 20, 80, 255),
              width=4)
    buf = BytesIO()
    image.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


class ServiceDemo:
    def __init__(self, seeder: Any):
        self.s = seeder
        self.rng = seeder.rng
        self.desk = seeder.logins_by_role[R.SERVICE_DESK]
        self.manager = seeder.logins_by_role[R.SERVICE_MANAGER]
        self.dispatcher = seeder.logins_by_role[R.DISPATCHER]
        self.engineer = seeder.logins_by_role[R.FIELD_ENGINEER]
        self.portal_user = seeder.logins_by_role[R.CUSTOMER]
        self.n = 0

    # -- helpers --------------------------------------------------------------------------------
    def _unit(self, customer: Any) -> Any:
        units = self.s.units_by_customer.get(customer.pk) or []
        return self.rng.choice(units) if units else None

    def _customer(self, portal: bool = False) -> Any:
        if portal:
            return self.portal_user.customer
        with_units = [c for c in self.s.customers if self.s.units_by_customer.get(c.pk)]
        return self.rng.choice(with_units)

    def request(self, *, portal: bool = False, hours_ago: float = 2, channel: str = "phone", fault: int | None = None,
                **extra: Any) -> ServiceRequest:
        customer = self._customer(portal)
        title, kind, severity = FAULTS[self.n % len(FAULTS)] if fault is None else FAULTS[fault]
        self.n += 1
        name, phone = self.rng.choice(CONTACTS)
        actor = self.portal_user if portal and channel in ("portal", "qr") else self.desk
        values = {"request_type": kind, "severity": severity, **extra}
        result = services.request_create(
            actor=actor, channel=channel, customer=customer, unit=self._unit(customer), title=title,
            description=title + "。客户来电描述，现场急需处理。", contact_name=name, contact_phone=phone,
            received_at=timezone.now() - dt.timedelta(hours=hours_ago), **values,
        )
        self.s.counts["service requests"] += 1
        return result.service_request

    def planned(self, r: ServiceRequest, plan: str = "onsite", confirm: bool = True) -> ServiceRequest:
        services.request_start_review(actor=self.desk, service_request=r)
        services.review_record(actor=self.manager, service_request=r, analysis="根据客户描述及远程诊断，初步判断为控制板故障。",
                               opinion="安排工程师上门检修，保修期内免费。" if plan == "onsite" else "远程指导客户处理。",
                               decided_plan=plan, review_form="电话评审")
        services.request_propose_plan(actor=self.desk, service_request=r, note="工程师将在 1 个工作日内联系您。")
        if confirm:
            services.request_confirm_plan(actor=self.desk, service_request=r, how="phone",
                                          confirmed_by_name=r.contact_name or "客户")
        r.refresh_from_db()
        return r

    # -- the story ------------------------------------------------------------------------------
    def run(self) -> None:
        # new requests: one long overdue, one just in, one from the portal, one by QR code, one paused
        self.request(hours_ago=60, fault=0)
        self.request(hours_ago=0.5, fault=1)
        self.request(portal=True, channel="portal", hours_ago=3, fault=9)
        self.request(portal=True, channel="qr", hours_ago=1, fault=3)
        paused = self.request(hours_ago=20, fault=7)
        services.sla_pause(service_request=paused, reason="waiting_parts", actor=self.desk, note="等待备件到货")
        self.request(hours_ago=5, fault=6, channel="email")
        # a quality complaint under review (needs its SO#)
        with_so = next((u for c in self.s.customers for u in self.s.units_by_customer.get(c.pk, []) if u.so_line_id),
                       None)
        if with_so is not None:
            r = services.request_create(
                actor=self.desk, channel="phone", request_type="complaint", severity="severe", customer=with_so.customer,
                unit=with_so, title="同批次设备多次出现相同故障，客户投诉", contact_name="采购部 孙经理",
                contact_phone="13600001111", received_at=timezone.now() - dt.timedelta(hours=26),
            ).service_request
            services.request_start_review(actor=self.desk, service_request=r)
            self.s.counts["service requests"] += 1
        # a plan waiting for the portal customer's confirmation
        self.planned(self.request(portal=True, channel="portal", hours_ago=30, fault=2), confirm=False)
        # a remote-support request solved by phone
        remote = self.planned(self.request(hours_ago=8, fault=4), plan="remote_support")
        services.request_start_work(actor=self.desk, service_request=remote)
        services.request_resolve(actor=self.desk, service_request=remote, resolution="远程指导客户重新标定 AOI 程序，误判率恢复正常。")
        # solved remotely, followed up by the desk and closed
        for _i in range(2):
            done = self.planned(self.request(hours_ago=90, fault=self.rng.randrange(len(FAULTS))),
                                plan="remote_support")
            services.request_start_work(actor=self.desk, service_request=done)
            services.request_resolve(actor=self.desk, service_request=done, resolution="远程指导客户更换保险丝后恢复正常。")
            if apps.is_installed("serviceloop.feedback"):
                from serviceloop.feedback.services import follow_up_record

                done.refresh_from_db()
                follow_up_record(actor=self.desk, service_request=done, channel="phone", attitude=5, skill=4, timeliness=4,
                                 satisfied=True, comments="工程师很专业，响应及时。", person=done.contact_name)
                self.s.counts["follow-ups"] += 1
        if apps.is_installed("serviceloop.feedback"):
            self.complaint(done)
        self.request(hours_ago=4, fault=5)  # a major fault just logged
        cancelled = self.request(hours_ago=50, fault=8)
        services.request_cancel(actor=self.desk, service_request=cancelled, reason="客户自行处理完毕，无需服务。")
        if apps.is_installed("serviceloop.workorders"):
            self.work_orders()
        from .services import sla_escalate

        sla_escalate()

    def complaint(self, about: ServiceRequest) -> None:
        """A service complaint about a closed request, sent to the quality and technical support departments
        (their analyses are due within 24 hours): the GM office, the manager and those departments see it."""
        from serviceloop.accounts.models import Department
        from serviceloop.feedback.services import complaint_register, complaint_send

        complaint = complaint_register(
            actor=self.desk, service_request=about, category="timeliness", contact_name=about.contact_name,
            contact_phone=about.contact_phone, description="工程师约定上午到场，下午才到，也没有提前电话通知。")
        departments = list(Department.objects.filter(code__in=["QA", "TSC"]))
        if departments:
            complaint_send(actor=self.manager, complaint=complaint, departments=departments,
                           note="请于24小时内提交原因分析和改进措施。")
        self.s.counts["service complaints"] += 1

    def work_orders(self) -> None:
        from serviceloop.workorders import services as wo
        from serviceloop.workorders.selectors import rank_engineers

        def new_wo(r: ServiceRequest) -> Any:
            work_order = wo.work_order_create(actor=self.dispatcher, service_request=r, description=r.title,
                                              work_instruction="按作业指导书 SOP-SVC-003 检查温控系统并记录测试数据。",
                                              planned_date=timezone.localdate())
            self.s.counts["work orders"] += 1
            return work_order

        def assign(work_order: Any, lead: Any = None) -> None:
            if lead is None:
                ranked = rank_engineers(self.dispatcher, work_order)
                lead = ranked[0].engineer.user if ranked else self.engineer
            wo.work_order_assign(actor=self.dispatcher, work_order=work_order, lead=lead,
                                 planned_date=timezone.localdate())

        new_wo(self.planned(self.request(hours_ago=28, fault=0)))  # unassigned: the dispatcher's board
        waiting = new_wo(self.planned(self.request(hours_ago=27, fault=1)))
        assign(waiting)  # waits for the manager's approval
        dispatched = new_wo(self.planned(self.request(portal=True, channel="portal", hours_ago=26, fault=3)))
        assign(dispatched, self.engineer)
        wo.work_order_approve(actor=self.manager, work_order=dispatched)  # the engineer accepts it today
        on_site = new_wo(self.planned(self.request(hours_ago=25, fault=9)))
        assign(on_site, self.engineer)
        wo.work_order_approve(actor=self.manager, work_order=on_site)
        wo.work_order_accept(actor=self.engineer, work_order=on_site)
        wo.work_order_contacted(actor=self.engineer, work_order=on_site, note="已电话联系客户王工，约定今日上门。")
        wo.work_order_check_in(actor=self.engineer, work_order=on_site, latitude="31.2989", longitude="120.5853")
        wo.work_order_add_progress(actor=self.engineer, work_order=on_site, note="已检查电源模块，正在排查触摸屏排线。")
        # finished and signed on the engineer's phone: the portal customer rates it (one PDF: ~2 s each)
        for portal in (True,):
            r = self.planned(self.request(portal=portal, channel="portal" if portal else "phone", hours_ago=70,
                                          fault=self.rng.randrange(len(FAULTS))))
            done = new_wo(r)
            assign(done, self.engineer)
            wo.work_order_approve(actor=self.manager, work_order=done)
            wo.work_order_accept(actor=self.engineer, work_order=done)
            wo.work_order_contacted(actor=self.engineer, work_order=done)
            wo.work_order_check_in(actor=self.engineer, work_order=done)
            wo.work_order_add_test(actor=self.engineer, work_order=done, item="温区温度曲线测试", result="±1.5 ℃",
                                   passed=True)
            wo.work_order_log_hours(actor=self.engineer, work_order=done, day=timezone.localdate(), hours="3.5")
            wo.work_order_record_parts(actor=self.engineer, work_order=done, parts_used="温控模块 TC-200 ×1")
            wo.work_order_check_out(actor=self.engineer, work_order=done)
            wo.work_order_record_result(actor=self.engineer, work_order=done, result="fixed",
                                        work_done="更换温控模块，校准温区，试生产 2 小时正常。")
            report = wo.service_report_prepare(actor=self.engineer, work_order=done)
            wo.service_report_sign(actor=self.engineer, report=report, signature_data_url=_signature_data_url(),
                                   signer_name=r.contact_name or "客户", satisfied=True)
            self.s.counts["signed service reports"] += 1


def seed_service_demo(seeder: Any) -> None:
    ServiceDemo(seeder).run()

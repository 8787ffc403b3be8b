"""Issue 9, the engineer's and the field items: the one record screen, signing checks out, my jobs in
sections, the site address on the print-outs, the help requests' own timeline verbs, approval notifications
marked done."""

from __future__ import annotations

import importlib
import io
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image
from pypdf import PdfReader

from serviceloop.assets.tests.factories import UnitFactory
from serviceloop.core.attachments import attachments_for
from serviceloop.core.concurrency import StaleEditError
from serviceloop.core.models import Notification, TimelineEvent
from serviceloop.core.notifications import mark_done
from serviceloop.core.timeline import events_for, record_event
from serviceloop.customers.tests.factories import SiteFactory
from serviceloop.workorders import documents, services
from serviceloop.workorders.models import FeeLine, LabourEntry, ProgressNote, ServiceReport, TestRecord, Visit

from .factories import completed, dispatched, new_work_order, on_site, signature_data_url

pytestmark = pytest.mark.django_db


def _photo(name="现场.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def _on_site(crew, **kwargs):
    return on_site(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng,
                   **kwargs)


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).replace("\n", "")


# ---------------------------------------------------------------- the one record screen

def test_record_saves_progress_test_hours_parts_and_photo_at_once(crew):
    wo = _on_site(crew)
    done = services.work_order_record(
        actor=crew.east_eng, work_order=wo, note="拆检 3 温区温控模块", test_item="温区曲线", test_result="±1.5 ℃",
        test_passed=None, hours=Decimal("2.5"), parts_used="温控模块 TC-200 ×1", photo=_photo(),
        expected_version=wo.version)
    wo.refresh_from_db()
    assert ProgressNote.objects.get(work_order=wo).note == "拆检 3 温区温控模块"
    test = TestRecord.objects.get(work_order=wo)
    assert (test.item, test.result, test.passed) == ("温区曲线", "±1.5 ℃", True)  # passed unless said otherwise
    assert LabourEntry.objects.get(work_order=wo, engineer=crew.east_eng).hours == Decimal("2.5")
    assert wo.parts_used == "温控模块 TC-200 ×1"
    assert len(attachments_for(wo)) == 1 and done["photo"] is not None
    assert wo.status == "on_site" and not done["completed"]


def test_record_with_finish_completes_and_prepares_the_report(crew):
    wo = _on_site(crew)
    done = services.work_order_record(actor=crew.east_eng, work_order=wo, note="更换温控模块，试生产正常",
                                      hours="3", finish=True, result="fixed")
    wo.refresh_from_db()
    assert wo.status == "completed" and wo.result == "fixed" and wo.work_done == "更换温控模块，试生产正常"
    report = ServiceReport.objects.get(work_order=wo)
    assert done["report"] == report and report.work_done == "更换温控模块，试生产正常"
    assert report.labour_hours == Decimal("3.00")


def test_record_refuses_bad_input_all_at_once_and_writes_nothing(crew):
    wo = _on_site(crew)
    with pytest.raises(ValidationError) as excinfo:
        services.work_order_record(actor=crew.east_eng, work_order=wo, note="今天的进展", hours="30",
                                   test_result="没有名字的测试", photo=SimpleUploadedFile("a.txt", b"hello"))
    errors = excinfo.value.message_dict
    assert "test_item" in errors
    assert not ProgressNote.objects.filter(work_order=wo).exists()
    with pytest.raises(ValidationError) as excinfo:  # the hours service refuses: the note is rolled back
        services.work_order_record(actor=crew.east_eng, work_order=wo, note="今天的进展", hours="30")
    assert "hours" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:  # the photo is refused: nothing else is kept either
        services.work_order_record(actor=crew.east_eng, work_order=wo, note="今天的进展",
                                   photo=SimpleUploadedFile("a.txt", b"hello"))
    assert "photo" in excinfo.value.message_dict
    with pytest.raises(ValidationError, match="Nothing to save"):
        services.work_order_record(actor=crew.east_eng, work_order=wo)
    with pytest.raises(ValidationError) as excinfo:
        services.work_order_record(actor=crew.east_eng, work_order=wo, finish=True, result="")
    assert "result" in excinfo.value.message_dict
    assert not ProgressNote.objects.filter(work_order=wo).exists()
    assert not LabourEntry.objects.filter(work_order=wo).exists()
    assert len(attachments_for(wo)) == 0
    wo.refresh_from_db()
    assert wo.status == "on_site"


def test_record_checks_the_version_and_who_records(crew):
    wo = _on_site(crew)
    stale = wo.version
    services.work_order_record(actor=crew.east_eng, work_order=wo, note="第一次")
    with pytest.raises(StaleEditError):
        services.work_order_record(actor=crew.east_eng, work_order=wo, note="旧页面", expected_version=stale)
    for outsider in (crew.south_eng, crew.owner, crew.desk):
        with pytest.raises(PermissionDenied):
            services.work_order_record(actor=outsider, work_order=wo, note="不是我的活")
    assert ProgressNote.objects.filter(work_order=wo).count() == 1


def test_record_is_refused_before_the_check_in(crew):
    wo = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    services.work_order_accept(actor=crew.east_eng, work_order=wo)
    with pytest.raises(ValidationError, match="after the check-in"):
        services.work_order_record(actor=crew.east_eng, work_order=wo, note="还没到现场")


# ---------------------------------------------------------------- signing checks the engineers out

def test_signing_checks_everyone_out_so_the_report_has_an_end_time_and_the_wo_closes(crew):
    wo = completed(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    assert Visit.objects.filter(work_order=wo, check_out_at__isnull=True).count() == 1
    report = services.service_report_prepare(actor=crew.east_eng, work_order=wo)
    with translation.override("zh-hans"):
        report = services.service_report_sign(actor=crew.east_eng, report=report,
                                              signature_data_url=signature_data_url(), signer_name="王建国",
                                              satisfied=True)
    visit = Visit.objects.get(work_order=wo)
    assert visit.check_out_at == report.signed_at
    assert any(e.verb == "checked_out" and e.data.get("by_signature") for e in events_for(wo))
    text = pdf_text(documents.service_report_pdf(report))
    from django.utils import timezone

    assert timezone.localtime(visit.check_out_at).strftime("%H:%M") in text.split("–", 1)[1]
    assert services.close_blockers(wo) == []
    services.work_order_close(actor=crew.desk, work_order=wo)
    wo.refresh_from_db()
    assert wo.status == "closed"


# ---------------------------------------------------------------- pages: the record step, my jobs

def _login(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_record_step_page_saves_with_a_photo_and_finish_opens_the_signature(client, crew):
    wo = _on_site(crew)
    _login(client, crew.east_eng)
    job = client.get(reverse("workorders:job", args=[wo.pk])).content.decode()
    assert 'data-testid="form-record"' in job and 'data-testid="submit-record-finish"' in job
    url = reverse("workorders:step", args=[wo.pk, "record"])
    bad = client.post(url, {"next": "job", "note": "进展", "hours": "30", "version": wo.version})
    assert bad.status_code == 400 and "at most 24" in bad.content.decode()
    assert not ProgressNote.objects.filter(work_order=wo).exists()
    wo.refresh_from_db()
    response = client.post(url, {"next": "job", "note": "更换模块", "test_item": "温区曲线", "test_passed": "yes",
                                 "hours": "2", "parts_used": "模块 ×1", "photo": _photo(), "result": "fixed",
                                 "finish": "on", "version": wo.version})
    assert response.status_code == 302
    assert response["Location"] == reverse("workorders:report_sign", args=[wo.pk])
    wo.refresh_from_db()
    assert wo.status == "completed" and len(attachments_for(wo)) == 1
    assert client.get(response["Location"]).status_code == 200


def test_record_step_is_refused_to_outsiders(client, crew):
    wo = _on_site(crew)
    url = reverse("workorders:step", args=[wo.pk, "record"])
    assert _login(client, crew.south_eng).post(url, {"note": "x"}).status_code in (403, 404)
    assert _login(client, crew.outsider).post(url, {"note": "x"}).status_code == 404
    assert _login(client, crew.owner).post(url, {"note": "x"}).status_code == 403
    assert not ProgressNote.objects.filter(work_order=wo).exists()


def test_my_jobs_separates_to_accept_to_do_and_finished(client, crew):
    waiting = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a,
                         lead=crew.east_eng)
    there = _on_site(crew)
    done = completed(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    page = _login(client, crew.east_eng).get(reverse("workorders:my_jobs")).content.decode()
    sections = {}
    for key in ("to_accept", "to_do", "finished"):
        start = page.index(f'data-testid="jobs-{key}"')
        end = page.find("</section>", start)
        sections[key] = page[start:end]
    assert waiting.number in sections["to_accept"] and waiting.number not in sections["to_do"]
    assert there.number in sections["to_do"] and there.number not in sections["finished"]
    assert done.number in sections["finished"] and done.number not in sections["to_do"]


# ---------------------------------------------------------------- the site address on the print-outs

def test_fee_statement_and_work_report_show_the_site_address(crew):
    site = SiteFactory(customer=crew.customer_a, name="二厂", city="无锡", address="新吴区长江路 7 号")
    unit = UnitFactory(customer=crew.customer_a, site=site)
    wo = completed(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng,
                   unit=unit, severity="major")
    wo.chargeable = True  # out of warranty (the planning can no longer change once completed)
    wo.save(update_fields=["chargeable"])
    services.fee_line_save(user=crew.desk, instance=FeeLine(work_order=wo, kind="travel", description="差旅费",
                                                            quantity=Decimal("1"), unit_price=Decimal("300")))
    report = services.work_report_save(actor=crew.east_eng, work_order=wo, fault_phenomenon="不启动",
                                       cause_analysis="保险丝熔断", actions_taken="更换保险丝")
    with translation.override("zh-hans"):
        for text in (pdf_text(documents.fee_statement_pdf(wo)), pdf_text(documents.work_report_pdf(report))):
            assert "新吴区长江路 7 号" in text and "无锡" in text


def test_print_outs_fall_back_to_the_customers_address_without_a_site(crew):
    wo = completed(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    assert wo.site is None and crew.customer_a.address
    with translation.override("zh-hans"):
        assert crew.customer_a.address in pdf_text(documents.fee_statement_pdf(wo))


# ---------------------------------------------------------------- help requests' own timeline verbs

def test_help_request_decisions_have_their_own_timeline_verbs(crew):
    wo = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    approved = services.help_request_create(actor=crew.east_eng, work_order=wo, reason="需总部支援")
    services.help_request_approve(actor=crew.manager, help_request=approved, hq_engineer=crew.hq_eng)
    verbs = [e.verb for e in events_for(approved)]
    assert "help_approved" in verbs and "approve" not in verbs
    event = next(e for e in events_for(approved) if e.verb == "help_approved")
    assert event.get_verb_display() == "help request approved"
    other = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    rejected = services.help_request_create(actor=crew.east_eng, work_order=other, reason="需总部支援")
    services.help_request_reject(actor=crew.manager, help_request=rejected, reason="人手已满")
    assert "help_rejected" in [e.verb for e in events_for(rejected)]


def test_the_data_migration_renames_stored_help_request_entries_only(crew):
    wo = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    hr = services.help_request_create(actor=crew.east_eng, work_order=wo, reason="需总部支援")
    old_help = record_event(hr, actor=crew.manager, verb="approve")
    old_reject = record_event(hr, actor=crew.manager, verb="reject")
    wo_event = TimelineEvent.objects.filter(content_type=ContentType.objects.get_for_model(wo), object_id=wo.pk,
                                            verb="approve").get()
    migration = importlib.import_module("serviceloop.workorders.migrations.0003_help_request_timeline_verbs")
    migration.forwards(django_apps, None)
    old_help.refresh_from_db()
    old_reject.refresh_from_db()
    wo_event.refresh_from_db()
    assert (old_help.verb, old_reject.verb, wo_event.verb) == ("help_approved", "help_rejected", "approve")
    migration.backwards(django_apps, None)
    old_help.refresh_from_db()
    assert old_help.verb == "approve"


# ---------------------------------------------------------------- approval notifications marked done

def _unread(user, kind, obj):
    return Notification.objects.filter(recipient=user, kind=kind, object_id=obj.pk, read_at__isnull=True).count()


def test_approving_a_dispatch_marks_the_request_for_approval_done(crew):
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    services.work_order_assign(actor=crew.dispatcher, work_order=wo, lead=crew.east_eng)
    assert _unread(crew.manager, "work_order_to_approve", wo) == 1
    services.work_order_approve(actor=crew.manager, work_order=wo)
    assert _unread(crew.manager, "work_order_to_approve", wo) == 0
    assert _unread(crew.east_eng, "work_order_dispatched", wo) == 1  # what tells others stays unread


def test_returning_a_dispatch_marks_it_done_too(crew):
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    services.work_order_assign(actor=crew.dispatcher, work_order=wo, lead=crew.east_eng)
    services.work_order_reject(actor=crew.manager, work_order=wo, reason="人手不足")
    assert _unread(crew.manager, "work_order_to_approve", wo) == 0


def test_deciding_a_help_request_marks_the_managers_notifications_done(crew):
    wo = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    hr = services.help_request_create(actor=crew.east_eng, work_order=wo, reason="需总部支援")
    assert _unread(crew.manager, "help_request", hr) == 1
    services.help_request_approve(actor=crew.manager, help_request=hr, hq_engineer=crew.hq_eng)
    assert _unread(crew.manager, "help_request", hr) == 0
    other = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    hr2 = services.help_request_create(actor=crew.east_eng, work_order=other, reason="需总部支援")
    services.help_request_reject(actor=crew.manager, help_request=hr2, reason="人手已满")
    assert _unread(crew.manager, "help_request", hr2) == 0


def test_mark_done_touches_only_its_record_and_kinds(crew):
    first = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    second = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    for wo in (first, second):
        services.work_order_assign(actor=crew.dispatcher, work_order=wo, lead=crew.east_eng)
    assert mark_done(first, "work_order_to_approve") == 1
    assert _unread(crew.manager, "work_order_to_approve", second) == 1
    assert mark_done(first, "another_kind") == 0
    assert mark_done(None, "work_order_to_approve") == 0


def test_confirming_the_plan_marks_the_customers_plan_notification_done(crew):
    from serviceloop.service import services as request_services
    from serviceloop.service.tests.factories import new_request

    request = new_request(actor=crew.desk, customer=crew.customer_a)
    request = request_services.request_propose_plan(actor=crew.desk, service_request=request, plan="onsite")
    assert _unread(crew.owner, "plan_decided", request) == 1
    request_services.request_confirm_plan(actor=crew.owner, service_request=request, how="portal")
    assert _unread(crew.owner, "plan_decided", request) == 0


def test_the_record_screen_and_my_jobs_speak_chinese(client, crew):
    from serviceloop.core.tests.test_i18n import english_words

    wo = _on_site(crew)
    client.force_login(crew.east_eng)
    for url in (reverse("workorders:job", args=[wo.pk]), reverse("workorders:step", args=[wo.pk, "record"]),
                reverse("workorders:my_jobs")):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert english_words(page) == set(), url

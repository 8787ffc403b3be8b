"""Print-outs: the signed service report (with its hash, verified byte for byte), the work order and the
fee statement."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import translation
from pypdf import PdfReader

from serviceloop.assets.tests.factories import UnitFactory
from serviceloop.workorders import documents, services
from serviceloop.workorders.models import FeeLine

from .factories import completed, signature_data_url

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def signed(crew):
    unit = UnitFactory(customer=crew.customer_a, serial_number="SN-RF-0042")
    wo = completed(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng,
                   unit=unit)
    report = services.service_report_prepare(actor=crew.east_eng, work_order=wo)
    with translation.override("zh-hans"):
        report = services.service_report_sign(actor=crew.east_eng, report=report,
                                              signature_data_url=signature_data_url(), signer_name="王建国",
                                              satisfied=True)
    return report


def test_signed_report_pdf_has_the_form_the_signature_and_the_hash(signed):
    pdf = signed.pdf.read()
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    for label in ("售后服务记录单", "客户", "出厂编号", "SN-RF-0042", "王建国", "更换温控模块", "炉温曲线",
                  signed.number, signed.work_order.number, "华东精工装备股份有限公司"):
        assert label in text, label
    assert signed.content_sha256 in text.replace("\n", "")
    assert len(signed.content_sha256) == 64
    reader = PdfReader(io.BytesIO(pdf))
    assert any(page.images for page in reader.pages)  # the signature image is embedded


def test_verify_returns_the_report_for_the_exact_bytes_only(signed):
    pdf = signed.pdf.read()
    assert services.service_report_verify(pdf) == signed
    altered = bytearray(pdf)
    altered[len(altered) // 2] ^= 0x01
    assert services.service_report_verify(bytes(altered)) is None
    assert services.service_report_verify(pdf + b"\n") is None
    assert services.service_report_verify(b"") is None


def test_content_hash_changes_with_the_content(signed):
    before = services.report_content_sha256(signed)
    assert before == signed.content_sha256
    signed.work_done += "。"
    assert services.report_content_sha256(signed) != before


def test_work_order_and_fee_statement_print(crew):
    unit = UnitFactory(customer=crew.customer_a, ship_date=dt.date(2020, 1, 1))
    wo = completed(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng,
                   unit=unit)
    services.fee_line_save(user=crew.desk, instance=FeeLine(work_order=wo, kind="labour", description="工时费",
                                                            quantity=Decimal("3.5"), unit_price=Decimal("200")))
    with translation.override("zh-hans"):
        wo_text = pdf_text(documents.work_order_pdf(wo))
        fee_text = pdf_text(documents.fee_statement_pdf(wo))
    for label in ("派工单", wo.number, "客户", str(crew.east_eng), "13911112222"):
        assert label in wo_text, label
    # the task: the work order's text, then the request's own words that differ from it, each once
    assert wo.description == wo.service_request.title
    assert wo_text.count(wo.service_request.title) == 1
    for label in ("费用结算单", "工时费", "700.00"):
        assert label in fee_text, label


def test_work_report_prints(crew):
    wo = completed(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng,
                   severity="major")
    report = services.work_report_save(actor=crew.east_eng, work_order=wo, fault_phenomenon="压机不启动",
                                       cause_analysis="电容击穿", actions_taken="更换压机电容")
    with translation.override("zh-hans"):
        text = pdf_text(documents.work_report_pdf(report))
    assert "售后服务工作报告书" in text and "电容击穿" in text

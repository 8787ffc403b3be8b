"""The customers web UI through the access gate: list, detail, edit, delete, export, attachments, forms."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from PIL import Image

from serviceloop.accounts.tests.factories import UserFactory
from serviceloop.assets.tests.factories import UnitFactory
from serviceloop.core.attachments import attachment_add
from serviceloop.core.models import Attachment, AuthorizationFailure, TimelineEvent
from serviceloop.core.timeline import events_for
from serviceloop.customers.models import Contact, Customer, Site
from serviceloop.customers.services import customer_save

from .factories import ContactFactory, CustomerFactory, SiteFactory


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _failures(**kwargs):
    return AuthorizationFailure.objects.filter(**kwargs).count()


def _text(response) -> str:
    return response.content.decode()


def _png(size=(4, 4), color="red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def _customer_form(**overrides):
    data = {"code": "cx-01", "name": "丙公司", "level": "B", "branch": "", "address": "", "phone": "", "note": ""}
    data.update(overrides)
    return data


# -- anonymous ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_sent_to_login_everywhere(client, cast):
    pk = cast.customer_a.pk
    attachment = attachment_add(subject=cast.customer_a, upload=SimpleUploadedFile("a.txt", b"hello"),
                                user=cast.desk)
    urls = [
        reverse("customers:list"), reverse("customers:list") + "?export=xlsx", reverse("customers:create"),
        reverse("customers:detail", args=[pk]), reverse("customers:edit", args=[pk]),
        reverse("customers:delete", args=[pk]), reverse("customers:site_create", args=[pk]),
        reverse("customers:contact_create", args=[pk]),
        reverse("core:attachment_download", args=[attachment.pk]),
    ]
    login = reverse("login")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login), url
    response = client.post(reverse("customers:delete", args=[pk]))
    assert response.status_code == 302 and response["Location"].startswith(login)
    assert Customer.objects.filter(pk=pk).exists()


# -- list --------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("user_key", "sees_a", "sees_b"),
    [("owner", True, False), ("outsider", False, True), ("east_staff", True, False),
     ("south_staff", False, True), ("desk", True, True), ("manager", True, True)],
)
def test_list_shows_only_visible_customers(client, cast, user_key, sees_a, sees_b):
    client.force_login(getattr(cast, user_key))
    response = client.get(reverse("customers:list"))
    assert response.status_code == 200
    text = _text(response)
    assert ("甲公司" in text) is sees_a
    assert ("乙公司" in text) is sees_b
    assert _failures() == 0


@pytest.mark.django_db
def test_list_search_cannot_reach_invisible_rows(client, cast):
    client.force_login(cast.outsider)
    response = client.get(reverse("customers:list"), {"q": "甲"})
    assert "甲公司" not in _text(response)
    response = client.get(reverse("customers:list"), {"branch": cast.customer_a.branch_id})
    assert "甲公司" not in _text(response)


@pytest.mark.django_db
def test_branch_filter_offers_only_branches_the_user_may_see(client, cast):
    client.force_login(cast.owner)  # customers hold no view permission on branches
    response = client.get(reverse("customers:list"))
    assert "华南分公司" not in _text(response)
    client.force_login(cast.desk)
    assert "华南分公司" in _text(client.get(reverse("customers:list")))


@pytest.mark.django_db
def test_list_without_a_role_is_403_and_audited(client, cast):
    client.force_login(cast.nobody)
    response = client.get(reverse("customers:list"))
    assert response.status_code == 403
    assert _failures(user=cast.nobody, outcome="forbidden") == 1


@pytest.mark.django_db
def test_list_tolerates_bad_parameters(client, cast):
    client.force_login(cast.desk)
    for params in ({"page": "x"}, {"page": "-3"}, {"sort": "password"}, {"sort": "--name"}, {"level": "Z"},
                   {"branch": "not-a-number"}, {"q": "x" * 500}):
        assert client.get(reverse("customers:list"), params).status_code == 200, params


# -- export ------------------------------------------------------------------------------------------


def _export(client, **params):
    response = client.get(reverse("customers:list"), {"export": "xlsx", **params})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    return [row for row in sheet.iter_rows(values_only=True)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("user_key", "codes"),
    [("owner", {"CA"}), ("outsider", {"CB"}), ("east_staff", {"CA", "CE2"}), ("south_staff", {"CB"}),
     ("manager", {"CA", "CB", "CE2"})],
)
def test_export_contains_only_visible_rows(client, cast, user_key, codes):
    CustomerFactory(code="CE2", name="丁公司", branch=cast.customer_a.branch)
    client.force_login(getattr(cast, user_key))
    rows = _export(client)
    assert rows[0][0] == "Customer code"  # English headers start with a capital
    assert {row[0] for row in rows[1:]} == codes


@pytest.mark.django_db
def test_export_applies_search_and_filters(client, cast):
    client.force_login(cast.manager)
    rows = _export(client, q="乙")
    assert [row[0] for row in rows[1:]] == ["CB"]
    rows = _export(client, branch=cast.customer_a.branch_id)
    assert [row[0] for row in rows[1:]] == ["CA"]


@pytest.mark.django_db
def test_export_keeps_formula_like_text_as_text(client, cast):
    Customer.objects.filter(pk=cast.customer_a.pk).update(name='=HYPERLINK("http://evil.example","x")')
    client.force_login(cast.manager)
    response = client.get(reverse("customers:list"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    cell = next(row[1] for row in sheet.iter_rows(min_row=2) if row[0].value == "CA")
    assert cell.data_type == "s"
    assert cell.value.startswith("=HYPERLINK")


@pytest.mark.django_db
def test_export_without_a_role_is_refused(client, cast):
    client.force_login(cast.nobody)
    assert client.get(reverse("customers:list"), {"export": "xlsx"}).status_code == 403
    assert _failures() == 1


# -- detail ------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("user_key", "status"),
    [("owner", 200), ("colleague", 200), ("east_staff", 200), ("desk", 200), ("manager", 200),
     ("outsider", 404), ("south_staff", 404), ("nobody", 404)],
)
def test_detail_visible_200_invisible_404(client, cast, user_key, status):
    client.force_login(getattr(cast, user_key))
    response = client.get(reverse("customers:detail", args=[cast.customer_a.pk]))
    assert response.status_code == status
    assert _failures() == (1 if status == 404 else 0)
    if status == 200:
        assert "甲公司" in _text(response)
    else:
        assert "甲公司" not in _text(response)


@pytest.mark.django_db
def test_detail_of_missing_record_is_404(client, cast):
    client.force_login(cast.manager)
    assert client.get(reverse("customers:detail", args=[987654])).status_code == 404
    assert _failures(outcome="not_found") == 1


@pytest.mark.django_db
def test_detail_lists_only_visible_children_and_edit_links_for_writers(client, cast):
    SiteFactory(customer=cast.customer_a, name="一号车间")
    ContactFactory(customer=cast.customer_a, name="王工", is_primary=True)
    client.force_login(cast.owner)
    text = _text(client.get(reverse("customers:detail", args=[cast.customer_a.pk])))
    assert "一号车间" in text and "王工" in text
    assert reverse("customers:edit", args=[cast.customer_a.pk]) not in text
    assert reverse("customers:delete", args=[cast.customer_a.pk]) not in text
    client.force_login(cast.east_staff)
    text = _text(client.get(reverse("customers:detail", args=[cast.customer_a.pk])))
    assert reverse("customers:edit", args=[cast.customer_a.pk]) in text
    assert reverse("customers:delete", args=[cast.customer_a.pk]) not in text
    client.force_login(cast.manager)
    text = _text(client.get(reverse("customers:detail", args=[cast.customer_a.pk])))
    assert reverse("customers:delete", args=[cast.customer_a.pk]) in text


# -- edit --------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("user_key", "status"),
    [("owner", 403), ("colleague", 403), ("outsider", 404), ("south_staff", 404), ("nobody", 404),
     ("east_staff", 200), ("desk", 200), ("manager", 200)],
)
def test_edit_form_gate(client, cast, user_key, status):
    client.force_login(getattr(cast, user_key))
    response = client.get(reverse("customers:edit", args=[cast.customer_a.pk]))
    assert response.status_code == status
    assert _failures() == (0 if status == 200 else 1)


@pytest.mark.django_db
@pytest.mark.parametrize(("user_key", "status"), [("owner", 403), ("outsider", 404)])
def test_refused_edit_post_writes_nothing(client, cast, user_key, status):
    client.force_login(getattr(cast, user_key))
    url = reverse("customers:edit", args=[cast.customer_a.pk])
    response = client.post(url, _customer_form(code="CA", name="Hacked", branch=cast.customer_a.branch_id,
                                               version=1))
    assert response.status_code == status
    cast.customer_a.refresh_from_db()
    assert cast.customer_a.name == "甲公司"
    assert _failures() == 1


@pytest.mark.django_db
def test_create_refused_for_customers_and_no_role(client, cast):
    for user in (cast.owner, cast.nobody):
        client.force_login(user)
        assert client.get(reverse("customers:create")).status_code == 403
        assert client.post(reverse("customers:create"), _customer_form(branch=cast.customer_a.branch_id)).status_code == 403
    assert _failures() == 4
    assert not Customer.objects.filter(code="CX-01").exists()


@pytest.mark.django_db
def test_create_customer(client, cast, east):
    client.force_login(cast.desk)
    response = client.post(reverse("customers:create"), _customer_form(branch=east.pk, phone="021-5555"))
    customer = Customer.objects.get(code="CX-01")  # upper-cased
    assert response.status_code == 302
    assert response["Location"] == customer.get_absolute_url()
    assert (customer.name, customer.branch, customer.version, customer.updated_by) == ("丙公司", east, 1, cast.desk)
    event = events_for(customer).get()
    assert (event.verb, event.actor) == ("created", cast.desk)
    assert customer.history.count() == 1


@pytest.mark.django_db
def test_branch_staff_create_only_in_their_region(client, cast, east, south):
    client.force_login(cast.east_staff)
    response = client.post(reverse("customers:create"), _customer_form(branch=south.pk))
    assert response.status_code == 400
    assert not Customer.objects.filter(code="CX-01").exists()
    response = client.post(reverse("customers:create"), _customer_form(branch=east.pk))
    assert response.status_code == 302
    assert Customer.objects.get(code="CX-01").branch == east


@pytest.mark.django_db
def test_edit_customer_bumps_version_and_records_event(client, cast):
    client.force_login(cast.east_staff)
    url = reverse("customers:edit", args=[cast.customer_a.pk])
    response = client.post(url, _customer_form(code="CA", name="甲公司（新）", branch=cast.customer_a.branch_id,
                                               version=1))
    assert response.status_code == 302
    cast.customer_a.refresh_from_db()
    assert (cast.customer_a.name, cast.customer_a.version, cast.customer_a.updated_by) == (
        "甲公司（新）", 2, cast.east_staff)
    assert [e.verb for e in events_for(cast.customer_a)] == ["updated"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"code": "cb"}, "code", "already exists"),  # duplicate once upper-cased
        ({"code": "CB"}, "code", "already exists"),
        ({"code": "A B!"}, "code", "Use letters, digits"),
        ({"code": ""}, "code", "required"),
        ({"name": ""}, "name", "required"),
        ({"level": "Z"}, "level", "valid choice"),
        ({"branch": "999999"}, "branch", "valid choice"),
    ],
)
def test_bad_input_is_400_next_to_the_field_and_keeps_what_was_typed(client, cast, east, overrides, field, message):
    client.force_login(cast.desk)
    before = (Customer.objects.count(), TimelineEvent.objects.count())
    data = _customer_form(**{"branch": east.pk, "address": "浦东新区张江路 999 号", "phone": "021-12345678",
                             **overrides})
    response = client.post(reverse("customers:create"), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    text = _text(response)
    # the message is rendered right under the field, and what the user typed is still there
    field_html = text[text.index(f'id="id_{field}"'):]
    assert message in field_html[: field_html.index("</div>")]
    assert "浦东新区张江路 999 号" in text and "021-12345678" in text
    assert (Customer.objects.count(), TimelineEvent.objects.count()) == before


@pytest.mark.django_db
def test_stale_edit_is_refused_with_who_and_when(client, cast):
    url = reverse("customers:edit", args=[cast.customer_a.pk])
    customer_save(user=cast.manager, instance=Customer.objects.get(pk=cast.customer_a.pk), expected_version=1)
    client.force_login(cast.east_staff)
    response = client.post(url, _customer_form(code="CA", name="覆盖", branch=cast.customer_a.branch_id,
                                               version=1))
    assert response.status_code == 400
    text = _text(response)
    assert re.search(r"modified by \S+ at \d{4}-\d\d-\d\d \d\d:\d\d", text)
    assert str(cast.manager) in text
    assert "覆盖" in text  # the user's typing is not lost
    cast.customer_a.refresh_from_db()
    assert (cast.customer_a.name, cast.customer_a.version, cast.customer_a.updated_by) == ("甲公司", 2, cast.manager)


# -- delete ------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("user_key", "status"),
    [("owner", 403), ("east_staff", 403), ("desk", 403), ("outsider", 404), ("nobody", 404)],
)
def test_delete_is_for_the_manager_only(client, cast, user_key, status):
    victim = CustomerFactory(code="DEL", branch=cast.customer_a.branch)
    client.force_login(getattr(cast, user_key))
    if user_key in ("owner", "outsider"):
        victim = cast.customer_a  # the owner's own customer; invisible to the outsider
    url = reverse("customers:delete", args=[victim.pk])
    assert client.get(url).status_code == status
    assert client.post(url).status_code == status
    assert Customer.objects.filter(pk=victim.pk).exists()
    assert _failures() == 2


@pytest.mark.django_db
def test_manager_deletes_after_confirmation(client, cast):
    victim = CustomerFactory(code="DEL", name="待删除公司", branch=cast.customer_a.branch)
    SiteFactory(customer=victim)
    ContactFactory(customer=victim)
    client.force_login(cast.manager)
    url = reverse("customers:delete", args=[victim.pk])
    response = client.get(url)
    assert response.status_code == 200 and "待删除公司" in _text(response)
    assert Customer.objects.filter(pk=victim.pk).exists()  # GET deletes nothing
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("customers:list")
    assert not Customer.objects.filter(pk=victim.pk).exists()
    assert not Site.objects.filter(customer_id=victim.pk).exists()
    assert "待删除公司 was deleted." in _text(response)


@pytest.mark.django_db
def test_protected_delete_shows_a_clear_message_and_deletes_nothing(client, cast):
    customer = cast.customer_a  # has portal users; give it a unit as well
    UnitFactory(customer=customer)
    site = SiteFactory(customer=customer)
    client.force_login(cast.manager)
    events_before = TimelineEvent.objects.count()
    response = client.post(reverse("customers:delete", args=[customer.pk]), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == customer.get_absolute_url()
    assert "甲公司 cannot be deleted because other records refer to it." in _text(response)
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert Site.objects.filter(pk=site.pk).exists()
    assert TimelineEvent.objects.count() == events_before


# -- attachments -------------------------------------------------------------------------------------


@pytest.fixture
def attachment(cast):
    return attachment_add(subject=cast.customer_a, upload=SimpleUploadedFile("验收报告.txt", "验收合格".encode()),
                          user=cast.desk)


@pytest.mark.django_db
@pytest.mark.parametrize("user_key", ["owner", "colleague", "east_staff", "desk"])
def test_attachment_download_for_those_who_see_the_record(client, cast, attachment, user_key):
    client.force_login(getattr(cast, user_key))
    response = client.get(reverse("core:attachment_download", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode() == "验收合格"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E9%AA%8C" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert _failures() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("user_key", ["outsider", "south_staff", "nobody"])
def test_attachment_download_invisible_record_is_404(client, cast, attachment, user_key):
    client.force_login(getattr(cast, user_key))
    assert client.get(reverse("core:attachment_download", args=[attachment.pk])).status_code == 404
    assert _failures(outcome="not_found") == 1


@pytest.mark.django_db
def test_attachment_download_missing_attachment_is_404(client, cast):
    client.force_login(cast.manager)
    assert client.get(reverse("core:attachment_download", args=[424242])).status_code == 404
    assert _failures(outcome="not_found") == 1


@pytest.mark.django_db
def test_attachment_download_without_attachment_permission_is_403(client, cast, attachment, hq):
    viewer = Group.objects.create(name="customer_viewer_only")
    viewer.permissions.add(Permission.objects.get(codename="view_customer"))
    user = UserFactory(branch=hq)
    user.groups.add(viewer)
    client.force_login(user)
    assert client.get(reverse("customers:detail", args=[cast.customer_a.pk])).status_code == 200
    assert client.get(reverse("core:attachment_download", args=[attachment.pk])).status_code == 403
    assert _failures(outcome="forbidden", action="view") == 1


@pytest.mark.django_db
def test_detail_shows_attachments_only_with_permission(client, cast, attachment):
    client.force_login(cast.owner)
    assert reverse("core:attachment_download", args=[attachment.pk]) in _text(
        client.get(reverse("customers:detail", args=[cast.customer_a.pk])))


def _upload_url(subject):
    from django.contrib.contenttypes.models import ContentType

    return reverse("core:attachment_upload", args=[ContentType.objects.get_for_model(subject).pk, subject.pk])


@pytest.mark.django_db
def test_attachment_upload(client, cast):
    client.force_login(cast.east_staff)
    detail = cast.customer_a.get_absolute_url()
    response = client.post(_upload_url(cast.customer_a), {
        "file": SimpleUploadedFile("现场照片.png", _png(), content_type="image/png"),
        "description": "铭牌", "next": detail,
    })
    assert response.status_code == 302 and response["Location"] == detail
    attachment = Attachment.objects.get()
    assert (attachment.subject, attachment.original_name, attachment.uploaded_by, attachment.description) == (
        cast.customer_a, "现场照片.png", cast.east_staff, "铭牌")
    assert attachment.content_type_sniffed == "image/png"
    assert [e.verb for e in events_for(cast.customer_a)] == ["attachment_added"]
    text = _text(client.get(detail))
    assert "现场照片.png" in text and "File attached." in text


@pytest.mark.django_db
def test_attachment_upload_refusals(client, cast):
    url = _upload_url(cast.customer_a)
    upload = {"file": SimpleUploadedFile("a.png", _png()), "next": "/"}
    client.force_login(cast.owner)  # sees the customer; the customer role may not attach files
    assert client.post(url, upload).status_code == 403
    client.force_login(cast.outsider)
    upload["file"].seek(0)
    assert client.post(url, upload).status_code == 404
    assert _failures() == 2
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_attachment_upload_bad_file_is_a_message_and_nothing_written(client, cast):
    client.force_login(cast.desk)
    detail = cast.customer_a.get_absolute_url()
    response = client.post(_upload_url(cast.customer_a), {
        "file": SimpleUploadedFile("x.png", b"%PDF-1.4 not an image"), "next": detail}, follow=True)
    assert response.redirect_chain[-1][0] == detail
    assert "does not match its .png extension" in _text(response)
    response = client.post(_upload_url(cast.customer_a), {"next": detail}, follow=True)
    assert "This field is required." in _text(response)
    assert not Attachment.objects.exists()
    assert not TimelineEvent.objects.exists()


@pytest.mark.django_db
def test_attachment_upload_does_not_redirect_off_site(client, cast):
    client.force_login(cast.desk)
    response = client.post(_upload_url(cast.customer_a), {
        "file": SimpleUploadedFile("a.txt", b"x"), "next": "https://evil.example/"})
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_attachment_upload_to_unknown_or_unscoped_record_type_is_404(client, cast):
    from django.contrib.contenttypes.models import ContentType

    client.force_login(cast.manager)
    event_ct = ContentType.objects.get_for_model(TimelineEvent)
    upload = {"file": SimpleUploadedFile("a.txt", b"x")}
    assert client.post(reverse("core:attachment_upload", args=[event_ct.pk, 1]), upload).status_code == 404
    upload["file"].seek(0)
    assert client.post(reverse("core:attachment_upload", args=[999999, 1]), upload).status_code == 404
    assert _failures(outcome="not_found") == 2
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_attachment_upload_is_post_only(client, cast):
    client.force_login(cast.desk)
    assert client.get(_upload_url(cast.customer_a)).status_code == 405


# -- sites and contacts ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_and_edit_site(client, cast):
    client.force_login(cast.east_staff)
    response = client.post(reverse("customers:site_create", args=[cast.customer_a.pk]),
                           {"name": "二号车间", "city": "苏州", "address": "", "latitude": "31.3", "longitude": "120.6"})
    assert response.status_code == 302
    assert response["Location"] == cast.customer_a.get_absolute_url()
    site = Site.objects.get(name="二号车间")
    assert (site.customer, site.version) == (cast.customer_a, 1)
    response = client.post(reverse("customers:site_edit", args=[site.pk]),
                           {"name": "二号车间", "city": "无锡", "address": "", "latitude": "", "longitude": "",
                            "version": 1})
    assert response.status_code == 302
    site.refresh_from_db()
    assert (site.city, site.version) == ("无锡", 2)
    assert [e.verb for e in events_for(site)] == ["updated", "created"]


@pytest.mark.django_db
def test_site_bad_input(client, cast):
    SiteFactory(customer=cast.customer_a, name="一号车间")
    client.force_login(cast.east_staff)
    url = reverse("customers:site_create", args=[cast.customer_a.pk])
    response = client.post(url, {"name": "一号车间", "city": "苏州"})
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert "苏州" in _text(response)
    response = client.post(url, {"name": "三号", "latitude": "123"})
    assert response.status_code == 400 and "latitude" in response.context["form"].errors
    assert Site.objects.filter(customer=cast.customer_a).count() == 1


@pytest.mark.django_db
def test_site_gate(client, cast):
    site_b = SiteFactory(customer=cast.customer_b)
    client.force_login(cast.east_staff)
    assert client.get(reverse("customers:site_create", args=[cast.customer_b.pk])).status_code == 404
    assert client.get(reverse("customers:site_edit", args=[site_b.pk])).status_code == 404
    client.force_login(cast.outsider)  # sees its own site, may not change it
    assert client.get(reverse("customers:site_edit", args=[site_b.pk])).status_code == 403
    assert client.post(reverse("customers:site_create", args=[cast.customer_b.pk]), {"name": "x"}).status_code == 403
    assert _failures() == 4
    assert Site.objects.count() == 1


@pytest.mark.django_db
def test_create_and_edit_contact_only_one_primary(client, cast):
    site = SiteFactory(customer=cast.customer_a)
    first = ContactFactory(customer=cast.customer_a, name="张三", is_primary=True)
    client.force_login(cast.desk)
    response = client.post(reverse("customers:contact_create", args=[cast.customer_a.pk]),
                           {"name": "李四", "phone": "13900000000", "email": "li@example.com",
                            "site": site.pk, "is_primary": "on"})
    assert response.status_code == 302
    second = Contact.objects.get(name="李四")
    first.refresh_from_db()
    assert second.is_primary and second.site == site and not first.is_primary
    assert list(Contact.objects.filter(customer=cast.customer_a, is_primary=True)) == [second]


@pytest.mark.django_db
def test_contact_cannot_use_another_customers_site(client, cast):
    site_b = SiteFactory(customer=cast.customer_b)
    client.force_login(cast.desk)
    response = client.post(reverse("customers:contact_create", args=[cast.customer_a.pk]),
                           {"name": "李四", "site": site_b.pk})
    assert response.status_code == 400
    assert "site" in response.context["form"].errors
    assert "李四" in _text(response)
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_contact_bad_email_and_missing_name(client, cast):
    client.force_login(cast.desk)
    url = reverse("customers:contact_create", args=[cast.customer_a.pk])
    response = client.post(url, {"name": "", "email": "not-an-email", "phone": "13912345678"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"name", "email"} <= set(errors)
    assert "13912345678" in _text(response)
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_contact_edit_stale(client, cast):
    contact = ContactFactory(customer=cast.customer_a, name="张三")
    client.force_login(cast.desk)
    url = reverse("customers:contact_edit", args=[contact.pk])
    data = {"name": "张三丰", "phone": "1", "version": 1}
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "name": "张无忌"})
    assert response.status_code == 400
    assert "modified by" in _text(response)
    contact.refresh_from_db()
    assert (contact.name, contact.version) == ("张三丰", 2)


# -- the generic views' edge cases, seen through the customers pages ---------------------------------


@pytest.mark.django_db
def test_create_refused_after_saving_stays_a_create_form(client, cast, east, monkeypatch):
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from serviceloop.customers import services

    real_save = services.customer_save

    @transaction.atomic
    def save_then_refuse(**kwargs):
        real_save(**kwargs)
        raise ValidationError({"name": "refused after saving"})

    monkeypatch.setattr(services, "customer_save", save_then_refuse)
    client.force_login(cast.desk)
    response = client.post(reverse("customers:create"), _customer_form(branch=east.pk))
    assert response.status_code == 400
    assert response.context["object"] is None  # still "New customer", not an edit of a row that is gone
    assert response.context["form"].instance.pk is None
    assert "refused after saving" in _text(response)
    assert not Customer.objects.filter(code="CX-01").exists()


@pytest.mark.django_db
def test_list_survives_a_link_to_a_page_not_built_yet(client, cast, monkeypatch):
    from serviceloop.customers.views import CustomerListView

    monkeypatch.setattr(CustomerListView, "import_url_name", "imports:not_there")
    client.force_login(cast.desk)
    response = client.get(reverse("customers:list"))
    assert response.status_code == 200
    assert response.context["import_url_name"] is None
    assert response.context["create_url_name"] == "customers:create"


@pytest.mark.django_db
def test_list_offers_new_only_to_those_who_may_add(client, cast):
    client.force_login(cast.owner)
    response = client.get(reverse("customers:list"))
    assert response.context["create_url_name"] is None
    assert reverse("customers:create") not in _text(response)

"""Attachments through the API: listed, read, downloaded and uploaded only through the record's gate."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from serviceloop.core.models import Attachment, AuthorizationFailure, TimelineEvent
from tests.api.world import build_world, client_for, ids


@pytest.fixture
def world(cast):
    return build_world(cast)


def _upload(client, subject_label, object_id, name="report.txt", data=b"line one\n", **extra):
    payload = {"content_type": subject_label, "object_id": object_id,
               "file": SimpleUploadedFile(name, data), **extra}
    return client.post("/api/v1/attachments/", payload, format="multipart")


@pytest.mark.django_db
def test_list_needs_the_record(world):
    client = client_for(world.cast.desk)
    r = client.get("/api/v1/attachments/")
    assert r.status_code == 400
    assert set(r.json()) == {"content_type", "object_id"}
    r = client.get("/api/v1/attachments/", {"content_type": "nope.nothing", "object_id": 1})
    assert r.status_code == 400
    assert "content_type" in r.json()
    # a model outside the access gate is not a record type
    r = client.get("/api/v1/attachments/", {"content_type": "accounts.user", "object_id": world.cast.desk.pk})
    assert r.status_code == 400


@pytest.mark.django_db
def test_list_shows_the_records_files(world):
    client = client_for(world.cast.owner)
    r = client.get("/api/v1/attachments/", {"content_type": "assets.unit", "object_id": world.a.unit.pk})
    assert ids(r) == {world.a.attachment.pk}
    row = r.json()["results"][0]
    assert row["content_type"] == "assets.unit"
    assert row["original_name"] == "A.txt"
    assert row["download_url"] == f"/api/v1/attachments/{world.a.attachment.pk}/download/"


@pytest.mark.django_db
def test_download_streams_the_file_as_attachment(world):
    r = client_for(world.cast.colleague).get(f"/api/v1/attachments/{world.a.attachment.pk}/download/")
    assert r.status_code == 200
    assert b"".join(r.streaming_content) == b"nameplate photo"
    assert r["Content-Disposition"].startswith("attachment;")
    assert 'filename="A.txt"' in r["Content-Disposition"]
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Type"].startswith("text/plain")


@pytest.mark.django_db
def test_download_of_an_invisible_record_is_404_and_audited(world):
    client = client_for(world.cast.outsider)
    r = client.get(f"/api/v1/attachments/{world.a.attachment.pk}/download/", HTTP_ACCEPT="application/octet-stream")
    assert r.status_code == 404
    assert r["Content-Type"] == "application/json"
    assert AuthorizationFailure.objects.filter(user=world.cast.outsider, outcome="not_found").exists()
    assert client.get("/api/v1/attachments/999999/download/").status_code == 404


@pytest.mark.django_db
def test_missing_file_is_404(world):
    world.a.attachment.file.delete(save=False)
    r = client_for(world.cast.desk).get(f"/api/v1/attachments/{world.a.attachment.pk}/download/")
    assert r.status_code == 404


@pytest.mark.django_db
def test_desk_uploads_to_a_record(world):
    client = client_for(world.cast.desk)
    r = _upload(client, "customers.customer", world.a.customer.pk, description="签字版")
    assert r.status_code == 201, r.content
    attachment = Attachment.objects.get(pk=r.json()["id"])
    assert attachment.subject == world.a.customer
    assert attachment.description == "签字版"
    assert attachment.uploaded_by == world.cast.desk
    assert TimelineEvent.objects.filter(verb="attachment_added", object_id=world.a.customer.pk).exists()
    # and the owner of the record sees it
    listing = client_for(world.cast.owner).get(
        "/api/v1/attachments/", {"content_type": "customers.customer", "object_id": world.a.customer.pk})
    assert ids(listing) == {attachment.pk}


@pytest.mark.django_db
def test_bad_file_is_a_field_error_and_writes_nothing(world):
    before = Attachment.objects.count()
    client = client_for(world.cast.desk)
    r = _upload(client, "assets.unit", world.a.unit.pk, name="run.exe", data=b"MZ\x90\x00")
    assert r.status_code == 400
    assert "file" in r.json()
    r = _upload(client, "assets.unit", world.a.unit.pk, name="photo.png", data=b"not a png at all")
    assert r.status_code == 400
    assert "file" in r.json()
    assert Attachment.objects.count() == before


@pytest.mark.django_db
def test_portal_user_may_not_upload(world):
    before = Attachment.objects.count()
    r = _upload(client_for(world.cast.owner), "assets.unit", world.a.unit.pk)
    assert r.status_code == 403
    assert Attachment.objects.count() == before


@pytest.mark.django_db
def test_upload_to_an_invisible_record_is_404(world):
    before = Attachment.objects.count()
    r = _upload(client_for(world.cast.east_staff), "assets.unit", world.b.unit.pk)
    assert r.status_code == 404
    r = _upload(client_for(world.cast.nobody), "assets.unit", world.a.unit.pk)
    assert r.status_code == 404
    assert Attachment.objects.count() == before

"""Attachments: what may be uploaded, what is stored, and how it is served."""

from __future__ import annotations

import hashlib
import io
import zipfile
from urllib.parse import unquote

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook
from PIL import Image

from serviceloop.core.attachments import attachment_add, attachments_for, validate_upload
from serviceloop.core.downloads import attachment_disposition, bytes_download, file_download, safe_filename
from serviceloop.core.models import Attachment, TimelineEvent
from serviceloop.core.timeline import events_for

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _image(fmt: str, size=(8, 6), exif: bool = False, orientation: int | None = None) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    kwargs = {}
    if exif or orientation:
        tags = img.getexif()
        tags[0x010E] = "SECRET-EXIF-DESCRIPTION"
        tags[0x8825] = {2: (31.0, 14.0, 0.0)}  # a GPS position
        if orientation:
            tags[0x0112] = orientation
        kwargs["exif"] = tags
    img.save(out, format=fmt, **kwargs)
    return out.getvalue()


def _xlsx() -> bytes:
    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


def _zip(**entries: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, content in (entries or {"readme.txt": "hi"}).items():
            z.writestr(name, content)
    return out.getvalue()


DOCX = _zip(**{"[Content_Types].xml": "<Types/>", "_rels/.rels": "<r/>", "word/document.xml": "<w/>"})


# -- validate_upload ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        ("photo.png", _image("PNG"), "image/png"),
        ("PHOTO.JPG", _image("JPEG"), "image/jpeg"),
        ("photo.jpeg", _image("JPEG"), "image/jpeg"),
        ("photo.webp", _image("WEBP"), "image/webp"),
        ("报告.pdf", PDF, "application/pdf"),
        ("list.xlsx", _xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("logs.zip", _zip(), "application/zip"),
        ("方案.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("notes.txt", "设备运行正常".encode(), "text/plain"),
        ("data.csv", b"a,b\n1,2\n", "text/csv"),
    ],
)
def test_allowed_files_pass(name, data, mime):
    ext, content_type, stored = validate_upload(name, data)
    assert ext == name.rsplit(".", 1)[-1].lower()
    assert content_type == mime
    assert stored


@pytest.mark.parametrize(
    "name",
    ["virus.exe", "page.html", "page.htm", "drawing.svg", "script.js", "noextension", "archive.tar.gz",
     "macro.xlsm", "shell.php", "photo.png.exe"],
)
def test_extensions_outside_the_allow_list_are_refused(name):
    with pytest.raises(ValidationError) as caught:
        validate_upload(name, b"anything at all")
    assert caught.value.code == "extension"
    assert "are not accepted" in caught.value.messages[0]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("looks-like.png", PDF),  # a PDF renamed .png
        ("looks-like.pdf", HTML),  # HTML renamed .pdf
        ("looks-like.jpg", _image("PNG")),  # a PNG renamed .jpg
        ("looks-like.xlsx", b"PK\x03\x04 not really a zip"),
        ("looks-like.docx", _xlsx()),  # a workbook renamed .docx
        ("looks-like.xlsx", _zip()),  # any zip renamed .xlsx
        ("looks-like.zip", HTML),
        ("looks-like.webp", b"RIFF\x00\x00\x00\x00WAVEfmt "),
    ],
)
def test_content_must_match_the_extension(name, data):
    with pytest.raises(ValidationError) as caught:
        validate_upload(name, data)
    assert caught.value.code == "content"


def test_empty_file_is_refused():
    with pytest.raises(ValidationError) as caught:
        validate_upload("empty.pdf", b"")
    assert caught.value.code == "empty"
    assert caught.value.messages == ["The file is empty."]


def test_size_limit(settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    validate_upload("ok.txt", b"x" * 100)
    with pytest.raises(ValidationError) as caught:
        validate_upload("big.txt", b"x" * 101)
    assert caught.value.code == "size"
    assert caught.value.messages == ["The file is larger than 100\xa0bytes."]


def test_png_with_bytes_after_iend_is_cleaned():
    data = _image("PNG") + b"<script>alert(document.cookie)</script>"
    _ext, _mime, stored = validate_upload("shot.png", data)
    assert b"<script>" not in stored
    assert stored.endswith(b"IEND\xaeB`\x82")
    with Image.open(io.BytesIO(stored)) as img:
        assert img.size == (8, 6)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_exif_and_gps_are_removed(fmt):
    data = _image(fmt, exif=True)
    assert b"SECRET-EXIF-DESCRIPTION" in data
    _ext, _mime, stored = validate_upload(f"photo.{fmt.lower()}", data)
    assert b"SECRET-EXIF-DESCRIPTION" not in stored
    with Image.open(io.BytesIO(stored)) as img:
        assert not img.getexif()


def test_exif_orientation_is_applied_before_it_is_dropped():
    # a phone photo stored 8x6 with "rotate 90" in its EXIF is shown 6x8: keep it that way
    _ext, _mime, stored = validate_upload("phone.jpg", _image("JPEG", size=(8, 6), orientation=6))
    with Image.open(io.BytesIO(stored)) as img:
        assert img.size == (6, 8)


def test_truncated_image_is_refused():
    data = _image("PNG", size=(64, 64))
    with pytest.raises(ValidationError) as caught:
        validate_upload("broken.png", data[: len(data) // 2])
    assert caught.value.code == "content"


def test_huge_image_is_refused(monkeypatch):
    import serviceloop.core.attachments as attachments

    monkeypatch.setattr(attachments, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(ValidationError) as caught:
        validate_upload("big.png", _image("PNG", size=(20, 20)))
    assert caught.value.code == "size"


def test_gb18030_text_is_stored_as_utf8():
    _ext, mime, stored = validate_upload("记录.txt", "售后服务记录：设备运行正常".encode("gb18030"))
    assert mime == "text/plain"
    assert stored.decode("utf-8") == "售后服务记录：设备运行正常"


def test_csv_is_stored_as_utf8_with_bom_for_excel():
    _ext, _mime, stored = validate_upload("清单.csv", "编号,名称\n1,主板\n".encode("gbk"))
    assert stored == "\ufeff编号,名称\n1,主板\n".encode()


def test_utf16_text_with_bom_is_converted():
    _ext, _mime, stored = validate_upload("notes.txt", "温度 25℃".encode("utf-16"))
    assert stored.decode("utf-8") == "温度 25℃"


def test_utf8_text_is_kept():
    text = "ASCII and 中文 and emoji 🔧"
    assert validate_upload("a.txt", text.encode())[2].decode() == text


@pytest.mark.parametrize("data", [b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", b"abc\x00def"])
def test_binary_disguised_as_text_is_refused(data):
    with pytest.raises(ValidationError) as caught:
        validate_upload("readme.txt", data)
    assert caught.value.code == "content"


# -- attachment_add ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_attachment_add_stores_cleaned_bytes_hash_and_event(cast):
    upload = SimpleUploadedFile("../../etc/现场照片.png", _image("PNG") + b"<script>")
    attachment = attachment_add(subject=cast.customer_a, upload=upload, user=cast.desk, description="铭牌照片")
    attachment.refresh_from_db()
    with attachment.file.open("rb") as handle:
        stored = handle.read()
    assert b"<script>" not in stored
    assert attachment.sha256 == hashlib.sha256(stored).hexdigest()
    assert attachment.size == len(stored)
    assert attachment.content_type_sniffed == "image/png"
    assert attachment.original_name == "现场照片.png"  # no path parts
    assert attachment.uploaded_by == cast.desk
    assert attachment.description == "铭牌照片"
    assert attachment.file.name.startswith("attachments/") and attachment.file.name.endswith(".png")
    assert "现场" not in attachment.file.name  # stored under a random name
    assert list(attachments_for(cast.customer_a)) == [attachment]
    assert not attachments_for(cast.customer_b).exists()
    event = events_for(cast.customer_a).get()
    assert (event.verb, event.actor, event.note) == ("attachment_added", cast.desk, "现场照片.png")


@pytest.mark.django_db
def test_attachment_add_text_converted(cast):
    upload = SimpleUploadedFile("记录.txt", "温度正常".encode("gb18030"))
    attachment = attachment_add(subject=cast.customer_a, upload=upload, user=cast.desk)
    with attachment.file.open("rb") as handle:
        assert handle.read().decode("utf-8") == "温度正常"


@pytest.mark.django_db
def test_refused_upload_writes_nothing(cast, settings):
    settings.ATTACHMENT_MAX_BYTES = 50
    for name, data in [("a.exe", b"MZ"), ("b.png", PDF), ("c.txt", b"x" * 51), ("d.pdf", b"")]:
        with pytest.raises(ValidationError):
            attachment_add(subject=cast.customer_a, upload=SimpleUploadedFile(name, data), user=cast.desk)
    assert not Attachment.objects.exists()
    assert not TimelineEvent.objects.exists()


# -- downloads ---------------------------------------------------------------------------------------


def _parts(disposition: str) -> tuple[str, str]:
    ascii_part = disposition.split('filename="', 1)[1].split('"', 1)[0]
    utf8_part = unquote(disposition.split("filename*=UTF-8''", 1)[1])
    return ascii_part, utf8_part


def test_disposition_chinese_name_has_utf8_and_ascii_fallback():
    disposition = attachment_disposition("售后服务报告 2026.pdf")
    assert disposition.startswith("attachment; ")
    assert "filename*=UTF-8''%E5%94%AE%E5%90%8E" in disposition
    ascii_part, utf8_part = _parts(disposition)
    assert utf8_part == "售后服务报告 2026.pdf"
    assert ascii_part == "2026.pdf"
    assert disposition.isascii()


def test_disposition_all_chinese_name_keeps_the_extension():
    ascii_part, utf8_part = _parts(attachment_disposition("验收报告.pdf"))
    assert (ascii_part, utf8_part) == ("download.pdf", "验收报告.pdf")


@pytest.mark.parametrize(
    "name",
    ['a"; filename="evil.html', "line\r\nSet-Cookie: x=1.txt", "../../etc/passwd", "..\\..\\boot.ini",
     "\x00null.txt", "semi;colon.pdf", "'quoted'.pdf"],
)
def test_disposition_sanitises_dangerous_names(name):
    disposition = attachment_disposition(name)
    assert "\r" not in disposition and "\n" not in disposition and "\x00" not in disposition
    ascii_part, utf8_part = _parts(disposition)
    for part in (ascii_part, utf8_part):
        assert '"' not in part and "/" not in part and "\\" not in part and ".." not in part and ";" not in part
        assert part and not part.startswith(".")
    # one quoted fallback, one encoded name: nothing injected a third parameter
    assert disposition.count("filename=") == 1 and disposition.count("filename*=") == 1


def test_safe_filename():
    assert safe_filename("") == "download"
    assert safe_filename("...") == "download"
    assert safe_filename(".bashrc") == "bashrc"
    assert safe_filename("报告.pdf") == "报告.pdf"
    long = safe_filename("长" * 300 + ".xlsx")
    assert len(long) <= 150 and long.endswith(".xlsx")


def test_file_download_headers():
    response = file_download(io.BytesIO(b"hello"), "说明.txt", "text/plain")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == b"hello"


def test_bytes_download_inline():
    response = bytes_download(PDF, "售后服务报告.pdf", "application/pdf", inline=True)
    assert response["Content-Disposition"].startswith("inline; ")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"

"""Stored sentences in the reader's language (issue 9): core/messages.py, and the notifications and
timeline notes that store them."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy

from serviceloop.accounts.tests.factories import UserFactory
from serviceloop.core.messages import join, language_of, message, render, stored
from serviceloop.core.models import Notification, TimelineEvent
from serviceloop.core.notifications import deliver, notify
from serviceloop.core.timeline import record_event

# keys that are in the Chinese catalog (the app's own sentences)
RECEIVED = gettext_noop("Request %(number)s received")
RESULT = gettext_noop("Work order %(number)s: %(result)s")


def test_a_message_renders_in_the_active_language():
    m = message(RECEIVED, number="CSI-2612-0001")
    with translation.override("en"):
        assert str(m) == "Request CSI-2612-0001 received"
    with translation.override("zh-hans"):
        assert "CSI-2612-0001" in str(m) and "received" not in str(m)
    assert render(stored(m), language="en") == "Request CSI-2612-0001 received"


def test_translatable_parameters_are_stored_as_keys_and_translated_at_render():
    m = message(RESULT, number="WO-1", result=gettext_lazy("Remote support"))
    assert stored(m) == {"m": RESULT, "p": {"number": "WO-1", "result": {"m": "Remote support"}}}
    with translation.override("en"):
        assert render(stored(m)) == "Work order WO-1: Remote support"
    with translation.override("zh-hans"):
        zh = render(stored(m))
    assert "Remote support" not in zh and "WO-1" in zh
    # a pgettext label keeps its context
    label = pgettext_lazy("notification delivery", "channel")
    assert stored(label) == {"m": "channel", "c": "notification delivery"}


def test_lists_and_joined_sentences_follow_the_language():
    value = stored(join("王工 typed this", message(gettext_noop("This product model carries no warranty.")),
                        sep="\n"))
    assert render(value, language="en") == "王工 typed this\nThis product model carries no warranty."
    listing = stored(message(gettext_noop("Covered by contract %(number)s (%(start)s to %(end)s: %(coverage)s)."),
                             number="C-1", start="2026-01-01", end="2026-12-31",
                             coverage=[gettext_lazy("parts"), gettext_lazy("labour")]))
    assert render(listing, language="en").endswith("2026-12-31: parts, labour).")
    assert "、" in render(listing, language="zh-hans")


def test_unknown_keys_and_broken_rows_never_fail():
    unknown = stored(message("A sentence no catalog has: %(n)s", n=3))
    assert render(unknown, language="en") == "A sentence no catalog has: 3"
    # a Chinese reader gets the text stored with it rather than untranslated English
    assert render(unknown, fallback="存储的文字", language="zh-hans") == "存储的文字"
    assert render(unknown, language="zh-hans") == "A sentence no catalog has: 3"  # nothing better to show
    for broken in ({"m": 5}, {"x": 1}, [1, 2], {"m": "Hi %(a)s", "p": "no"}, {"j": "x"}):
        assert render(broken, fallback="as stored") == "as stored"
    # a translation whose placeholders do not match its key: the key, formatted
    assert render({"m": "Hi %(name)s", "p": {"other": "x"}}, fallback="kept") == "kept"
    deep: dict = {"m": "%(x)s", "p": {}}
    node = deep
    for _i in range(20):
        node["p"] = {"x": {"m": "%(x)s", "p": {}}}
        node = node["p"]["x"]
    assert render(deep, fallback="too deep") == "too deep"
    assert render(None, fallback="old") == "old" and render("plain text") == "plain text"


def test_language_of_a_person():
    assert language_of(UserFactory.build(language="en")) == "en"
    assert language_of(UserFactory.build(language="")) == "zh-hans"
    assert language_of(UserFactory.build(language="xx")) == "zh-hans"
    assert language_of(None) == "zh-hans"


@pytest.mark.django_db
def test_a_notification_caused_in_chinese_reads_in_english_and_vice_versa(settings):
    settings.NOTIFICATION_CHANNELS = []
    english = UserFactory(username="reader_en", language="en")
    chinese = UserFactory(username="reader_zh", language="zh-hans")
    with translation.override("zh-hans"):  # a Chinese-speaking desk user causes it
        notify(recipients=[english, chinese], kind="test", subject=message(RECEIVED, number="CSI-1"),
               body=join("现场温度 250℃", message(gettext_noop("Please confirm the plan in the portal or tell the desk.")),
                         sep="\n"))
    en_row, zh_row = Notification.objects.get(recipient=english), Notification.objects.get(recipient=chinese)
    # the text columns hold it as each recipient read it when written
    assert en_row.subject == "Request CSI-1 received"
    assert "received" not in zh_row.subject and "CSI-1" in zh_row.subject
    with translation.override("en"):  # the same row in the language of whoever reads it
        assert zh_row.display_subject == "Request CSI-1 received"
        assert en_row.display_body.endswith("Please confirm the plan in the portal or tell the desk.")
    with translation.override("zh-hans"):
        assert en_row.display_subject == zh_row.subject
        assert en_row.display_body.startswith("现场温度 250℃\n") and "portal" not in en_row.display_body


@pytest.mark.django_db
def test_the_old_call_style_with_plain_text_still_works(settings):
    settings.NOTIFICATION_CHANNELS = []
    ann = UserFactory(username="ann", language="en")
    (row,) = notify(recipients=[ann], kind="test", subject="已到期", body="原文")
    row.refresh_from_db()
    assert (row.subject_message, row.body_message) == (None, None)
    with translation.override("en"):
        assert (row.display_subject, row.display_body) == ("已到期", "原文")


@pytest.mark.django_db
def test_e_mail_goes_out_in_the_recipients_language(settings):
    settings.NOTIFICATION_CHANNELS = ["serviceloop.core.notifications.EmailChannel"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    english = UserFactory(username="mail_en", language="en", email="en@example.com")
    chinese = UserFactory(username="mail_zh", language="", email="zh@example.com")  # the site's language
    with translation.override("zh-hans"):
        rows = notify(recipients=[english, chinese], kind="test", subject=message(RECEIVED, number="CSI-7"))
    with translation.override("zh-hans"):  # the worker runs in whatever language: the recipient's counts
        assert deliver([r.pk for r in rows]) == 2
    sent = {m.to[0]: m.subject for m in mail.outbox}
    assert sent["en@example.com"] == "Request CSI-7 received"
    assert "received" not in sent["zh@example.com"] and "CSI-7" in sent["zh@example.com"]


@pytest.mark.django_db
def test_the_inbox_page_shows_each_reader_their_language(client, settings):
    settings.NOTIFICATION_CHANNELS = []
    reader = UserFactory(username="reader", language="en")
    with translation.override("zh-hans"):
        notify(recipients=[reader], kind="test", subject=message(RECEIVED, number="CSI-9"))
    client.force_login(reader)
    page = client.get(reverse("core:notifications"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "Request CSI-9 received" in page.content.decode()
    reader.language = "zh-hans"
    reader.save()
    page = client.get(reverse("core:notifications"), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "Request CSI-9 received" not in text and "CSI-9" in text


@pytest.mark.django_db
def test_timeline_notes_as_messages_and_as_typed():
    user = UserFactory(username="actor")
    with translation.override("zh-hans"):
        event = record_event(user, actor=user, verb="escalated",
                             note=message(gettext_noop("%(target)s → %(level)s"),
                                          target=gettext_lazy("Remote support"), level=gettext_lazy("parts")))
        typed = record_event(user, actor=user, verb="updated", note="手写的备注")
    event = TimelineEvent.objects.get(pk=event.pk)
    assert event.note_message is not None and "Remote support" not in event.note  # stored in the site's language
    with translation.override("en"):
        assert event.display_note == "Remote support → parts"
        assert TimelineEvent.objects.get(pk=typed.pk).display_note == "手写的备注"

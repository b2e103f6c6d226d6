"""The inbox: a person's own notifications, newest first, unread marked; reading one or all;
another person's notification does not exist (404)."""

import pytest
from django.utils import timezone

from notifications.models import Kind, Notification
from notifications.views import PAGE_SIZE

pytestmark = pytest.mark.django_db


def note(user, n, read=False, link=""):
    return Notification.objects.create(
        recipient=user,
        kind=Kind.FINDING,
        event_key=f"finding:{n}",
        subject=f"Finding {n} for {user.email}",
        body=f"Audit {n} is final.",
        link=link,
        read_at=timezone.now() if read else None,
    )


def test_a_poc_reads_their_own_notifications_newest_first(client_as, poc_a, poc_b, manager):
    note(poc_a, 1, read=True)
    note(poc_a, 2)
    note(poc_b, 3)
    note(manager, 4)

    page = client_as(poc_a).get("/inbox/")

    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("Finding 2") < html.index("Finding 1")
    assert "Finding 3" not in html and "Finding 4" not in html
    assert 'class="unread" id="notification-' in html


def test_the_inbox_is_paginated(client_as, poc_a):
    for n in range(PAGE_SIZE + 2):
        note(poc_a, n)

    first = client_as(poc_a).get("/inbox/").content.decode()
    second = client_as(poc_a).get("/inbox/?page=2").content.decode()

    assert "Page 1 of 2" in first and f"Finding {PAGE_SIZE + 1} " in first
    assert "Finding 0 " in second and "Finding 1 " in second


def test_reading_one_notification_and_following_its_link(client_as, poc_a):
    mine = note(poc_a, 1, link="/coaching/7/")
    other = note(poc_a, 2)
    client = client_as(poc_a)

    response = client.post(f"/inbox/{mine.pk}/read/", {"follow": "1"})

    assert response.status_code == 302 and response.url == "/coaching/7/"
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.read_at is not None and other.read_at is None
    assert client.post(f"/inbox/{other.pk}/read/").url == "/inbox/"


def test_read_all_marks_only_ones_own(client_as, poc_a, poc_b):
    note(poc_a, 1)
    note(poc_a, 2)
    theirs = note(poc_b, 3)

    client_as(poc_a).post("/inbox/read-all/")

    assert not Notification.objects.filter(recipient=poc_a, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_another_persons_notification_does_not_exist(client_as, poc_a, poc_a2, manager):
    colleague = note(poc_a2, 1)  # same vendor, still not yours
    internal = note(manager, 2)
    client = client_as(poc_a)

    for other in (colleague, internal):
        assert client.post(f"/inbox/{other.pk}/read/").status_code == 404
        other.refresh_from_db()
        assert other.read_at is None


def test_a_manager_sees_only_their_own_notifications_too(client_as, manager, poc_a):
    note(poc_a, 1)
    mine = note(manager, 2)

    html = client_as(manager).get("/inbox/").content.decode()
    assert "Finding 1" not in html and mine.subject in html
    assert (
        client_as(manager)
        .post(f"/inbox/{Notification.objects.get(recipient=poc_a).pk}/read/")
        .status_code
        == 404
    )


def test_the_pages_only_take_posts_for_changes_and_need_a_login(client, client_as, poc_a):
    mine = note(poc_a, 1)
    assert client.get("/inbox/").status_code == 302
    assert client.post(f"/inbox/{mine.pk}/read/").status_code == 302
    assert client_as(poc_a).get(f"/inbox/{mine.pk}/read/").status_code == 405


def test_the_inbox_page_makes_few_queries(client_as, poc_a, django_assert_max_num_queries):
    for n in range(PAGE_SIZE + 5):
        note(poc_a, n)
    client = client_as(poc_a)
    # session, user, MFA check, paginator count, page rows
    with django_assert_max_num_queries(8):
        client.get("/inbox/")

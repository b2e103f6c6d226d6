"""Vendor B's coaching action and the parameter sets the URL security walk tries with it
(tests/test_url_security.py, coaching block)."""

from __future__ import annotations

import datetime as dt

from coaching.actions import open_action
from coaching.models import CoachingAction

B_TITLE = "Coach B on reclaimed slurs"


def b_action(w) -> CoachingAction:
    """An agent-level action of vendor B from its final audit (made once per world)."""
    existing = CoachingAction.objects.filter(vendor=w.b.vendor, title=B_TITLE).first()
    return existing or open_action(
        w.manager,
        audits=[w.b.audits["final"]],
        category=w.category,
        title=B_TITLE,
        due_date=dt.date(2020, 1, 1),
        description="Private to QA and vendor B.",
    )


def list_queries(w) -> list[dict]:
    b_action(w)
    return [
        {},
        {"?query": {"vendor": w.b.vendor.slug}},
        {"?query": {"status": "open", "overdue": "1"}},
    ]


def api_list_queries(w) -> list[dict]:
    """The API's filters take ids; the same queries are also POSTed as bodies (QA only)."""
    b_action(w)
    return [
        {},
        {"?query": {"vendor": w.b.vendor.pk}},
        {"?query": {"status": "open", "overdue": "true", "site": w.b.site.pk}},
        {
            "?query": {
                "title": "A opens for B",
                "category": w.category.slug,
                "due_date": "2030-01-01",
                "vendor": w.b.vendor.pk,
            }
        },
    ]


def new_queries(w) -> list[dict]:
    return [
        {},
        {"?query": {"audits": str(w.b.audits["final"].pk)}},
        {"?query": {"vendor": w.b.vendor.slug, "site": w.b.site.slug, "category": w.category.slug}},
    ]


def detail(w) -> list[dict]:
    return [{"pk": b_action(w).pk}]


def steps(w) -> list[dict]:
    pk = b_action(w).pk
    return [
        {"pk": pk, "step": step}
        for step in ("acknowledge", "complete", "verify", "cancel", "unknown")
    ]

"""An endpoint bound to vendor B with one delivery, and the parameter sets the URL security
walk tries with it (tests/test_url_security.py, webhooks block). Made once per world; paused,
so nothing is ever sent."""

from __future__ import annotations

from webhooks.models import Delivery, Endpoint

B_ENDPOINT = "Borealis Support's private hook"


def b_endpoint(w) -> Endpoint:
    existing = Endpoint.objects.filter(name=B_ENDPOINT).first()
    if existing:
        return existing
    endpoint = Endpoint.objects.create(
        name=B_ENDPOINT, url="http://127.0.0.1:9/borealis", secret="borealis-secret-12345678",
        events=["audit.finalised"], vendor=w.b.vendor, is_active=False, created_by=w.manager)
    Delivery.objects.create(endpoint=endpoint, event="audit.finalised",
                            payload={"vendor": w.b.vendor.slug},
                            next_attempt_at=endpoint.created_at)
    return endpoint


def list_queries(w) -> list[dict]:
    b_endpoint(w)
    return [{"?query": {"name": "x", "kind": "json", "url": "https://x.example/",
                        "events": "audit.finalised"}}]


def endpoint(w) -> list[dict]:
    return [{"pk": b_endpoint(w).pk}]


def deliveries(w) -> list[dict]:
    e = b_endpoint(w)
    return [{"pk": e.pk, "delivery_pk": d.pk} for d in e.deliveries.all()]

"""A connector bound to vendor B, and the parameter sets the URL security walk tries with it
(tests/test_url_security.py, connectors block). Made once per world; paused and pointed at a
closed port, so nothing is ever pulled."""

from __future__ import annotations

from connectors.models import Connector

B_CONNECTOR = "borealis-zendesk"


def b_connector(w) -> Connector:
    existing = Connector.objects.filter(name=B_CONNECTOR).first()
    if existing:
        return existing
    return Connector.objects.create(
        name=B_CONNECTOR, base_url="http://127.0.0.1:9", token_env="BOREALIS_ZENDESK_TOKEN",
        source="zendesk-b", vendor=w.b.vendor, is_active=False,
        field_map={"external_id": "id"}, last_error="Borealis Support's help desk refused")


def list_page(w) -> list[dict]:
    b_connector(w)
    return [{}]


def connector(w) -> list[dict]:
    return [{"pk": b_connector(w).pk}]

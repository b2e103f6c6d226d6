"""``POST /api/v1/tickets/bulk/``: the push API for tickets (tickets.pushing does the work).

Who may push: a service account whose token has ``tickets:write`` (checked by
accounts.bearer.ServiceScope, as for every route), and program managers signed in. A token
bound to a vendor pushes that vendor's tickets only. docs/integrations.md has the contract
and a curl example.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from accounts.bearer import ServiceScope, is_service_request
from accounts.permissions import ProgramMember

from .import_rows import KNOWN_COLUMNS, REQUIRED_COLUMNS
from .push_body import MAX_BATCH_BYTES, MAX_BATCH_ROWS, NDJSON, too_large
from .pushing import IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_KEY_TTL, push_tickets

KEY_HOURS = int(IDEMPOTENCY_KEY_TTL.total_seconds() // 3600)


class MayPushTickets(BasePermission):
    message = "Only program managers and service accounts with tickets:write push tickets."

    def has_permission(self, request, view) -> bool:
        return is_service_request(request) or bool(request.user and request.user.is_manager)


class NDJSONParser(BaseParser):
    """Names NDJSON among the endpoint's request types (the view reads the body itself)."""

    media_type = NDJSON


def _key_problem(key: str) -> str:
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        return f"Idempotency-Key is longer than {IDEMPOTENCY_KEY_MAX_LENGTH} characters."
    if not key.isascii() or not key.isprintable() or not key.strip():
        return "Idempotency-Key must be printable ASCII, e.g. a UUID."
    return ""


TICKET_EXAMPLE = {
    "external_id": "ZD-81723", "source": "zendesk", "vendor": "acme", "site": "manila",
    "agent": "ag-1042", "workflow": "hate-speech-en", "handled_at": "2026-03-01T10:00:00Z",
    "decision": "remove", "policy": "hate_speech", "language": "en", "automated": False,
    "ai_score": 0.82, "ai_model": "llm-grader-v3",
}


# The bulk route of the tickets viewset (basename "ticket", so a token needs tickets:write).
# No docstring: drf-spectacular would show it as the description of every ticket route.
def _ticket_schema() -> dict:
    text = {"type": "string"}
    properties = {name: text for name in KNOWN_COLUMNS}
    properties["automated"] = {"oneOf": [{"type": "boolean"}, text]}
    properties["ai_score"] = {"type": "number", "minimum": 0, "maximum": 1, "nullable": True,
                              "description": "QA only; needs ai_model."}
    return {"type": "object", "required": list(REQUIRED_COLUMNS), "properties": properties,
            "additionalProperties": {"type": "string"},
            "description": "A ticket: the CSV import's columns; other keys go to extra."}


TICKET_SCHEMA = _ticket_schema()


class TicketPushMixin:

    @extend_schema(
        operation_id="tickets_bulk_push",
        summary="Push a batch of tickets (all or nothing, idempotent)",
        description=(
            f"Up to {MAX_BATCH_ROWS:,} tickets per request ({MAX_BATCH_BYTES // 2**20} MiB), "
            "as a JSON array or NDJSON (one object a line), with the CSV import's fields and "
            "rules. A ticket already present (same source and external_id) is left as it is, "
            "or updated when its content changed; any bad row and nothing is written (400 "
            "with every bad row named). An `Idempotency-Key` header makes a retry return "
            f"the first answer for {KEY_HOURS} hours. See docs/integrations.md."
        ),
        request={"application/json": {"type": "array", "items": TICKET_SCHEMA,
                                          "maxItems": MAX_BATCH_ROWS},
                 NDJSON: {"type": "string",
                          "description": "One ticket object (as in JSON) a line."}},
        parameters=[
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER,
                             description="Any printable ASCII up to 255 characters, e.g. a UUID."),
            OpenApiParameter("source", str, OpenApiParameter.QUERY,
                             description="The source of tickets that give none."),
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="Imported: counts."),
            400: OpenApiResponse(OpenApiTypes.OBJECT,
                                 description="Nothing imported: every bad row's row, field "
                                 "and message, or the line that is not JSON."),
            413: OpenApiResponse(OpenApiTypes.OBJECT, description="Too many tickets."),
            415: OpenApiResponse(OpenApiTypes.OBJECT, description="Not JSON or NDJSON."),
            422: OpenApiResponse(OpenApiTypes.OBJECT,
                                 description="Idempotency-Key reused for another request."),
        },
        examples=[OpenApiExample("One ticket", value=[TICKET_EXAMPLE], request_only=True)],
    )
    @action(detail=False, methods=["post"], url_path="bulk", url_name="bulk",
            parser_classes=[JSONParser, NDJSONParser],
            permission_classes=[ProgramMember, ServiceScope, MayPushTickets])
    def bulk(self, request, *args, **kwargs):  # format= from the router's ".json" twin
        key = request.headers.get("Idempotency-Key", "")
        problem = _key_problem(key) if key else ""
        if problem:
            return Response({"detail": problem}, status=status.HTTP_400_BAD_REQUEST)
        raw = request._request
        length = raw.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > MAX_BATCH_BYTES:
            refused = too_large(f"{int(length):,} bytes")
            return Response({"detail": refused.message}, status=refused.status)
        body = raw.read(MAX_BATCH_BYTES + 1)
        user = request.user
        answer = push_tickets(
            body, (raw.content_type or "").lower(), by=user,
            vendor_id=user.vendor_id if user.is_vendor_user else None,
            default_source=request.query_params.get("source", ""), idempotency_key=key,
        )
        response = Response(answer.body, status=answer.status)
        if answer.replayed:
            response["Idempotent-Replayed"] = "true"
        return response

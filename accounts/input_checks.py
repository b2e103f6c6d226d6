"""Request input PostgreSQL or Python cannot take, refused with a 400 naming the field.

Two kinds of input used to reach the database or the parser and come back as a 500:

- a NUL character (``%00``, ``\\u0000``) in any text: PostgreSQL's text and jsonb types
  refuse it, whatever column it is headed for. ``RejectNulMiddleware`` refuses it in the
  path, query string, form fields, uploaded file names and cookies of every request;
  ``load_json`` (used by ``ProgramJSONParser`` for the API and by the app's JSON views)
  refuses it anywhere in a JSON body, keys included.
- JSON nested deeper than any document of ours (``MAX_JSON_DEPTH``): Python's decoder
  recurses and a body of 100,000 ``[`` ends in a RecursionError.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

NUL = "\x00"
# Audit answers, dispute bodies and planner inputs nest a few levels; 64 is generous.
MAX_JSON_DEPTH = 64


class UnreadableInput(ValueError):
    """Input refused before any code reads it; ``field`` names where it was found."""

    def __init__(self, field: str, problem: str):
        self.field, self.problem = field, problem
        super().__init__(f"{field}: {problem}")


NUL_PROBLEM = "contains a NUL character (\\x00), which cannot be stored"


def _nul_in_request(request: HttpRequest) -> str | None:
    """The name of the first part of ``request`` holding a NUL character, or None."""
    if NUL in request.path:
        return "path"
    for name, value in request.COOKIES.items():
        if NUL in name or NUL in value:
            return f"cookie {name.replace(NUL, '?')}"
    sources = [request.GET]
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded", "multipart/form-data"
    ):
        sources.append(request.POST)
    for data in sources:
        for name, values in data.lists():
            if NUL in name or any(NUL in value for value in values):
                return name.replace(NUL, "?")
    if sources[1:]:
        for name, files in request.FILES.lists():
            if any(NUL in (upload.name or "") for upload in files):
                return name
    return None


class RejectNulMiddleware:
    """Answer 400 to a request with a NUL character in its path, a query parameter, a form
    field, an uploaded file's name or a cookie, naming it (JSON under /api/, text
    elsewhere), before any view, session or database lookup reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = _nul_in_request(request)
        if field is None:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({field: [NUL_PROBLEM]}, status=400)
        return HttpResponse(f"{field}: {NUL_PROBLEM}", status=400,
                            content_type="text/plain; charset=utf-8")


def find_unstorable(data) -> UnreadableInput | None:
    """The first problem in parsed JSON ``data``: nesting past MAX_JSON_DEPTH or a NUL in
    a key or string (its path, e.g. ``questions[0].reason``, is the field). Iterative, so
    the check itself cannot run out of stack."""
    stack = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return UnreadableInput(path or "body", f"nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(value, str):
            if NUL in value:
                return UnreadableInput(path or "body", NUL_PROBLEM)
        elif isinstance(value, dict):
            for key, item in value.items():
                inner = f"{path}.{key}" if path else str(key)
                if NUL in key:
                    return UnreadableInput(inner.replace(NUL, "?"), NUL_PROBLEM)
                stack.append((item, inner, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))
    return None


def load_json(raw: str | bytes):
    """``raw`` parsed as JSON, or UnreadableInput: not JSON, nested too deeply (Python's
    decoder would hit its recursion limit), or holding a NUL character."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise UnreadableInput("body", f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise UnreadableInput("body", f"is not valid JSON ({error})") from None
    problem = find_unstorable(data)
    if problem is not None:
        raise problem
    return data


class ProgramJSONParser(JSONParser):
    """DRF's JSON parser, answering 400 (not 500) to nesting that exhausts the decoder's
    recursion, and refusing NUL characters or absurd depth with the field's path."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"body: nested deeper than {MAX_JSON_DEPTH} levels") from None
        problem = find_unstorable(data)
        if problem is not None:
            raise ParseError(str(problem))
        return data

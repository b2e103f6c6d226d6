"""Who gets DRF's browsable (HTML) API: internal staff only.

The browsable API renders forms around the data — filter forms, raw-data forms — built
from querysets that do not pass through the scoping function. For a vendor user (or
anyone not internal) such a page could name other vendors, sites, agents or people, so
they get JSON only: ``?format=api`` and ``Accept: text/html`` are answered in JSON, with
the same status and body as a plain request (on an endpoint with other renderers, such as
the schema, in its first one, as if no format had been asked for).
"""

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer

BROWSABLE_FORMAT = "api"


def sees_browsable_api(user) -> bool:
    """Internal staff (program managers, auditors, admins) may browse the API in HTML."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active
                and user.is_internal)


class BrowsableAPIForStaffOnly(DefaultContentNegotiation):
    """DRF's default negotiation, without the browsable API for anyone but staff."""

    def select_renderer(self, request, renderers, format_suffix=None):
        # request.user authenticates the request here (session or token) if not yet done.
        if sees_browsable_api(request.user):
            return super().select_renderer(request, renderers, format_suffix)
        plain = [r for r in renderers if not isinstance(r, BrowsableAPIRenderer)]
        if not plain:
            return super().select_renderer(request, renderers, format_suffix)
        requested = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if requested == BROWSABLE_FORMAT:
            return plain[0], plain[0].media_type
        try:
            return super().select_renderer(request, plain, format_suffix)
        except NotAcceptable:  # e.g. "Accept: text/html" alone: answer in the default format
            return plain[0], plain[0].media_type

"""Content-Security-Policy and Permissions-Policy on every response (Django 5.2 has no
built-in CSP). The policies themselves live in settings (CONTENT_SECURITY_POLICY,
PERMISSIONS_POLICY); a view that sets its own header keeps it."""

from django.conf import settings


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        for header, policy in (("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY),
                               ("Permissions-Policy", settings.PERMISSIONS_POLICY)):
            if policy and header not in response:
                response[header] = policy
        return response

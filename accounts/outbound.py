"""Where the server may send a secret (an IdP's client secret, a help desk's API token): over
https anywhere, over plain http only to this machine and only where ``QA_PLAIN_HTTP_TO_LOCALHOST``
is on (with DEBUG, and in the tests, whose IdPs and help desks are servers on 127.0.0.1). In
production a manager cannot point the server at a plain-http service on its own host."""

from urllib.parse import urlsplit

from django.conf import settings

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def secret_may_travel_to(url: str) -> bool:
    parts = urlsplit(url or "")
    if parts.scheme == "https":
        return True
    return settings.QA_PLAIN_HTTP_TO_LOCALHOST and parts.hostname in LOCAL_HOSTS

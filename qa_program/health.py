"""/healthz: is the database reachable, is the broker reachable."""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, connection.vendor
    except Exception as exc:  # any failure means "not reachable"; say why
        return False, str(exc)


def broker_ok() -> tuple[bool, str]:
    if not settings.REDIS_URL:
        return True, "eager (no broker configured; tasks run in-process)"
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
        return True, "redis"
    except Exception as exc:
        return False, str(exc)


def healthz(request):
    db, db_detail = database_ok()
    broker, broker_detail = broker_ok()
    body = {
        "status": "ok" if db and broker else "error",
        "database": {"ok": db, "detail": db_detail},
        "broker": {"ok": broker, "detail": broker_detail},
    }
    return JsonResponse(body, status=200 if db and broker else 503)

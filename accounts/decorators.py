from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404


def role_required(*checks: str):
    """Allow a view to users for whom any of the named User properties is true, e.g.
    ``@role_required("is_manager")``; others get 403, anonymous users the login page."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not any(getattr(request.user, check) for check in checks):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


manager_required = role_required("is_manager")
internal_required = role_required("is_internal")


def internal_page(view):
    """Anonymous users go to the login page; vendor users get 404, because the page's data
    does not exist for them (the same answer as a guessed id of another vendor's object)."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_internal:
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapped

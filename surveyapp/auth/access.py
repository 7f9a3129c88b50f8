"""The one way views declare and check who may use them.

Every view carries a decision: :func:`public`, :func:`login_required` (any role) or :func:`roles_required`.
``create_app`` refuses to start if a route has none, so a new route cannot forget to decide. Services check the
acting user with :func:`require_role`.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort
from flask_login import current_user

from surveyapp.auth.models import Role, User
from surveyapp.errors import PermissionDenied

F = TypeVar("F", bound=Callable[..., Any])

#: Attribute set on a view function: ``"public"`` or a frozenset of roles.
ACCESS_ATTR = "_surveyapp_access"


def public(view: F) -> F:
    """Open to everyone, logged in or not."""
    setattr(view, ACCESS_ATTR, "public")
    return view


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Only logged-in users with one of ``roles``; others get 403, anonymous users the login page."""
    allowed = frozenset(roles)

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from surveyapp.extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapped, ACCESS_ATTR, allowed)
        return wrapped  # type: ignore[return-value]

    return decorator


def login_required(view: F) -> F:
    """Any logged-in user."""
    return roles_required(*Role)(view)


def require_role(actor: User | None, *roles: Role, because: object) -> None:
    """The services' check of who acts: ``actor`` has one of ``roles``, or is the system (``None``: the command
    line, a job).

    :param because: what only those roles may do, for the person refused ("Only the market department ...").
    :raise PermissionDenied: with ``because``.
    """
    if actor is not None and actor.role not in roles:
        raise PermissionDenied(because)


def check_every_route_decides(app: Flask) -> None:
    """:raise RuntimeError: naming each endpoint whose view declares no access decision."""
    missing = sorted(
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not hasattr(view, ACCESS_ATTR)
    )
    if missing:
        raise RuntimeError("routes without an access decision: " + ", ".join(missing))

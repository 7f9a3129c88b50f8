"""Domain exceptions raised by services; views turn them into messages and status codes."""


class DomainError(Exception):
    """Base: carries a message a person can act on (already translated or lazily translated)."""

    status = 400

    def __init__(self, message: object = "") -> None:
        super().__init__(str(message))
        self.message = message


class ValidationError(DomainError):
    """Input that breaks a rule; ``errors`` may list several problems (e.g. one per import row)."""

    status = 400

    def __init__(self, message: object = "", errors: list[str] | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.errors = list(errors or [])
        #: The form field the problem is about, when there is one.
        self.field = field


class PermissionDenied(DomainError):
    """The acting user may not do this."""

    status = 403


class NotFound(DomainError):
    """The object does not exist or the acting user may not know it exists."""

    status = 404


class InvalidTransition(DomainError):
    """The object is not in a state that allows this action."""

    status = 409


class Conflict(DomainError):
    """Someone else changed the object first, or a repeated request carries other content."""

    status = 409


class Unavailable(DomainError):
    """Something the request needs (the photo store) cannot be reached; the same request may work later."""

    status = 503

"""Typed errors of the public contract (../shared/API.md, "Errors").

Domain and adapter code raise these; one gateway middleware turns them into
``{"error": {"code", "message"}}`` bodies with the matching status. A new kind of failure gets a
subclass here, never an ad-hoc response in a handler.
"""
from __future__ import annotations


class RaygramError(Exception):
    status: int = 500
    code: str = "internal_error"
    default_message = "Something went wrong on our side."

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        self.headers = dict(headers or {})
        super().__init__(self.message)

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


class BadRequest(RaygramError):
    status, code, default_message = 400, "bad_request", "The request is malformed."


class Unauthorized(RaygramError):
    status, code, default_message = 401, "unauthorized", "A valid bearer token is required."


class InvalidCredentials(Unauthorized):
    """A failed login, whatever the reason: a wrong password, an unknown or impossible username
    look the same to the caller (no hints for guessing)."""
    code, default_message = "invalid_credentials", "Wrong username or password."


class Forbidden(RaygramError):
    status, code, default_message = 403, "forbidden", "You are not allowed to do this."


class NotFound(RaygramError):
    status, code, default_message = 404, "not_found", "No such resource."


class MethodNotAllowed(RaygramError):
    status, code, default_message = 405, "method_not_allowed", "This method is not allowed here."


class Conflict(RaygramError):
    status, code, default_message = 409, "conflict", "This conflicts with the current state."


class PayloadTooLarge(RaygramError):
    status, code, default_message = 413, "payload_too_large", "The request body is too large."


class UnsupportedMediaType(RaygramError):
    status, code, default_message = 415, "unsupported_media_type", "This media type is not supported."


class ValidationFailed(RaygramError):
    status, code, default_message = 422, "validation_failed", "The request is well-formed but invalid."


class _RetryAfter(RaygramError):
    def __init__(self, message: str | None = None, *, retry_after: int, code: str | None = None) -> None:
        # Retry-After is whole seconds; never 0, or clients would hammer us.
        self.retry_after = max(1, int(retry_after))
        super().__init__(message, code=code, headers={"Retry-After": str(self.retry_after)})


class RateLimited(_RetryAfter):
    status, code, default_message = 429, "rate_limited", "Too many requests; try again later."


class ServiceUnavailable(_RetryAfter):
    status, code, default_message = 503, "service_unavailable", "A backing service is unavailable."

    def __init__(self, service: str, *, retry_after: int = 5) -> None:
        self.service = service
        super().__init__(f"The {service} service is unavailable; try again shortly.", retry_after=retry_after)

"""The one place where failures become the contract's error bodies.

Typed ``RaygramError``s carry their own status and code; aiohttp's own HTTP errors (unknown route,
wrong method, body too large) are mapped to the same shape; a backing service that cannot be
reached becomes a 503 naming it; anything else is logged and answered with a plain 500 that
carries no stack trace.
"""
from __future__ import annotations

import asyncio
import logging

import botocore.exceptions
import elastic_transport
import neo4j.exceptions
import ray.exceptions
import redis.exceptions
from aiohttp import web

from core import errors

log = logging.getLogger(__name__)

_HTTP_TO_ERROR: dict[int, type[errors.RaygramError]] = {
    400: errors.BadRequest,
    401: errors.Unauthorized,
    403: errors.Forbidden,
    404: errors.NotFound,
    405: errors.MethodNotAllowed,
    413: errors.PayloadTooLarge,
    415: errors.UnsupportedMediaType,
    422: errors.ValidationFailed,
}

# Exceptions that mean "this backing service is unreachable", not "the request is wrong".
_UNAVAILABLE: tuple[tuple[str, tuple[type[BaseException], ...]], ...] = (
    # OutOfMemoryError: Redis at its maxmemory refuses writes (noeviction) until memory is freed.
    ("redis", (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, redis.exceptions.OutOfMemoryError)),
    ("neo4j", (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired)),
    ("elasticsearch", (elastic_transport.ConnectionError, elastic_transport.ConnectionTimeout)),
    ("s3", (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError,
            botocore.exceptions.ReadTimeoutError)),
    ("ray", (ray.exceptions.RayActorError, ray.exceptions.GetTimeoutError)),
)


# S3 answers that mean its side is broken (a missing bucket, an outage), not the request.
_S3_UNAVAILABLE_CODES = {"NoSuchBucket", "ServiceUnavailable", "SlowDown", "InternalError", "XMinioServerNotInitialized"}


def unavailable_service(exc: BaseException) -> str | None:
    if isinstance(exc, botocore.exceptions.ClientError) and \
            exc.response.get("Error", {}).get("Code") in _S3_UNAVAILABLE_CODES:
        return "s3"
    for service, types in _UNAVAILABLE:
        if isinstance(exc, types):
            return service
    return None


def error_response(err: errors.RaygramError) -> web.Response:
    return web.json_response(err.body(), status=err.status, headers=err.headers)


@web.middleware
async def error_middleware(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except errors.RaygramError as err:
        return error_response(err)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        cls = _HTTP_TO_ERROR.get(exc.status)
        if cls is None:
            err = errors.RaygramError(exc.reason, code=exc.reason.lower().replace(" ", "_"))
            err.status = exc.status
        else:
            err = cls()
        if "Allow" in exc.headers:
            # A 405 must say which methods the resource has (RFC 9110); aiohttp computed them.
            err.headers["Allow"] = exc.headers["Allow"]
        return error_response(err)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        service = unavailable_service(exc)
        if service is not None:
            log.warning("%s unavailable during %s %s: %r", service, request.method, request.path, exc)
            return error_response(errors.ServiceUnavailable(service))
        log.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(errors.RaygramError())

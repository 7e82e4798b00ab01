import json

import neo4j.exceptions
import redis.exceptions

from core import errors
from gateway.middleware import error_response, unavailable_service


def test_every_error_renders_the_contract_body():
    err = errors.ValidationFailed("username must be 3-30 characters")
    assert err.status == 422
    assert err.body() == {"error": {"code": "validation_failed", "message": "username must be 3-30 characters"}}


def test_a_specific_code_can_replace_the_default():
    err = errors.RateLimited("daily upload quota reached", code="quota_exceeded", retry_after=3600)
    assert (err.status, err.code) == (429, "quota_exceeded")
    assert err.headers == {"Retry-After": "3600"}


def test_retry_after_is_never_zero():
    assert errors.RateLimited(retry_after=0).headers["Retry-After"] == "1"


def test_service_unavailable_names_the_service_and_asks_to_retry():
    resp = error_response(errors.ServiceUnavailable("neo4j"))
    assert resp.status == 503
    assert resp.headers["Retry-After"] == "5"
    body = json.loads(resp.body)
    assert body["error"]["code"] == "service_unavailable"
    assert "neo4j" in body["error"]["message"]


def test_connection_failures_are_attributed_to_their_service():
    assert unavailable_service(redis.exceptions.ConnectionError("refused")) == "redis"
    assert unavailable_service(neo4j.exceptions.ServiceUnavailable("down")) == "neo4j"
    assert unavailable_service(ValueError("bad input")) is None


def test_a_failed_login_looks_the_same_whatever_the_reason():
    err = errors.InvalidCredentials()
    assert (err.status, err.code) == (401, "invalid_credentials")
    assert err.body() == errors.InvalidCredentials().body()
    assert isinstance(err, errors.Unauthorized)

import re

import jsonschema
import pytest
from aiohttp import web

from core.config import load_settings
from gateway import schemas
from gateway.app import create_app
from gateway.middleware import error_middleware
from gateway.openapi import build_spec, describe


async def _list_followers(request):
    """List an account's followers."""


@describe(public=True, requestBody=schemas.json_body("NewAccount"), responses=schemas.responses({201: "Session"}, 409))
async def _create_account(request):
    """Create an account."""


def test_the_spec_lists_each_route_with_its_summary_and_auth():
    app = web.Application()
    app.router.add_get("/api/v1/users/{username}/followers", _list_followers)
    app.router.add_post("/api/v1/accounts", _create_account)
    spec = build_spec(app)

    followers = spec["paths"]["/api/v1/users/{username}/followers"]["get"]
    assert followers["summary"] == "List an account's followers."
    assert followers["security"] == [{"bearer": []}]
    assert followers["parameters"][0]["name"] == "username"
    assert "401" in followers["responses"] and "503" in followers["responses"]

    create = spec["paths"]["/api/v1/accounts"]["post"]
    assert "security" not in create and "401" not in create["responses"]
    assert {"201", "409", "503"} <= set(create["responses"])
    assert "default" not in create["responses"]    # a contract lists what it answers, no catch-all


def test_a_path_parameter_without_a_schema_is_refused():
    app = web.Application()
    app.router.add_get("/api/v1/things/{thing_id}", _list_followers)
    with pytest.raises(ValueError, match="thing_id"):
        build_spec(app)


@pytest.fixture(scope="module")
def spec():
    # create_app only registers routes and contexts; nothing is started or connected.
    return build_spec(create_app(load_settings()))


def _operations(spec):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            yield f"{method.upper()} {path}", op


def _refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_every_operation_documents_its_responses_with_schemas(spec):
    for name, op in _operations(spec):
        assert "default" not in op["responses"], name
        for status, response in op["responses"].items():
            if status in ("101", "204"):
                assert "content" not in response, name
                continue
            content = response.get("content")
            assert content, f"{name} {status} has no body schema"
            assert all("schema" in media for media in content.values()), f"{name} {status}"
            if status.startswith(("4", "5")) and name != "GET /readyz":
                assert content["application/json"]["schema"] == schemas.ref("Error"), f"{name} {status}"


def test_every_success_body_of_the_api_is_a_named_component(spec):
    for name, op in _operations(spec):
        if not name.split(" ", 1)[1].startswith("/api/v1/") or name.endswith("openapi.json"):
            continue
        for status, response in op["responses"].items():
            if status.startswith("2") and status != "204":
                assert response["content"]["application/json"]["schema"]["$ref"].startswith("#/components/"), name


def test_every_path_parameter_has_a_pattern_and_ids_stay_in_int64(spec):
    for name, op in _operations(spec):
        for param in op.get("parameters", []):
            if param["in"] == "path":
                assert param["required"] and param["schema"].get("pattern"), f"{name} {param['name']}"
    ids = re.compile(schemas.ID_PATTERN)
    assert ids.search("1") and ids.search("9223372036854775807") and ids.search("0000000000000000042")
    assert not ids.search("9223372036854775808") and not ids.search("99999999999999999999")
    assert not ids.search("²") and not ids.search("-1") and not ids.search("")


def test_operation_ids_are_unique(spec):
    ids = [op["operationId"] for _, op in _operations(spec)]
    assert len(ids) == len(set(ids))


def test_authenticated_operations_declare_the_bearer_scheme_and_401(spec):
    public = {"POST /api/v1/accounts", "POST /api/v1/sessions", "GET /healthz", "GET /readyz", "GET /metrics",
              "GET /api/v1/openapi.json",
              # A media URL, which "works for a client without the bearer token" (an <img> sends none).
              "GET /avatars/{avatar_id}/{variant}"}
    for name, op in _operations(spec):
        if name in public:
            assert "security" not in op, name
        else:
            assert op["security"] == [{"bearer": []}] and "401" in op["responses"], name


def test_rate_limited_and_unavailable_answers_carry_retry_after(spec):
    for name, op in _operations(spec):
        for status in ("429", "503"):
            if status in op["responses"]:
                assert op["responses"][status]["headers"]["Retry-After"]["required"], f"{name} {status}"


def test_every_reference_resolves_and_every_component_is_a_valid_schema(spec):
    components = spec["components"]["schemas"]
    for target in set(_refs(spec)):
        assert target.startswith("#/components/schemas/") and target.rsplit("/", 1)[1] in components, target
    for name, schema in components.items():
        jsonschema.Draft202012Validator.check_schema(schema)


def _validator(spec, component):
    schema = {**spec["components"]["schemas"][component], "components": spec["components"]}
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_rendered_views_validate_and_drift_does_not(spec):
    from gateway.views import post_view, user_view
    user = user_view({"id": 7, "username": "ada", "created_at": 1_700_000_000_000})
    assert _validator(spec, "User").is_valid(user)
    assert not _validator(spec, "User").is_valid({**user, "followers_count": None})
    assert not _validator(spec, "User").is_valid({k: v for k, v in user.items() if k != "bio"})
    post = post_view({"id": 9, "author": {"id": 7, "username": "ada"}, "created_at": 1_700_000_000_000,
                      "media": [{"id": 10, "width": 4, "height": 3, "content_type": "image/png",
                                 "keys": ["a", "b", "c", "d"]}]},
                     {"a": "u1", "b": "u2", "c": "u3", "d": "u4"})
    assert _validator(spec, "Post").is_valid(post)
    assert not _validator(spec, "Post").is_valid({**post, "media": []})


@pytest.mark.parametrize("text, ok", [("Ada", True), ("  Ada  ", True), ("a b\nc", True), ("", False),
                                      ("   ", False), ("a\tb", False), ("a\x00", False), ("x" * 64, True),
                                      ("x" * 65, False), (" " * 100 + "x" * 64, True)])
def test_display_name_pattern_matches_what_validation_accepts(text, ok):
    from core import validation
    from core.errors import ValidationFailed
    assert bool(re.search(schemas.DISPLAY_NAME["pattern"], text)) is ok
    try:
        validation.display_name(text)
        accepted = True
    except ValidationFailed:
        accepted = False
    assert accepted is ok


async def test_a_405_names_the_allowed_methods(aiohttp_client):
    app = web.Application(middlewares=[error_middleware])
    app.router.add_put("/thing", _list_followers)
    app.router.add_delete("/thing", _list_followers)
    client = await aiohttp_client(app)
    resp = await client.post("/thing")
    assert resp.status == 405
    assert set(resp.headers["Allow"].split(",")) == {"PUT", "DELETE"}
    assert (await resp.json())["error"]["code"] == "method_not_allowed"


def test_whitespace_in_patterns_is_what_strip_removes():
    assert set(schemas.WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


@pytest.mark.parametrize("q, ok", [("a", True), ("@a", True), ("@ @", True), ("@@", False), ("  @", False),
                                   ("\x1d@\x85\x1c\x0c", False), ("\x1d\x0c\t\t\r", False), ("@" + "b" * 256, True),
                                   ("b" * 257, False)])
def test_user_query_pattern_matches_what_search_accepts_in_both_regex_engines(q, ok):
    import jsonschema_rs

    from core.errors import ValidationFailed
    from search.queries import parse_user_query
    pattern = schemas.Q_USERS["schema"]["pattern"]
    assert bool(re.search(pattern, q)) is ok
    assert jsonschema_rs.validator_for({"type": "string", "pattern": pattern}).is_valid(q) is ok
    try:
        parse_user_query(q)
        accepted = True
    except ValidationFailed:
        accepted = False
    assert accepted is ok


@pytest.mark.parametrize("tag", ["cafe", "café", "日本", "2024", "a2024", "_x", "#abc", "##x", "²", "²a", "a²",
                                 "Ⅳ", "五", "x" * 100, "x" * 101, "a-b", ""])
def test_tag_pattern_matches_what_search_accepts_in_both_regex_engines(tag):
    import jsonschema_rs

    from core.errors import ValidationFailed
    from search.queries import parse_tag
    try:
        parse_tag(tag)
        accepted = True
    except ValidationFailed:
        accepted = False
    pattern = schemas.TAG["pattern"]
    assert bool(re.search(pattern, tag)) is accepted
    assert jsonschema_rs.validator_for({"type": "string", "pattern": pattern}).is_valid(tag) is accepted

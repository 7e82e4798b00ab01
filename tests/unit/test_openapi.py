from aiohttp import web

from gateway.openapi import build_spec, describe


async def _list_followers(request):
    """List an account's followers."""


@describe(public=True, responses={"201": {"description": "created"}})
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

    create = spec["paths"]["/api/v1/accounts"]["post"]
    assert "security" not in create
    assert "201" in create["responses"] and "default" in create["responses"]

import pytest

from core import cursors, validation
from core.errors import BadRequest, InvalidCredentials, ValidationFailed
from gateway.views import rfc3339, user_view


def test_a_cursor_round_trips_and_looks_opaque():
    token = cursors.encode(1234567890123456789)
    assert token.isascii() and "1234567890123456789" not in token
    assert cursors.decode(token) == (1234567890123456789,)


@pytest.mark.parametrize("bad", ["garbage!!", "e30", cursors.encode(1, 2), "W1wiYVwiXQ"])
def test_foreign_cursors_are_a_clean_400(bad):
    with pytest.raises(BadRequest):
        cursors.decode(bad)


def test_page_reports_a_next_cursor_only_when_more_exist():
    rows = [{"k": k} for k in (9, 8, 7)]
    assert cursors.page(rows, 2, key=lambda r: (r["k"],)) == {"items": rows[:2], "next_cursor": cursors.encode(8)}
    assert cursors.page(rows[:2], 2, key=lambda r: (r["k"],))["next_cursor"] is None


@pytest.mark.parametrize("value,expected", [(None, 20), ("", 20), ("1", 1), ("100", 100)])
def test_limit_defaults_to_20_and_caps_at_100(value, expected):
    assert cursors.parse_limit(value) == expected


@pytest.mark.parametrize("value", ["0", "101", "-1", "ten", " 5", "1_0", "\u0665", "\u00b2", "0" * 5000 + "1", "1e2"])
def test_out_of_range_limits_are_refused(value):
    with pytest.raises(ValidationFailed):
        cursors.parse_limit(value)


def test_usernames_are_lower_cased():
    assert validation.normalize_username(" Ada.Lovelace_1 ") == "ada.lovelace_1"


def test_profile_text_is_normalised_and_control_characters_refused():
    assert validation.profile_patch({"bio": "  cafe\u0301 "}) == {"bio": "café"}
    with pytest.raises(ValidationFailed):
        validation.profile_patch({"bio": "bell\x07"})


def test_login_normalises_the_username_but_not_the_password():
    assert validation.credentials({"username": " Ada ", "password": "x"}, new_account=False) == ("ada", "x")


@pytest.mark.parametrize("username,password", [("Not Valid!", "x"), ("a" * 31, "x"), ("a" * 100_000, "x"),
                                                ("ada", "x" * 257), ("ad", "x")])
def test_impossible_logins_are_simply_wrong_before_any_lookup(username, password):
    with pytest.raises(InvalidCredentials) as info:
        validation.credentials({"username": username, "password": password}, new_account=False)
    assert (info.value.status, info.value.code) == (401, "invalid_credentials")


def test_user_view_renders_ids_as_strings_and_times_in_rfc3339():
    view = user_view({"id": 42, "username": "ada", "created_at": 1_704_067_200_123})
    assert view["id"] == "42" and view["display_name"] == "ada"
    assert view["created_at"] == "2024-01-01T00:00:00.123Z" == rfc3339(1_704_067_200_123)
    assert "relationship" not in view


def test_a_caption_patch_is_checked_as_a_caption_at_upload():
    assert validation.caption_patch({"caption": "  hi #there "}) == "hi #there"
    assert validation.caption_patch({"caption": ""}) == ""
    for body, error in (([], BadRequest), ({}, ValidationFailed), ({"caption": 3}, ValidationFailed),
                        ({"caption": "x" * 2201}, ValidationFailed), ({"caption": "a\x00b"}, ValidationFailed)):
        with pytest.raises(error):
            validation.caption_patch(body)


def test_an_account_deletion_is_confirmed_by_a_password_string():
    assert validation.password_confirmation({"password": "correct horse"}) == "correct horse"
    for body, error in (("x", BadRequest), ({}, ValidationFailed), ({"password": ""}, ValidationFailed),
                        ({"password": 12345678}, ValidationFailed)):
        with pytest.raises(error):
            validation.password_confirmation(body)


def test_a_username_tombstone_holds_a_digest_never_the_name():
    from graph.erasure import username_hash
    assert username_hash("ada") == username_hash("ada") != username_hash("ada_")
    assert "ada" not in username_hash("ada") and len(username_hash("ada")) == 64

"""API tokens expire, are revoked by a password change or a deactivation, and their owner
lists and revokes them (issue 17, item 10: DRF's tokens never expired and survived a
password change)."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.test import APIClient

from access.models import ApiToken
from access.services import token_issue
from core.audited import set_reason


def _login(api, username="fed_staff", **extra):
    response = api.post(
        "/api/v1/auth/token/", {"username": username, "password": "pw-test-123", **extra}
    )
    assert response.status_code == 200, response.content
    return response.json()


def _client(key) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _refused(response, code=None):
    assert response.status_code in (401, 403), response.content
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}
    if code:
        assert body["code"] == code
    return body


def _age(token: ApiToken, days: float):
    token.last_used_at = timezone.now() - timedelta(days=days)
    set_reason(token, "test: aged").save()


def test_login_answers_a_key_shown_once_and_stored_only_as_its_digest(api, users):
    body = _login(api, name="laptop")
    token = ApiToken.objects.get(pk=body["id"])
    assert token.name == "laptop"
    assert token.user == users["federation_staff"]
    assert body["token"] not in (token.digest, token.prefix)
    assert body["token"].startswith(token.prefix)
    assert _client(body["token"]).get("/api/v1/me/").json()["username"] == "fed_staff"
    assert body["expires_at"]


def test_each_login_issues_its_own_token(api, users):
    first, second = _login(api), _login(api)
    assert first["token"] != second["token"]
    assert _client(first["token"]).get("/api/v1/me/").status_code == 200
    assert _client(second["token"]).get("/api/v1/me/").status_code == 200


def test_a_token_unused_for_30_days_has_expired(api, users, settings):
    assert settings.API_TOKEN_IDLE_DAYS == 30
    body = _login(api)
    token = ApiToken.objects.get(pk=body["id"])
    _age(token, 29.9)
    assert _client(body["token"]).get("/api/v1/me/").status_code == 200  # and moved on
    token.refresh_from_db()
    assert timezone.now() - token.last_used_at < timedelta(minutes=1)
    _age(token, 30.01)
    _refused(_client(body["token"]).get("/api/v1/me/"), "token_expired")


@override_settings(API_TOKEN_IDLE_DAYS=1)
def test_the_idle_expiry_is_configurable(api, users):
    body = _login(api)
    _age(ApiToken.objects.get(pk=body["id"]), 1.01)
    _refused(_client(body["token"]).get("/api/v1/me/"), "token_expired")


def test_use_is_recorded_at_most_hourly(users):
    token, key = token_issue(user=users["auditor"])
    history = token.history.count()
    client = _client(key)
    client.get("/api/v1/me/")
    client.get("/api/v1/me/")
    assert token.history.count() == history  # used within the hour: nothing written
    _age(token, 0.5)
    history = token.history.count()
    client.get("/api/v1/me/")
    client.get("/api/v1/me/")
    assert token.history.count() == history + 1
    assert token.history.first().history_change_reason == gettext("used")
    assert token.history.first().history_user == users["auditor"]


def test_a_password_change_revokes_every_token(api, users):
    user = users["federation_staff"]
    keys = [_login(api)["token"], _login(api)["token"]]
    user.set_password("a-new-password-456")
    set_reason(user, "password reset").save()
    for key in keys:
        _refused(_client(key).get("/api/v1/me/"), "invalid_token")
    revoked = ApiToken.objects.filter(user=user)
    assert all(t.revoked_at for t in revoked)
    assert revoked.first().history.first().history_change_reason == gettext("password changed")
    assert _login(api, password="a-new-password-456")["token"]  # a new login works


def test_a_deactivation_revokes_every_token_and_reactivation_revives_none(api, users):
    user = users["federation_staff"]
    key = _login(api)["token"]
    user.is_active = False
    set_reason(user, "left the federation").save()
    _refused(_client(key).get("/api/v1/me/"))
    user.is_active = True
    set_reason(user, "back").save()
    _refused(_client(key).get("/api/v1/me/"), "invalid_token")
    assert ApiToken.objects.get(user=user).history.first().history_change_reason == gettext(
        "user deactivated"
    )


def test_saving_a_user_otherwise_leaves_its_tokens_alone(api, users):
    user = users["federation_staff"]
    key = _login(api)["token"]
    user.first_name = "改名"
    set_reason(user, "renamed").save()
    assert _client(key).get("/api/v1/me/").status_code == 200


def test_a_user_lists_its_own_live_tokens(api, users, django_assert_num_queries):
    mine = [_login(api, name=f"t{i}") for i in range(3)]
    _login(api, username="auditor_city")  # someone else's
    expired = ApiToken.objects.get(pk=mine[0]["id"])
    _age(expired, 31)
    client = _client(mine[2]["token"])
    client.get("/api/v1/me/")
    with django_assert_num_queries(3):  # the token (and its user), the count, the page
        response = client.get("/api/v1/auth/tokens/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["id"] for r in rows] == [mine[2]["id"], mine[1]["id"]]
    assert [r["current"] for r in rows] == [True, False]
    assert set(rows[0]) == {
        "id",
        "name",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "current",
    }
    assert all(mine[2]["token"] not in str(r.values()) for r in rows)


def test_a_user_revokes_its_own_token_and_not_anyone_elses(api, users):
    mine = _login(api)
    theirs = _login(api, username="auditor_city")
    client = _client(mine["token"])
    response = client.delete(f"/api/v1/auth/tokens/{theirs['id']}/")
    assert response.status_code == 404
    assert response.json()["code"] == "token_not_found"
    assert _client(theirs["token"]).get("/api/v1/me/").status_code == 200
    other = _login(api)
    assert client.delete(f"/api/v1/auth/tokens/{other['id']}/").status_code == 204
    _refused(_client(other["token"]).get("/api/v1/me/"), "invalid_token")
    assert client.delete(f"/api/v1/auth/tokens/{other['id']}/").status_code == 404
    assert client.delete(f"/api/v1/auth/tokens/{mine['id']}/").status_code == 204  # log out
    _refused(client.get("/api/v1/me/"))
    record = ApiToken.objects.get(pk=other["id"]).history.first()
    assert record.history_user == users["federation_staff"]
    assert record.history_change_reason == gettext("revoked by its owner")


@pytest.mark.parametrize("header", ["Token nonsense", "Token ", "Token a b"])
def test_a_bad_token_is_refused_in_the_error_shape(header, db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    _refused(client.get("/api/v1/me/"))

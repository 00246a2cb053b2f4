"""One JSON error shape for every 4xx under /api/."""

import pytest

SHAPE = {"code", "detail", "fields"}


def test_unknown_api_url_is_json_404(client_for, users):
    response = client_for(users["admin"]).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert set(response.json()) == SHAPE


@pytest.mark.parametrize(
    "query,field",
    [("level=planet", "level"), ("parent=abc", "parent"), ("within=999999", "within")],
)
def test_bad_filters_name_the_field(client_for, users, query, field):
    response = client_for(users["admin"]).get(f"/api/v1/regions/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == SHAPE
    assert field in body["fields"]
    assert field in body["detail"]


def test_bad_page_is_404_in_shape(client_for, users):
    response = client_for(users["admin"]).get("/api/v1/regions/?page=999")
    assert response.status_code == 404
    assert set(response.json()) == SHAPE


def test_write_to_read_only_endpoint_is_405_in_shape(client_for, users):
    response = client_for(users["admin"]).post("/api/v1/regions/", {"name": "x"})
    assert response.status_code == 405
    assert set(response.json()) == SHAPE


def test_malformed_json_is_400_in_shape(client_for, users):
    response = client_for(users["admin"]).post(
        "/api/v1/auth/token/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()) == SHAPE


def test_wrong_type_is_400_naming_the_field(api, db):
    response = api.post("/api/v1/auth/token/", {"username": ["a", "b"], "password": "x"})
    assert response.status_code == 400
    assert "username" in response.json()["fields"]


def test_messages_are_english_on_request(client_for, users):
    response = client_for(users["admin"]).get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["detail"] == "Not found."
    chinese = client_for(users["admin"]).get("/api/v1/no-such-thing/")
    assert chinese.json()["detail"] != "Not found."

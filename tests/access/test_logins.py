"""A login is recorded in the login record (axes' access log), not as a change of the user."""

from axes.models import AccessLog as LoginRecord

from core.audited import set_reason


def test_a_login_writes_no_history_but_a_login_record(client, users):
    user = users["auditor"]
    user.is_staff = True
    user.set_password("a-long-password-2026")
    set_reason(user, "staff").save()
    versions = user.history.count()
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": user.username, "password": "a-long-password-2026"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.last_login is not None
    assert user.history.count() == versions
    assert LoginRecord.objects.filter(username=user.username).exists()


def test_force_login_keeps_last_login_without_a_version(client, users):
    user = users["finance_town"]
    versions = user.history.count()
    client.force_login(user)
    user.refresh_from_db()
    assert user.last_login is not None
    assert user.history.count() == versions

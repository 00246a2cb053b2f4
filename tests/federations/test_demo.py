"""The demo data: idempotent, and the target report shows met and unmet targets."""

from django.core.management import call_command

from federations import demo
from federations.eligibility import custody_eligibility, transferred_function_eligibility
from federations.models import Federation, Membership, Organization, Region
from federations.reports import MET_KEYS, target_progress


def test_demo_is_idempotent_and_mixed(db, capsys):
    call_command("seed_demo")  # the logins need places["federation"] and ["organization"]
    out = capsys.readouterr().out
    assert "federation" in out and "orgrep" in out
    places = demo.load()
    counts = (Organization.objects.count(), Federation.objects.count(), Membership.objects.count())
    again = demo.load()
    assert counts == (
        Organization.objects.count(),
        Federation.objects.count(),
        Membership.objects.count(),
    )
    assert again["federation"] == places["federation"]
    assert again["organization"] == places["organization"]

    org, fed = places["organization"], places["federation"]
    assert custody_eligibility(federation=fed, organization=org).ok
    assert transferred_function_eligibility(organization=org).ok

    rows = target_progress(Region.objects.get(level="city"))
    townships = [r for r in rows if r["level"] == "township"]
    for key in MET_KEYS:
        values = {r[key] for r in townships}
        assert True in values and False in values, key

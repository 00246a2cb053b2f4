"""PostgreSQL only: no two membership periods of one organization in one federation overlap.

Periods are half-open, [joined_on, left_on): an organization may leave on a day and
rejoin the same day. SQLite (the demo) relies on Membership.clean() and the unique
constraint on open memberships.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE federations_membership ADD CONSTRAINT membership_periods_do_not_overlap
EXCLUDE USING gist (
    federation_id WITH =,
    organization_id WITH =,
    daterange(joined_on, left_on, '[)') WITH &&
);
"""

DROP = "ALTER TABLE federations_membership DROP CONSTRAINT IF EXISTS membership_periods_do_not_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("federations", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]

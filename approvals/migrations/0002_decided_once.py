"""The database keeps a request decided once: a decided request never changes again, and
what was submitted (kind, object, amount, submitter, creator, scope, rule, times) never
changes at all (the inbox's requirement rows keep copies of it)."""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION approvals_request_guard() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'approvals: request % is never deleted', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.state <> 'pending' AND NEW IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION 'approvals: request % is already %: decided once', OLD.id, OLD.state
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF (NEW.kind, NEW.owner_type, NEW.owner_id, NEW.amount, NEW.submitter_id, NEW.rule::text,
        NEW.submitted_at, NEW.due_at, NEW.policy_id, NEW.created_by_id, NEW.scope_region_id)
       IS DISTINCT FROM
       (OLD.kind, OLD.owner_type, OLD.owner_id, OLD.amount, OLD.submitter_id, OLD.rule::text,
        OLD.submitted_at, OLD.due_at, OLD.policy_id, OLD.created_by_id, OLD.scope_region_id) THEN
        RAISE EXCEPTION 'approvals: what request % was submitted with never changes', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$fn$;
DROP TRIGGER IF EXISTS approvals_request_guard ON approvals_approvalrequest;
CREATE TRIGGER approvals_request_guard
    BEFORE UPDATE OR DELETE ON approvals_approvalrequest
    FOR EACH ROW EXECUTE FUNCTION approvals_request_guard();
"""

REVERSE = """
DROP TRIGGER IF EXISTS approvals_request_guard ON approvals_approvalrequest;
DROP FUNCTION IF EXISTS approvals_request_guard();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]

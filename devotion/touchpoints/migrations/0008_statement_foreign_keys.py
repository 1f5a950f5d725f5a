"""PostgreSQL: the busiest foreign keys checked once per statement instead of once per row.

A foreign key constraint checks each inserted row on its own: a 1M-row order import ran
~900,000 such checks (touchpoint -> person, identity -> person, touchpoint -> staff member),
a quarter of the server's time (docs/benchmarks.md, 11th set). Here each of those
constraints is replaced by two statement-level triggers that keep the same promise:

- on the child table, after each INSERT or UPDATE statement: every parent the statement's
  rows name exists, and is locked as a foreign key check locks it (``FOR KEY SHARE``) so
  that nobody can delete it before this transaction ends. A parent row this transaction
  wrote itself (``age(xmin) = 0``: inserted or updated by it) cannot be deleted by anyone
  else before it commits, so it is only counted, not locked again.
- on the parent table, after each DELETE statement: no child row names a deleted parent.
  Under READ COMMITTED (Django's default, and Devotion's) each query of a trigger function
  sees what committed before it began, so a child a concurrent transaction committed while
  this one waited for its lock is seen, and the delete fails as with the constraint.

Checks run at the end of each statement, not at commit (Django's constraints are deferred):
Devotion writes a parent before its children and deletes children first (Django's deletion
collector orders them so). Primary keys are never updated, so the parent side has no
UPDATE trigger. SQLite keeps its constraints: it has one writer at a time and no statement
triggers with transition tables. The models still declare the constraints (``db_constraint``
stays True), so a later migration that alters one of these fields may put the constraint
back on PostgreSQL: tests/test_foreign_keys.py fails then.
"""

from django.db import migrations

# (child table, column, parent table)
CHECKED = [
    ("touchpoints_touchpoint", "person_id", "people_person"),
    ("touchpoints_touchpoint", "staff_id", "team_staffmember"),
    ("people_identity", "person_id", "people_person"),
]


def _name(child: str, column: str) -> str:
    return f"{child}_{column}"


def _install(child: str, column: str, parent: str) -> str:
    name = _name(child, column)
    violation = (
        f"RAISE foreign_key_violation USING MESSAGE = "
        f"'{{message}}', DETAIL = '{{detail}}'"
    )
    missing = violation.format(
        message=f'insert or update on table "{child}" violates foreign key "{name}"',
        detail=f'A key ({column}) is not present in table "{parent}".',
    )
    referenced = violation.format(
        message=f'delete on table "{parent}" violates foreign key "{name}" on table "{child}"',
        detail=f'A deleted key is still referenced from table "{child}".',
    )
    return f"""
DO $$
DECLARE c text;
BEGIN
    FOR c IN
        SELECT con.conname FROM pg_constraint AS con
        JOIN pg_attribute AS att ON att.attrelid = con.conrelid AND att.attnum = con.conkey[1]
        WHERE con.conrelid = '{child}'::regclass AND con.contype = 'f'
            AND att.attname = '{column}'
    LOOP
        EXECUTE 'ALTER TABLE {child} DROP CONSTRAINT ' || quote_ident(c);
    END LOOP;
END $$;

CREATE FUNCTION {name}_exists() RETURNS trigger LANGUAGE plpgsql AS $f$
DECLARE
    named bigint[];
    found bigint;
BEGIN
    SELECT array_agg(DISTINCT {column}) INTO named FROM new_rows WHERE {column} IS NOT NULL;
    IF named IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO found FROM {parent} WHERE id = ANY (named) AND age(xmin) = 0;
    SELECT found + count(*) INTO found FROM (
        SELECT FROM {parent} WHERE id = ANY (named) AND age(xmin) <> 0 FOR KEY SHARE
    ) AS locked;
    IF found < cardinality(named) THEN
        {missing};
    END IF;
    RETURN NULL;
END $f$;

CREATE TRIGGER {name}_ins AFTER INSERT ON {child} REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {name}_exists();
CREATE TRIGGER {name}_upd AFTER UPDATE ON {child} REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {name}_exists();

CREATE FUNCTION {name}_unreferenced() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    IF EXISTS (SELECT FROM {child} WHERE {column} IN (SELECT id FROM old_rows)) THEN
        {referenced};
    END IF;
    RETURN NULL;
END $f$;

CREATE TRIGGER {name}_del AFTER DELETE ON {parent} REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {name}_unreferenced();
"""


def _uninstall(child: str, column: str, parent: str) -> str:
    name = _name(child, column)
    return f"""
DROP TRIGGER {name}_ins ON {child};
DROP TRIGGER {name}_upd ON {child};
DROP TRIGGER {name}_del ON {parent};
DROP FUNCTION {name}_exists();
DROP FUNCTION {name}_unreferenced();
ALTER TABLE {child} ADD CONSTRAINT {name}_fk FOREIGN KEY ({column}) REFERENCES {parent} (id)
    DEFERRABLE INITIALLY DEFERRED;
"""


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for checked in CHECKED:
            schema_editor.execute(_install(*checked))


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for checked in CHECKED:
            schema_editor.execute(_uninstall(*checked))


class Migration(migrations.Migration):
    dependencies = [
        ("touchpoints", "0007_orderline_without_db_constraint"),
        ("people", "0004_identity_value_first"),
        ("team", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

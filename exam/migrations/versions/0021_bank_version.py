"""The question bank's version: a counter database triggers move at every change to what
papers are drawn from (issue 19)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07

Each app process keeps the question pool while the bank does not change. The old check (an
aggregate of counts, sums and the latest ``updated_at``) trusted the writing host's clock and
the order of commits: a question retired on a host whose clock is behind another's, or by a
transaction that committed after a later-stamped one, left every process drawing it. The
counter is moved by triggers in the changing transaction itself, so whoever reads it after
the commit sees the change.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

#: table -> the changes that matter to drawing (an UPDATE only of these columns, if given).
WATCHED = {
    'question': ('status', 'usage', 'current_version_id'),
    'question_version': ('kind', 'difficulty', 'options'),  # what the pool reads of one
    'question_topic': None,
    'question_sector': None,
    'topic': None,
}
BUMP = (
    "INSERT INTO bank_version (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = bank_version.version + 1"
)


def upgrade():
    op.create_table(
        'bank_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_version')),
    )
    op.execute("INSERT INTO bank_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == 'postgresql':
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _postgresql_triggers():
    op.execute(
        "CREATE FUNCTION anpei_bank_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {BUMP}; RETURN NULL; END $$"
    )
    for table, columns in WATCHED.items():
        update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
        # Once per statement: an import of a thousand questions moves the counter once.
        op.execute(
            f"CREATE TRIGGER {table}_bank_changed AFTER INSERT OR DELETE OR {update} OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION anpei_bank_changed()"
        )


def _sqlite_triggers():
    for table, columns in WATCHED.items():
        for event in ('INSERT', 'DELETE', f"UPDATE OF {', '.join(columns)}" if columns else 'UPDATE'):
            name = f"{table}_bank_changed_{event.split()[0].lower()}"
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {BUMP}; END")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in WATCHED:
            op.execute(f"DROP TRIGGER {table}_bank_changed ON {table}")
        op.execute("DROP FUNCTION anpei_bank_changed()")
    else:
        for table in WATCHED:
            for event in ('insert', 'delete', 'update'):
                op.execute(f"DROP TRIGGER {table}_bank_changed_{event}")
    op.drop_table('bank_version')

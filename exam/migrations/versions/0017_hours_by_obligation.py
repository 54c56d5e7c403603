"""Training hours kept by the obligation they count toward (issue 17)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

Initial training is owed within six months (``INITIAL_TRAINING_MONTHS``) of each appointment,
not in the calendar year of it, and an hour counts toward the obligation whose period it falls
in (``exam.training.obligations``). ``person_hours`` is therefore keyed by that period — minus
the stint's id for its initial training, else the year of the retraining — instead of the
calendar year, and worked out again.
"""
from alembic import op
from sqlalchemy.orm import Session


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('person_hours', schema=None) as batch_op:
        batch_op.alter_column('year', new_column_name='period')

    from exam.reports.kept import hours as hourskept

    session = Session(bind=op.get_bind())
    hourskept.rebuild(session=session)
    session.flush()


def downgrade():
    # Calendar years cannot be told from the periods: the rows are dropped, not guessed.
    op.execute('DELETE FROM person_hours')
    with op.batch_alter_table('person_hours', schema=None) as batch_op:
        batch_op.alter_column('period', new_column_name='year')

"""The graded questions of each attempt as rows (attempt_item), filled from the results

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27

Item analysis added up every attempt's ``result["items"]`` and read its paper for the option
orders (two passes over the JSON of an exam's attempts, 2.5-2.9 s for the province-sized
benchmark's biggest exam; a question over all its uses read all 500,000 results). ``grade()``
now also writes each graded question as a row: score, points and the answer as the question
is written. This migration creates the table and fills it from the attempts graded before
(``exam.exams.attempt_items.backfill``: one INSERT … SELECT on PostgreSQL, with the keys and
the index made afterwards, which is faster than keeping them up row by row).
"""
import sqlalchemy as sa
from alembic import op

from exam.exams.attempt_items import backfill

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def _columns():
    return [sa.Column('attempt_id', sa.Integer(), nullable=False),
            sa.Column('question_id', sa.Integer(), nullable=False),
            sa.Column('score', sa.Double(), nullable=False),
            sa.Column('points', sa.Double(), nullable=False),
            sa.Column('answer', sa.String(length=20), nullable=True)]


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.create_table('attempt_item', *_columns())
        op.execute("SET LOCAL work_mem = '256MB'")
        op.execute("SET LOCAL maintenance_work_mem = '1GB'")
        op.execute("SET LOCAL jit = off")
        backfill(bind)
        op.create_primary_key(op.f('pk_attempt_item'), 'attempt_item', ['attempt_id', 'question_id'])
        op.create_foreign_key(op.f('fk_attempt_item_attempt_id_attempt'), 'attempt_item', 'attempt',
                              ['attempt_id'], ['id'], ondelete='CASCADE')
        op.create_index('ix_attempt_item_question_id', 'attempt_item', ['question_id'], unique=False)
        op.execute("ANALYZE attempt_item")
        return
    op.create_table('attempt_item', *_columns(),
                    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'],
                                            name=op.f('fk_attempt_item_attempt_id_attempt'), ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('attempt_id', 'question_id', name=op.f('pk_attempt_item')))
    with op.batch_alter_table('attempt_item', schema=None) as batch_op:
        batch_op.create_index('ix_attempt_item_question_id', ['question_id'], unique=False)
    backfill(bind)


def downgrade():
    with op.batch_alter_table('attempt_item', schema=None) as batch_op:
        batch_op.drop_index('ix_attempt_item_question_id')
    op.drop_table('attempt_item')

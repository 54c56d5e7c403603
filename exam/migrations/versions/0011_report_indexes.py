"""Indexes for the reports (issue 9), found with benchmarks/reports on a province-sized data set

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27

- ``attempt_answer (question_id)``: one question over all its uses (item analysis) found its
  answers by reading all 20 million rows; now it reads only that question's.
- ``attempt (exam_id, user_id) INCLUDE (submitted_at, cancelled_at, passed, score)``: pass rates,
  the dashboard and the 100% tracker add up every attempt's outcome per exam and person; with
  the outcome in the index they read it (index only) instead of the 800 MB attempt table,
  whose rows carry the paper and the result. On SQLite a plain (exam_id, user_id) index.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.create_index('ix_attempt_exam_id_user_id', ['exam_id', 'user_id'], unique=False,
                              postgresql_include=['submitted_at', 'cancelled_at', 'passed', 'score'])
    with op.batch_alter_table('attempt_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_answer_question_id'), ['question_id'], unique=False)


def downgrade():
    with op.batch_alter_table('attempt_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempt_answer_question_id'))
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_attempt_exam_id_user_id')

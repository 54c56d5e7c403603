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
- ``certificate (person_id, kind) INCLUDE (valid_until) WHERE current`` and ``... INCLUDE
  (revoked_at) WHERE revoked``: the 100% tracker (and the dashboard's count of it) reads every
  person's current certificate and latest revocation; index only, instead of grouping all
  certificates (424,000 rows, 167 MB): 0.54 s -> 0.10 s on the province-sized set.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


CURRENT = sa.text('revoked_at IS NULL AND superseded_at IS NULL')
REVOKED = sa.text('revoked_at IS NOT NULL')


def upgrade():
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.create_index('ix_attempt_exam_id_user_id', ['exam_id', 'user_id'], unique=False,
                              postgresql_include=['submitted_at', 'cancelled_at', 'passed', 'score'])
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index('ix_certificate_current_until', ['person_id', 'kind'], unique=False,
                              postgresql_include=['valid_until'], postgresql_where=CURRENT, sqlite_where=CURRENT)
        batch_op.create_index('ix_certificate_revoked', ['person_id', 'kind'], unique=False,
                              postgresql_include=['revoked_at'], postgresql_where=REVOKED, sqlite_where=REVOKED)
    with op.batch_alter_table('attempt_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_answer_question_id'), ['question_id'], unique=False)


def downgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index('ix_certificate_revoked')
        batch_op.drop_index('ix_certificate_current_until')
    with op.batch_alter_table('attempt_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempt_answer_question_id'))
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_attempt_exam_id_user_id')

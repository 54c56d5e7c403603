"""Certificates: when to try rendering again after a failure (issue 16)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

A certificate whose render failed five times was never tried again, and a candidate's clicks
on the download button counted as failures: a short outage (a bad font setting) left PDFs
missing for good. The sweep now backs off instead (1, 2, 4 … minutes, at most an hour, held
in ``next_render_at``) and never gives up; downloads no longer count. Certificates given up on
before have no ``next_render_at``, so the next sweep tries them again.
"""
from alembic import op
import sqlalchemy as sa

import exam.core.timeutil  # noqa: F401 - UTCDateTime columns


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_render_at', exam.core.timeutil.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_column('next_render_at')

"""Choices kept with a pending import: topics for a question file's categories (issue 18)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07

An import of questions may map each category of a Moodle or GIFT file to a topic, or give the
whole file one topic and sector. What the uploader chose in the preview is kept with the
pending upload until they confirm it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pending_import') as batch_op:
        batch_op.add_column(sa.Column('choices', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('pending_import') as batch_op:
        batch_op.drop_column('choices')

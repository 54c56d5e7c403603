"""Papers drawn ahead of an exam's start burst (issue 19)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07

Papers are drawn when an exam is published and by the scheduler until it closes; a start
claims one instead of drawing while the candidate waits.
"""
from alembic import op
import sqlalchemy as sa

from exam.core.timeutil import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'drawn_paper',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('exam_id', sa.Integer(), nullable=False),
        sa.Column('drawn_for', sa.String(length=64), nullable=False),
        sa.Column('seed', sa.Integer(), nullable=False),
        sa.Column('paper', sa.JSON(), nullable=False),
        sa.Column('paper_json', sa.Text(), nullable=False),
        sa.Column('drawn_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['exam_id'], ['exam.id'], name=op.f('fk_drawn_paper_exam_id_exam'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_drawn_paper')),
    )
    op.create_index(op.f('ix_drawn_paper_exam_id'), 'drawn_paper', ['exam_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_drawn_paper_exam_id'), table_name='drawn_paper')
    op.drop_table('drawn_paper')

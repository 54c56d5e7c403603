"""Campaigns (专题考试活动, issue 17): a named series of exams reported on as one unit

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

The bureau reports a campaign of several rounds (第一期, 第二期 and their makeups) as one
figure: enterprises and people covered, first and final pass rate across all rounds.
``campaign`` names the series; ``campaign_exam`` puts an original exam (a round) in at most one
campaign, its makeup following it.
"""
from alembic import op
import sqlalchemy as sa

import exam.core.timeutil  # noqa: F401 - UTCDateTime columns


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=50), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('reach', sa.JSON(), nullable=False),
    sa.Column('created_at', exam.core.timeutil.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_campaign_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign'))
    )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_year'), ['year'], unique=False)

    op.create_table('campaign_exam',
    sa.Column('exam_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('added_at', exam.core.timeutil.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_campaign_exam_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['exam_id'], ['exam.id'], name=op.f('fk_campaign_exam_exam_id_exam'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('exam_id', name=op.f('pk_campaign_exam'))
    )
    with op.batch_alter_table('campaign_exam', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_exam_campaign_id'), ['campaign_id'], unique=False)


def downgrade():
    with op.batch_alter_table('campaign_exam', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_exam_campaign_id'))
    op.drop_table('campaign_exam')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_year'))
    op.drop_table('campaign')

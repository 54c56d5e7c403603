"""Login sessions (issue 16): one row per signed-in browser

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

A session cookie named the account and one token per account, so logging out anywhere ended
every session of the account and a cookie copied before a logout that did not change the
token kept working. Each login now has its own row: logging out deletes it, "sign out
everywhere" deletes all of an account's rows, and a login lasts at most ANPEI_SESSION_DAYS.
Everyone signed in before the upgrade logs in again.
"""
from alembic import op
import sqlalchemy as sa

import exam.core.timeutil  # noqa: F401 - UTCDateTime columns


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', exam.core.timeutil.UTCDateTime(), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_login_session_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_session')),
    sa.UniqueConstraint('key', name=op.f('uq_login_session_key'))
    )
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_session_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_token')


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=32), nullable=False,
                                      server_default='expired'))
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_session_user_id'))
    op.drop_table('login_session')

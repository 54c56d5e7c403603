"""Sectors whose enterprises must have a safety director (issue 17)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

Shandong requires a safety director (安全总监) in mines, metal smelting, transport,
construction, dust-explosion enterprises, dangerous-goods units and any unit with 300 or more
employees (鲁政办字〔2025〕137号). The sectors become a flag the bureau edits on the Reference
data page, like the high-risk flag; the shipped sectors that require one are set here
(fireworks and hazardous chemicals are the dangerous-goods units). The headcount is a setting
(``ANPEI_SAFETY_DIRECTOR_EMPLOYEES``); the employee count was already on the enterprise.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

#: The shipped sectors (codes of 0001) whose enterprises must have a safety director.
SECTORS = (
    "coal_mine", "non_coal_mine", "metal_smelting", "transport", "construction",
    "dust_explosion", "hazardous_chemicals", "fireworks",
)


def upgrade():
    with op.batch_alter_table('sector', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requires_safety_director', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    sector = sa.table("sector", sa.column("code"), sa.column("requires_safety_director"))
    op.execute(sector.update().where(sector.c.code.in_(SECTORS))
               .values(requires_safety_director=True))


def downgrade():
    with op.batch_alter_table('sector', schema=None) as batch_op:
        batch_op.drop_column('requires_safety_director')

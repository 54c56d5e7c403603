"""Warning-film screenings: the film library, screenings, films shown, named attendance

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27

"""
from alembic import op
import sqlalchemy as sa

import exam.core.timeutil  # noqa: F401 - UTCDateTime columns


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('film',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('accident', sa.String(length=300), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', exam.core.timeutil.UTCDateTime(), nullable=False),
    sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_film_duration_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_film')),
    sa.UniqueConstraint('title', name=op.f('uq_film_title'))
    )
    op.create_table('screening',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('starts_at', exam.core.timeutil.UTCDateTime(), nullable=False),
    sa.Column('venue', sa.String(length=200), nullable=False),
    sa.Column('organising_unit', sa.String(length=200), nullable=False),
    sa.Column('audience', sa.String(length=300), nullable=False),
    sa.Column('hours', sa.Double(), nullable=False),
    sa.Column('headcount_cadres', sa.Integer(), nullable=True),
    sa.Column('headcount_workers', sa.Integer(), nullable=True),
    sa.Column('sector_id', sa.Integer(), nullable=True),
    sa.Column('town_id', sa.Integer(), nullable=True),
    sa.Column('created_at', exam.core.timeutil.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('headcount_cadres IS NULL OR (headcount_cadres >= 0 AND headcount_cadres <= 100000)', name=op.f('ck_screening_cadres_range')),
    sa.CheckConstraint('headcount_workers IS NULL OR (headcount_workers >= 0 AND headcount_workers <= 100000)', name=op.f('ck_screening_workers_range')),
    sa.CheckConstraint('hours >= 0 AND hours <= 8.0', name=op.f('ck_screening_hours_range')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_screening_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sector_id'], ['sector.id'], name=op.f('fk_screening_sector_id_sector'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['town_id'], ['town.id'], name=op.f('fk_screening_town_id_town'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screening'))
    )
    with op.batch_alter_table('screening', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_sector_id'), ['sector_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_screening_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_screening_town_id'), ['town_id'], unique=False)

    op.create_table('screening_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('screening_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', exam.core.timeutil.UTCDateTime(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_screening_attendance_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_screening_attendance_recorded_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['screening_id'], ['screening.id'], name=op.f('fk_screening_attendance_screening_id_screening'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screening_attendance')),
    sa.UniqueConstraint('screening_id', 'person_id', name=op.f('uq_screening_attendance_screening_id'))
    )
    with op.batch_alter_table('screening_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_attendance_person_id'), ['person_id'], unique=False)

    op.create_table('screening_film',
    sa.Column('screening_id', sa.Integer(), nullable=False),
    sa.Column('film_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['film_id'], ['film.id'], name=op.f('fk_screening_film_film_id_film')),
    sa.ForeignKeyConstraint(['screening_id'], ['screening.id'], name=op.f('fk_screening_film_screening_id_screening'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('screening_id', 'film_id', name=op.f('pk_screening_film'))
    )
    with op.batch_alter_table('screening_film', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_film_film_id'), ['film_id'], unique=False)


def downgrade():
    with op.batch_alter_table('screening_film', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screening_film_film_id'))

    op.drop_table('screening_film')
    with op.batch_alter_table('screening_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screening_attendance_person_id'))

    op.drop_table('screening_attendance')
    with op.batch_alter_table('screening', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screening_town_id'))
        batch_op.drop_index(batch_op.f('ix_screening_starts_at'))
        batch_op.drop_index(batch_op.f('ix_screening_sector_id'))

    op.drop_table('screening')
    op.drop_table('film')

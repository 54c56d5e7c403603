"""Candidacies kept for the reports (issue 9): one row per person and original exam

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27

The pass-rate report and the dashboard summed the attempts, evaluated every closed exam's
eligibility over the register and placed the people who moved, on every request: 1.2-2.9 s
on the province-sized benchmark. ``candidacy`` keeps what that came to per (exam, person),
updated with the attempts, the people and the exams (``exam.reports.kept.candidacy``); ``roster``
marks the closed exams whose no-shows have been added; ``last_result`` keeps each account's
latest score that counts (the 100% tracker grouped all attempts for it); ``person_hours`` each
person's hours on site per year (the dashboard added up a year's attendance).
The upgrade fills them and takes the rosters of the exams closed so far; later ones are taken
by the scheduler (or the first report after an exam closes).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session

import exam.core.timeutil  # noqa: F401 - UTCDateTime columns


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('candidacy',
    sa.Column('exam_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.Column('listed', sa.SmallInteger(), nullable=False),
    sa.Column('started', sa.SmallInteger(), nullable=False),
    sa.Column('sat_first', sa.SmallInteger(), nullable=False),
    sa.Column('passed_first', sa.SmallInteger(), nullable=False),
    sa.Column('sat_final', sa.SmallInteger(), nullable=False),
    sa.Column('passed_final', sa.SmallInteger(), nullable=False),
    sa.Column('cancelled', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_candidacy_enterprise_id_enterprise'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['exam_id'], ['exam.id'], name=op.f('fk_candidacy_exam_id_exam'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_candidacy_person_id_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_candidacy_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('exam_id', 'person_id', name=op.f('pk_candidacy'))
    )
    with op.batch_alter_table('candidacy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_candidacy_person_id'), ['person_id'], unique=False)

    op.create_table('roster',
    sa.Column('exam_id', sa.Integer(), nullable=False),
    sa.Column('taken_at', exam.core.timeutil.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['exam_id'], ['exam.id'], name=op.f('fk_roster_exam_id_exam'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('exam_id', name=op.f('pk_roster'))
    )
    op.create_table('last_result',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('exam_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', exam.core.timeutil.UTCDateTime(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_last_result_attempt_id_attempt'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['exam_id'], ['exam.id'], name=op.f('fk_last_result_exam_id_exam'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_last_result_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_last_result'))
    )
    with op.batch_alter_table('last_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_last_result_attempt_id'), ['attempt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_last_result_exam_id'), ['exam_id'], unique=False)

    op.create_table('person_hours',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('attended', sa.Double(), nullable=False),
    sa.Column('external', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_person_hours_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'year', name=op.f('pk_person_hours'))
    )
    from exam.reports.kept import candidacy

    from exam.core.timeutil import utcnow

    session = Session(bind=op.get_bind())
    candidacy.rebuild(session=session)
    # The rosters of the exams closed so far, here rather than in the first report's request.
    candidacy.take_rosters(utcnow(), session=session)
    # The hours are kept by obligation period since 0017, which fills them (this code writes
    # the renamed column).
    session.flush()


def downgrade():
    op.drop_table('person_hours')
    with op.batch_alter_table('last_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_last_result_exam_id'))
        batch_op.drop_index(batch_op.f('ix_last_result_attempt_id'))
    op.drop_table('last_result')
    op.drop_table('roster')
    with op.batch_alter_table('candidacy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_candidacy_person_id'))
    op.drop_table('candidacy')

"""safe_school tables

Revision ID: safe_school_0001
Revises: (branch base; depends on 0001_core)
Create Date: 2026-11-29 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'safe_school_0001'
down_revision = None
branch_labels = ('safe_school',)
depends_on = '0001_core'


def upgrade():
    op.create_table('safe_school_assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('result', sa.String(length=40), nullable=True),
    sa.Column('reviewer_org_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], ),
    sa.ForeignKeyConstraint(['reviewer_org_id'], ['org_unit.id'], ),
    sa.ForeignKeyConstraint(['school_id'], ['org_unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'school_id'),
    sa.UniqueConstraint('response_id')
    )
    with op.batch_alter_table('safe_school_assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safe_school_assessment_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_safe_school_assessment_school_id'), ['school_id'], unique=False)

    op.create_table('safe_school_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('item_comments', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['safe_school_assessment.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('safe_school_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safe_school_event_assessment_id'), ['assessment_id'], unique=False)


def downgrade():
    with op.batch_alter_table('safe_school_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safe_school_event_assessment_id'))
    op.drop_table('safe_school_event')
    with op.batch_alter_table('safe_school_assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safe_school_assessment_school_id'))
        batch_op.drop_index(batch_op.f('ix_safe_school_assessment_campaign_id'))
    op.drop_table('safe_school_assessment')

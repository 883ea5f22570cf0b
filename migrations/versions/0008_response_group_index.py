"""response group index: the disclosure release counts its groups from an index alone

Revision ID: 0008_response_group_index
Revises: 0002_anonymity

The release counts a campaign's submitted responses per school x class x grade
(``surveyapp.privacy.release._atoms``). An index on exactly its WHERE and GROUP BY
columns lets PostgreSQL answer that count with an index-only scan, already in group
order, instead of reading the whole table (see docs/performance.md).
"""
from alembic import op

revision = '0008_response_group_index'
down_revision = '0002_anonymity'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.create_index('ix_response_campaign_group',
                              ['campaign_id', 'status', 'school_id', 'class_group_id', 'grade'], unique=False)


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index('ix_response_campaign_group')

"""campaign levels: the school levels a campaign applies to (its population)

Revision ID: 0006_population
Revises: 0001_core
Create Date: 2026-12-04 14:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006_population'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign') as batch:
        batch.add_column(sa.Column('levels', sa.String(length=60), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('campaign') as batch:
        batch.drop_column('levels')

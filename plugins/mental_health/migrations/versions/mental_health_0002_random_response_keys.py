"""mental_health: response references hold the core's 64-bit random response keys

Revision ID: mental_health_0002
Revises: mental_health_0001
"""
from alembic import op
import sqlalchemy as sa

revision = 'mental_health_0002'
down_revision = 'mental_health_0001'
branch_labels = None
depends_on = '0002_anonymity'

RANDOM_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    with op.batch_alter_table('mental_health_case', schema=None) as batch_op:
        batch_op.alter_column('response_id', existing_type=sa.Integer(), type_=RANDOM_KEY, existing_nullable=True)


def downgrade():
    with op.batch_alter_table('mental_health_case', schema=None) as batch_op:
        batch_op.alter_column('response_id', existing_type=RANDOM_KEY, type_=sa.Integer(), existing_nullable=True)

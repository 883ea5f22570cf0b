"""safe_school: response references hold the core's 64-bit random response keys

Revision ID: safe_school_0002
Revises: safe_school_0001
"""
from alembic import op
import sqlalchemy as sa

revision = 'safe_school_0002'
down_revision = 'safe_school_0001'
branch_labels = None
depends_on = '0002_anonymity'

RANDOM_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    with op.batch_alter_table('safe_school_assessment', schema=None) as batch_op:
        batch_op.alter_column('response_id', existing_type=sa.Integer(), type_=RANDOM_KEY, existing_nullable=False)


def downgrade():
    with op.batch_alter_table('safe_school_assessment', schema=None) as batch_op:
        batch_op.alter_column('response_id', existing_type=RANDOM_KEY, type_=sa.Integer(), existing_nullable=False)

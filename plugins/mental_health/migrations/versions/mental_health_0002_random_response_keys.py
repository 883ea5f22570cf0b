"""mental_health: random 64-bit keys for cases and alerts; response references 64-bit

Revision ID: mental_health_0002
Revises: mental_health_0001

Case and alert ids become random keys (new rows), so an anonymous request's id says
nothing about when it came; rows stored before keep their ids.
"""
from alembic import op
import sqlalchemy as sa

revision = 'mental_health_0002'
down_revision = 'mental_health_0001'
branch_labels = None
depends_on = '0002_anonymity'

RANDOM_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
COLUMNS = (('mental_health_case', 'id', False), ('mental_health_case', 'response_id', True),
           ('mental_health_alert', 'id', False), ('mental_health_alert', 'case_id', False),
           ('mental_health_session', 'case_id', False))


def upgrade():
    for table, column, nullable in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.Integer(), type_=RANDOM_KEY, existing_nullable=nullable,
                                  **({"autoincrement": False} if column == "id" else {}))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE mental_health_case ALTER COLUMN id DROP DEFAULT")
        op.execute("ALTER TABLE mental_health_alert ALTER COLUMN id DROP DEFAULT")


def downgrade():
    for table, column, nullable in reversed(COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=RANDOM_KEY, type_=sa.Integer(), existing_nullable=nullable)

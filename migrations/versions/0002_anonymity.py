"""anonymity: random response keys, staff authorship apart, send marks, coarse rate windows

Revision ID: 0002_anonymity
Revises: 0003_authority

The response table loses every column that could hold an identity or an order
(``user_id``, ``submission_key``); staff forms' authors move to ``staff_authorship``.
Response ids become 64-bit (new rows get random keys; rows stored before keep theirs).
"""
from alembic import op
import sqlalchemy as sa

revision = '0002_anonymity'
down_revision = '0003_authority'
branch_labels = None
depends_on = None

RANDOM_KEY = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table('staff_authorship',
    sa.Column('response_id', RANDOM_KEY, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_staff_authorship_response_id_response'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_staff_authorship_user_id_user_account')),
    sa.PrimaryKeyConstraint('response_id', name=op.f('pk_staff_authorship'))
    )
    with op.batch_alter_table('staff_authorship', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_authorship_user_id'), ['user_id'], unique=False)
    op.create_table('sent_mark',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('help', sa.Boolean(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sent_mark'))
    )
    with op.batch_alter_table('sent_mark', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sent_mark_expires_on'), ['expires_on'], unique=False)

    op.execute("INSERT INTO staff_authorship (response_id, user_id) "
               "SELECT id, user_id FROM response WHERE user_id IS NOT NULL")
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_response_submission_key'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_response_user_id_user_account'), type_='foreignkey')
        batch_op.drop_column('submission_key')
        batch_op.drop_column('user_id')
        batch_op.alter_column('id', existing_type=sa.Integer(), type_=RANDOM_KEY, existing_nullable=False,
                              autoincrement=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE response ALTER COLUMN id DROP DEFAULT")
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.alter_column('response_id', existing_type=sa.Integer(), type_=RANDOM_KEY, existing_nullable=False)


def downgrade():
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.alter_column('response_id', existing_type=RANDOM_KEY, type_=sa.Integer(), existing_nullable=False)
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.alter_column('id', existing_type=RANDOM_KEY, type_=sa.Integer(), existing_nullable=False)
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('submission_key', sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_response_user_id_user_account'), 'user_account', ['user_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_response_submission_key'), ['submission_key'])
    op.execute("UPDATE response SET user_id = (SELECT user_id FROM staff_authorship "
               "WHERE staff_authorship.response_id = response.id)")
    with op.batch_alter_table('sent_mark', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sent_mark_expires_on'))
    op.drop_table('sent_mark')
    with op.batch_alter_table('staff_authorship', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_authorship_user_id'))
    op.drop_table('staff_authorship')

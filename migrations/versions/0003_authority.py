"""authority: session versions, grant provenance, remember tokens, one-time links, TOTP

Revision ID: 0003_authority
Revises: 0004_notify
"""
from alembic import op
import sqlalchemy as sa

revision = '0003_authority'
down_revision = '0004_notify'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('granted_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('granted_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_role_assignment_granted_by_id_user_account'),
                                    'user_account', ['granted_by_id'], ['id'])
    op.create_table('remember_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_remember_token_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_remember_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_remember_token_token_hash'))
    )
    op.create_index(op.f('ix_remember_token_user_id'), 'remember_token', ['user_id'], unique=False)
    op.create_table('account_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=10), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_account_token_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_account_token_token_hash'))
    )
    op.create_index(op.f('ix_account_token_user_id'), 'account_token', ['user_id'], unique=False)
    op.create_table('recovery_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_recovery_code_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code'))
    )
    op.create_index(op.f('ix_recovery_code_user_id'), 'recovery_code', ['user_id'], unique=False)
    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('next_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )


def downgrade():
    op.drop_table('login_throttle')
    op.drop_index(op.f('ix_recovery_code_user_id'), table_name='recovery_code')
    op.drop_table('recovery_code')
    op.drop_index(op.f('ix_account_token_user_id'), table_name='account_token')
    op.drop_table('account_token')
    op.drop_index(op.f('ix_remember_token_user_id'), table_name='remember_token')
    op.drop_table('remember_token')
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_role_assignment_granted_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('granted_at')
        batch_op.drop_column('granted_by_id')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('session_version')

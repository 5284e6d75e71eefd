"""tenant origin: tenants are created through the API too; who created one, when, and from where

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # every tenant before this revision came from a tenants/*.toml seed file (`jiceng init`)
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=16), nullable=False, server_default='init'))
        batch_op.add_column(sa.Column('created_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tenants', schema=None) as batch_op:
        batch_op.drop_column('created_at')
        batch_op.drop_column('created_by')
        batch_op.drop_column('origin')

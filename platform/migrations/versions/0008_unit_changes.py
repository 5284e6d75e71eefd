"""unit changes: the org units each import wrote, so that standards kept in memory re-evaluate
only the counties an import touched (docs/standards.md)

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('unit_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_code', sa.String(length=64), nullable=False),
    sa.Column('codes', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_code'], ['tenants.code'], name=op.f('fk_unit_changes_tenant_code_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_changes'))
    )
    op.create_index('uq_unit_changes_tenant_id', 'unit_changes', ['tenant_code', 'id'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_unit_changes_tenant_id', table_name='unit_changes')
    op.drop_table('unit_changes')

"""department changes: each department registry import that wrote something, so that every
process sees the registry as it stands on its next request (the department generation,
docs/reliability.md) instead of keeping a department for up to 10 s after an import

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('department_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_code', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['tenant_code'], ['tenants.code'], name=op.f('fk_department_changes_tenant_code_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department_changes'))
    )
    op.create_index('uq_department_changes_tenant_id', 'department_changes', ['tenant_code', 'id'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_department_changes_tenant_id', table_name='department_changes')
    op.drop_table('department_changes')

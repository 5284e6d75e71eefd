"""department registry: departments (职能部门名录, with their 权责清单) and the seed digest per tenant

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('department_sources',
    sa.Column('tenant_code', sa.String(length=64), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['tenant_code'], ['tenants.code'], name=op.f('fk_department_sources_tenant_code_tenants')),
    sa.PrimaryKeyConstraint('tenant_code', name=op.f('pk_department_sources'))
    )
    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_code', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_code'], ['tenants.code'], name=op.f('fk_departments_tenant_code_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('tenant_code', 'code', name='uq_departments_tenant_code_key'),
    sa.UniqueConstraint('tenant_code', 'unit_code', 'name', name='uq_departments_unit_name')
    )
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_departments_unit_code'), ['unit_code'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_departments_unit_code'))

    op.drop_table('departments')
    op.drop_table('department_sources')
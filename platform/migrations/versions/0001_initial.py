"""initial schema

Revision ID: 0001
Revises: (none)
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pack_heads',
    sa.Column('tenant_code', sa.String(length=64), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.Column('latest_publication_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('tenant_code', name=op.f('pk_pack_heads'))
    )
    op.create_table('pack_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_code', sa.String(length=64), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('declared_version', sa.String(length=64), nullable=True),
    sa.Column('extends', sa.String(length=64), nullable=True),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('files_digest', sa.String(length=64), nullable=False),
    sa.Column('base_number', sa.Integer(), nullable=True),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pack_versions')),
    sa.UniqueConstraint('tenant_code', 'number', name='uq_pack_versions_tenant_number')
    )
    with op.batch_alter_table('pack_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pack_versions_tenant_code'), ['tenant_code'], unique=False)

    op.create_table('tenants',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('parent_code', sa.String(length=64), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=True),
    sa.Column('source_digest', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['parent_code'], ['tenants.code'], name=op.f('fk_tenants_parent_code_tenants')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_tenants'))
    )
    op.create_table('decision_log_heads',
    sa.Column('tenant_code', sa.String(length=64), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['tenant_code'], ['tenants.code'], name=op.f('fk_decision_log_heads_tenant_code_tenants')),
    sa.PrimaryKeyConstraint('tenant_code', name=op.f('pk_decision_log_heads'))
    )
    op.create_table('decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_code', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('decided_on', sa.String(length=10), nullable=False),
    sa.Column('input', sa.JSON(), nullable=False),
    sa.Column('target', sa.JSON(), nullable=False),
    sa.Column('history', sa.JSON(), nullable=False),
    sa.Column('pack', sa.JSON(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('requirements', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['tenant_code'], ['tenants.code'], name=op.f('fk_decisions_tenant_code_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions')),
    sa.UniqueConstraint('tenant_code', 'seq', name='uq_decisions_tenant_seq')
    )
    op.create_table('form_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('schema', sa.JSON(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_versions')),
    sa.UniqueConstraint('tenant_code', 'name', 'version', name='uq_form_versions_key')
    )
    op.create_table('org_units',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('tenant_code', sa.String(length=64), nullable=False),
    sa.Column('parent_code', sa.String(length=32), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('urban_population', sa.Integer(), nullable=True),
    sa.Column('households', sa.Integer(), nullable=True),
    sa.Column('workers', sa.Integer(), nullable=True),
    sa.Column('grid_workers', sa.Integer(), nullable=True),
    sa.Column('facility_area_m2', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_code'], ['tenants.code'], name=op.f('fk_org_units_tenant_code_tenants')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_org_units'))
    )
    with op.batch_alter_table('org_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_units_parent_code'), ['parent_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_units_tenant_code'), ['tenant_code'], unique=False)

    op.create_table('publications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_code', sa.String(length=64), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('published_by', sa.String(length=200), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['pack_versions.id'], name=op.f('fk_publications_version_id_pack_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publications'))
    )
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.create_index('ix_publications_tenant_effective', ['tenant_code', 'effective_from'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('tenant_code', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=True),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_code'], ['tenants.code'], name=op.f('fk_api_tokens_tenant_code_tenants')),
    sa.ForeignKeyConstraint(['unit_code'], ['org_units.code'], name=op.f('fk_api_tokens_unit_code_org_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_code', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('source_unit', sa.String(length=32), nullable=True),
    sa.Column('form_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['form_id'], ['form_versions.id'], name=op.f('fk_tasks_form_id_form_versions')),
    sa.ForeignKeyConstraint(['tenant_code'], ['tenants.code'], name=op.f('fk_tasks_tenant_code_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks'))
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tasks_tenant_code'), ['tenant_code'], unique=False)

    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('tenant_code', sa.String(length=64), nullable=False),
    sa.Column('target_unit', sa.String(length=32), nullable=False),
    sa.Column('source_unit', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=True),
    sa.Column('task_data', sa.JSON(), nullable=False),
    sa.Column('requirements', sa.JSON(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_assignments_decision_id_decisions')),
    sa.ForeignKeyConstraint(['target_unit'], ['org_units.code'], name=op.f('fk_assignments_target_unit_org_units')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_assignments_task_id_tasks')),
    sa.ForeignKeyConstraint(['tenant_code'], ['tenants.code'], name=op.f('fk_assignments_tenant_code_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_history', ['target_unit', 'status', 'decided_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_task_id'), ['task_id'], unique=False)
        batch_op.create_index('uq_assignments_live', ['task_id', 'target_unit'], unique=True, sqlite_where=sa.text("status != 'rejected'"), postgresql_where=sa.text("status != 'rejected'"))



def downgrade() -> None:
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('uq_assignments_live', sqlite_where=sa.text("status != 'rejected'"), postgresql_where=sa.text("status != 'rejected'"))
        batch_op.drop_index(batch_op.f('ix_assignments_task_id'))
        batch_op.drop_index('ix_assignments_history')

    op.drop_table('assignments')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tasks_tenant_code'))

    op.drop_table('tasks')
    op.drop_table('api_tokens')
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.drop_index('ix_publications_tenant_effective')

    op.drop_table('publications')
    with op.batch_alter_table('org_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_units_tenant_code'))
        batch_op.drop_index(batch_op.f('ix_org_units_parent_code'))

    op.drop_table('org_units')
    op.drop_table('form_versions')
    op.drop_table('decisions')
    op.drop_table('decision_log_heads')
    op.drop_table('tenants')
    with op.batch_alter_table('pack_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pack_versions_tenant_code'))

    op.drop_table('pack_versions')
    op.drop_table('pack_heads')

"""impact jobs: replaying a pack version over the decision log as a job (its summary and changes kept
with the version), keyed by tenant like every tenant table (docs/scaling.md); a tenant's newest
decisions are served first by the (tenant_code, id) key of 0007

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('impact_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_code', sa.String(length=64), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('window', sa.JSON(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('error', sa.JSON(), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_code'], ['tenants.code'], name=op.f('fk_impact_jobs_tenant_code_tenants')),
    sa.ForeignKeyConstraint(['tenant_code', 'version_id'], ['pack_versions.tenant_code', 'pack_versions.id'],
                            name=op.f('fk_impact_jobs_tenant_code_pack_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_impact_jobs'))
    )
    with op.batch_alter_table('impact_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_impact_jobs_version', ['version_id', 'id'], unique=False)
        batch_op.create_index('uq_impact_jobs_tenant_id', ['tenant_code', 'id'], unique=True)
    op.create_table('impact_changes',
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('tenant_code', sa.String(length=64), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('decided_on', sa.String(length=10), nullable=False),
    sa.Column('before', sa.String(length=16), nullable=False),
    sa.Column('after', sa.String(length=16), nullable=False),
    sa.Column('rules_added', sa.JSON(), nullable=False),
    sa.Column('rules_removed', sa.JSON(), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['impact_jobs.id'], name=op.f('fk_impact_changes_job_id_impact_jobs')),
    sa.PrimaryKeyConstraint('tenant_code', 'job_id', 'decision_id', name=op.f('pk_impact_changes'))
    )


def downgrade() -> None:
    op.drop_table('impact_changes')
    with op.batch_alter_table('impact_jobs', schema=None) as batch_op:
        batch_op.drop_index('uq_impact_jobs_tenant_id')
        batch_op.drop_index('ix_impact_jobs_version')
    op.drop_table('impact_jobs')

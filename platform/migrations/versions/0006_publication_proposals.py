"""publication proposals: maker-checker for publishing a pack version (proposer and approver recorded)

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('publication_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_code', sa.String(length=64), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('expected_current', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('proposed_by', sa.String(length=200), nullable=False),
    sa.Column('proposer_token_id', sa.Integer(), nullable=False),
    sa.Column('proposer_tenant', sa.String(length=64), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=True),
    sa.Column('publication_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['version_id'], ['pack_versions.id'],
                            name=op.f('fk_publication_proposals_version_id_pack_versions')),
    sa.ForeignKeyConstraint(['publication_id'], ['publications.id'],
                            name=op.f('fk_publication_proposals_publication_id_publications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publication_proposals'))
    )
    op.create_index('ix_publication_proposals_tenant_status', 'publication_proposals', ['tenant_code', 'status'])


def downgrade() -> None:
    op.drop_index('ix_publication_proposals_tenant_status', table_name='publication_proposals')
    op.drop_table('publication_proposals')

"""run documents: several documents per run, in order, with what was left out to fit; passage spans

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Existing runs keep their one document as position 0, nothing left out; stored documents
    have no spans (their paragraphs are split at blank lines, as before)."""
    op.create_table('rundocument',
    sa.Column('run_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('left_out', sa.JSON(), nullable=False),
    sa.Column('fit_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_rundocument_document_id_document'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['run_id'], ['run.id'], name=op.f('fk_rundocument_run_id_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'position', name=op.f('pk_rundocument'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('spans', sa.JSON(), nullable=True))
    op.execute("INSERT INTO rundocument (run_id, position, document_id, name, left_out, fit_note) "
               "SELECT id, 0, document_id, COALESCE(document_name, 'document'), '[]', '' FROM run "
               "WHERE document_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_column('spans')
    op.drop_table('rundocument')

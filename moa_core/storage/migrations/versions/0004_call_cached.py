"""call cached: a call answered from the response cache, and the cost it saved

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 15:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Existing calls were all made for real: cached false, nothing saved."""
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cached', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('saved_usd', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.drop_column('saved_usd')
        batch_op.drop_column('cached')

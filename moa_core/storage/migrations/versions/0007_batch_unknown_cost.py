"""batch unknown cost: how many finished work items had no known price, beside the known cost

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-11 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Older batches count none (what they skipped was not recorded: their cost stays as stored)."""
    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unknown_cost_items', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.drop_column('unknown_cost_items')

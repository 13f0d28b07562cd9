"""carried documents: a follow-up's documents sent with an earlier turn, marked with that turn

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Earlier follow-ups stay without documents (nothing is guessed for them)."""
    with op.batch_alter_table('rundocument', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carried_from', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rundocument', schema=None) as batch_op:
        batch_op.drop_column('carried_from')

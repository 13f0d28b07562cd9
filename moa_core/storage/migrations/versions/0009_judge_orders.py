"""judge orders: each order's verdict of a judge vote as columns, back-filled from the old comment

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 16:50:00

"""
import re
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401


revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# What older versions wrote in a judge vote's comment; read here once, never again.
_OLD_COMMENT = re.compile(r"order1=(\w+) order2=(\w+)")
_VERDICTS = {"a", "b", "tie"}


def upgrade() -> None:
    """Add the columns, then fill them from judge votes' "order1=X order2=Y" comments ("none", or any
    word that is no verdict, stays NULL). People's comments are text, never read as orders."""
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.add_column(sa.Column('judge_order1', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('judge_order2', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    vote = sa.table('vote', sa.column('id', sa.Integer), sa.column('rater_kind', sa.String),
                    sa.column('comment', sa.Text), sa.column('judge_order1', sa.String),
                    sa.column('judge_order2', sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(vote.c.id, vote.c.comment).where(vote.c.rater_kind == 'judge')).all()
    for vote_id, comment in rows:
        match = _OLD_COMMENT.fullmatch((comment or '').strip())
        if match is None:
            continue
        first, second = (v if v in _VERDICTS else None for v in match.groups())
        conn.execute(sa.update(vote).where(vote.c.id == vote_id)
                     .values(judge_order1=first, judge_order2=second))


def downgrade() -> None:
    with op.batch_alter_table('vote', schema=None) as batch_op:
        batch_op.drop_column('judge_order2')
        batch_op.drop_column('judge_order1')

"""BM25 document frequencies kept in `bm25_df`, not counted from the postings per query

Counting a query term's postings read every one of them a second time: at 100,000 chunks a
keyword statement spent about a quarter of its time there (docs/decisions.md, "The BM25
statement"). `bm25_df` holds signed changes instead: statement triggers on `bm25_posting`
append one row per index and term a statement touched (+n on insert, -n on delete), in the
writer's own transaction, so a snapshot's sum is its exact df and writers never wait on a
shared term's row. The insert trigger folds a term's rows into one once it has more than 32
(those rows locked in key order, so two folds cannot deadlock). A trigger on `vector_index`
drops an index's rows, and the delete trigger writes none for an index being dropped (no
foreign key: its check per row would cost more than the row).

Revision ID: c4e7a9d1f256
Revises: b9c4d6e8f034
Create Date: 2026-11-27 21:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4e7a9d1f256"
down_revision: str | None = "b9c4d6e8f034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TRIGGERS_SQL = """
CREATE FUNCTION bm25_df_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO bm25_df (index_id, term, df)
    SELECT index_id, term, count(*) FROM new_postings GROUP BY index_id, term;
    WITH crowded AS (
        SELECT d.index_id, d.term
        FROM (SELECT DISTINCT index_id, term FROM new_postings) AS n
        JOIN bm25_df AS d ON d.index_id = n.index_id AND d.term = n.term
        GROUP BY d.index_id, d.term HAVING count(*) > 32
    ), locked AS (
        SELECT d.index_id, d.term, d.seq, d.df FROM bm25_df AS d
        JOIN crowded AS c ON c.index_id = d.index_id AND c.term = d.term
        ORDER BY d.index_id, d.term, d.seq
        FOR UPDATE OF d
    ), gone AS (
        DELETE FROM bm25_df AS d USING locked AS l
        WHERE d.index_id = l.index_id AND d.term = l.term AND d.seq = l.seq
        RETURNING d.index_id, d.term, d.df
    )
    INSERT INTO bm25_df (index_id, term, df)
    SELECT index_id, term, sum(df) FROM gone GROUP BY index_id, term HAVING sum(df) <> 0;
    RETURN NULL;
END $$;
CREATE FUNCTION bm25_df_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO bm25_df (index_id, term, df)
    SELECT o.index_id, o.term, -count(*) FROM old_postings AS o
    WHERE EXISTS (SELECT 1 FROM vector_index AS v WHERE v.id = o.index_id)  -- not dropped
    GROUP BY o.index_id, o.term;
    RETURN NULL;
END $$;
CREATE FUNCTION bm25_df_drop_index() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM bm25_df AS d USING old_indices AS o WHERE d.index_id = o.id;
    RETURN NULL;
END $$;
CREATE TRIGGER bm25_posting_df_add AFTER INSERT ON bm25_posting
    REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION bm25_df_add();
CREATE TRIGGER bm25_posting_df_remove AFTER DELETE ON bm25_posting
    REFERENCING OLD TABLE AS old_postings FOR EACH STATEMENT EXECUTE FUNCTION bm25_df_remove();
CREATE TRIGGER vector_index_bm25_df_drop AFTER DELETE ON vector_index
    REFERENCING OLD TABLE AS old_indices FOR EACH STATEMENT
    EXECUTE FUNCTION bm25_df_drop_index();
"""

_DROP_TRIGGERS_SQL = """
DROP TRIGGER IF EXISTS vector_index_bm25_df_drop ON vector_index;
DROP TRIGGER IF EXISTS bm25_posting_df_remove ON bm25_posting;
DROP TRIGGER IF EXISTS bm25_posting_df_add ON bm25_posting;
DROP FUNCTION IF EXISTS bm25_df_drop_index();
DROP FUNCTION IF EXISTS bm25_df_remove();
DROP FUNCTION IF EXISTS bm25_df_add();
"""


def upgrade() -> None:
    op.create_table(
        "bm25_df",
        sa.Column("index_id", sa.Uuid(), nullable=False),
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("df", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "index_id", "term", "seq", name="pk_bm25_df", postgresql_include=["df"]
        ),
    )
    op.execute(
        "INSERT INTO bm25_df (index_id, term, df)"
        " SELECT index_id, term, count(*) FROM bm25_posting GROUP BY index_id, term"
    )
    op.execute(_TRIGGERS_SQL)


def downgrade() -> None:
    op.execute(_DROP_TRIGGERS_SQL)
    op.drop_table("bm25_df")

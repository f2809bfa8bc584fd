"""The archive's search by an application's number from an index (issue 20), on SQLite.

The lists find an application whose number contains what was typed (``lists._found``). No B-tree index answers
"contains", so the search read the number of every application (a fifth of the archive's time at 20,000). On SQLite
an FTS5 table with the trigram tokenizer (SQLite 3.34 and later; case folded) indexes every three letters of each
number and finds the candidates for a LIKE '%...%' of three letters or more; the lists still check each candidate
with their own condition, so the index narrows the search and never changes what it finds.

The table holds no copy of the numbers (external content: it reads them from ``application``); triggers keep the
index in step with every insert, change of number and delete, in the same transaction; ``rebuild`` indexes the
applications already there. An SQLite without FTS5's trigram tokenizer (before 3.34) gets none of it, and its lists
read the numbers as before. A later migration that rebuilds ``application`` on SQLite (playhouse's column changes
copy the table) drops the triggers with it and must create them again (a test checks they exist after every
migration). PostgreSQL keeps reading the numbers (a trigram index there needs the pg_trgm
extension, which a database owner may not be allowed to create): nothing is created on it."""

STATEMENTS = (
    'CREATE VIRTUAL TABLE "application_number_search" USING fts5('
    "number, content='application', content_rowid='id', tokenize='trigram')",
    """INSERT INTO "application_number_search" ("application_number_search") VALUES ('rebuild')""",
    'CREATE TRIGGER "application_number_search_insert" AFTER INSERT ON "application" BEGIN'
    ' INSERT INTO "application_number_search" (rowid, number) VALUES (new.id, new.number); END',
    'CREATE TRIGGER "application_number_search_delete" AFTER DELETE ON "application" BEGIN'
    ' INSERT INTO "application_number_search" ("application_number_search", rowid, number)'
    " VALUES ('delete', old.id, old.number); END",
    'CREATE TRIGGER "application_number_search_update" AFTER UPDATE OF number, id ON "application" BEGIN'
    ' INSERT INTO "application_number_search" ("application_number_search", rowid, number)'
    " VALUES ('delete', old.id, old.number);"
    ' INSERT INTO "application_number_search" (rowid, number) VALUES (new.id, new.number); END',
)


def upgrade(db, migrator):
    import peewee

    if not isinstance(getattr(db, "obj", db), peewee.SqliteDatabase):  # the proxy's database, or the database
        return
    try:
        with db.atomic():
            db.execute_sql(STATEMENTS[0])
    except peewee.OperationalError:
        # an SQLite without FTS5 or older than 3.34 (no trigram tokenizer): the lists read the numbers, as before
        # (``lists._trigrams`` looks for the table)
        return
    for statement in STATEMENTS[1:]:
        db.execute_sql(statement)

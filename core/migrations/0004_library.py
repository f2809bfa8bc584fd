"""Stored files, the regulatory library ("Нормативная база") and the Exchange insiders list."""

import peewee as pw


def upgrade(db, migrator):
    class Base(pw.Model):
        class Meta:
            database = db

    class User(Base):
        class Meta:
            table_name = "users"

    class StoredFile(Base):
        sha256 = pw.CharField(max_length=64, index=True)
        size = pw.BigIntegerField()
        content_type = pw.CharField(max_length=128)
        original_name = pw.CharField(max_length=255)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "stored_file"

    class RegulatoryDocument(Base):
        title = pw.CharField(max_length=500)
        kind = pw.CharField(max_length=16, index=True)
        number = pw.CharField(max_length=64, default="")
        adopted_on = pw.DateField()
        file = pw.ForeignKeyField(StoredFile)
        published_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
        published_at = pw.DateTimeField()
        withdrawn_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "regulatory_document"

    class Insider(Base):
        full_name = pw.CharField(max_length=255)
        position = pw.CharField(max_length=255)
        department = pw.CharField(max_length=255, default="")
        included_on = pw.DateField()
        excluded_on = pw.DateField(null=True)
        basis = pw.CharField(max_length=500, default="")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "insider"

    db.create_tables([StoredFile, RegulatoryDocument, Insider])

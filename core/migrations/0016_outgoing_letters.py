"""The Exchange office's register of outgoing letters: each letter the Exchange sends gets the next number of the
year and its date there, once (a unique year and sequence: two letters written at the same moment never share a
number)."""

import peewee as pw


def upgrade(db, migrator):
    class Base(pw.Model):
        class Meta:
            database = db

    class User(Base):
        class Meta:
            table_name = "users"

    class Application(Base):
        class Meta:
            table_name = "application"

    class OutgoingLetter(Base):
        year = pw.IntegerField()
        sequence = pw.IntegerField()
        number = pw.CharField(max_length=32, unique=True)
        issued_on = pw.DateField()
        application = pw.ForeignKeyField(Application, null=True, on_delete="SET NULL")
        title = pw.CharField(max_length=500)
        addressee = pw.CharField(max_length=500, default="")
        signatory = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "outgoing_letter"
            indexes = ((("year", "sequence"), True),)

    db.create_tables([OutgoingLetter])

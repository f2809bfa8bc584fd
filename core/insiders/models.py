"""The insiders list (art. 56-1 p. 3 sp. 4 of the Law "On the securities market")."""

import peewee as pw

from core.db import BaseModel, utcnow


class Insider(BaseModel):
    full_name = pw.CharField(max_length=255)
    position = pw.CharField(max_length=255)
    department = pw.CharField(max_length=255, default="")
    included_on = pw.DateField()
    excluded_on = pw.DateField(null=True)
    basis = pw.CharField(max_length=500, default="")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "insider"

    @classmethod
    def current(cls):
        return cls.select().where(cls.excluded_on.is_null()).order_by(cls.full_name)

    @classmethod
    def former(cls):
        return cls.select().where(cls.excluded_on.is_null(False)).order_by(cls.excluded_on.desc(), cls.full_name)

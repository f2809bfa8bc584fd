"""Published regulatory documents."""

import peewee as pw
from flask_babel import lazy_gettext as _l

from core.accounts.models import User
from core.db import BaseModel, utcnow
from core.files import StoredFile

KINDS = {
    "law": _l("Закон Республики Казахстан"),
    "regulation": _l("Нормативный правовой акт"),
    "internal": _l("Внутренний документ Биржи"),
}


class RegulatoryDocument(BaseModel):
    title = pw.CharField(max_length=500)
    kind = pw.CharField(max_length=16, index=True)
    number = pw.CharField(max_length=64, default="")
    adopted_on = pw.DateField()
    file = pw.ForeignKeyField(StoredFile, backref="+")
    published_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    published_at = pw.DateTimeField(default=utcnow)
    withdrawn_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "regulatory_document"

    @classmethod
    def published(cls):
        return (
            cls.select(cls, StoredFile)
            .join(StoredFile)
            .where(cls.withdrawn_at.is_null())
            .order_by(cls.kind, cls.adopted_on.desc(), cls.title)
        )

"""Procedure definitions that plugins contribute, and the five procedure categories of G-12."""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    order: int


# G-12: the five categories, in the guide's order. Plugins file their procedures under these codes.
CATEGORIES = (
    Category("listing", _l("Листинговые процедуры"), 1),
    Category("nonlisting", _l("Сектор «Нелистинговые ценные бумаги» и KASE Private Market"), 2),
    Category("auditors", _l("Перечень аудиторских организаций, признаваемых Биржей"), 3),
    Category("membership", _l("Членство на Бирже"), 4),
    Category("disclosure", _l("Мониторинг раскрытия информации инициаторами допуска"), 5),
)
CATEGORY_BY_CODE = {c.code: c for c in CATEGORIES}


@dataclass(frozen=True)
class Procedure:
    """A procedure a client can file (G-11): its code is unique across all plugins.

    ``filers`` names the organisation roles whose users may file it (a financial consultant may also
    file for a partner issuer when ``consultant_files`` is set).
    """

    code: str
    category: str
    title: str
    description: str = ""
    filers: tuple[str, ...] = ("issuer",)
    consultant_files: bool = False
    version: int = 1
    order: int = 100
    documents: tuple[str, ...] = field(default=())

    def __post_init__(self):
        if self.category not in CATEGORY_BY_CODE:
            raise ValueError(f"procedure {self.code}: unknown category {self.category!r}")

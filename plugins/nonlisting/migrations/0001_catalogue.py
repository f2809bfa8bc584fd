"""The starting catalogue of the KASE Private Market cascade (Тип инструмента > Вид инструмента),
which Exchange admins then edit under "Справочники". Each leaf names the requirement form filed for
the instrument. Digital assets are listed without a form: the securities stage identifies every
instrument by its ISIN, which they do not have, so that branch shows that no form is provided."""

import peewee as pw

CATALOGUE = "kpm"

TREE = [
    (
        ("Акции", "Акциялар", "Shares"),
        [
            (("Простые акции", "Жай акциялар", "Common shares"), "nonlisting.kpm_shares"),
            (("Привилегированные акции", "Артықшылықты акциялар", "Preferred shares"), "nonlisting.kpm_shares"),
        ],
    ),
    (
        ("Облигации", "Облигациялар", "Bonds"),
        [
            (("Купонные облигации", "Купондық облигациялар", "Coupon bonds"), "nonlisting.kpm_bonds"),
            (("Дисконтные облигации", "Дисконттық облигациялар", "Discount bonds"), "nonlisting.kpm_bonds"),
        ],
    ),
    (
        ("Паи инвестиционных фондов", "Инвестициялық қорлардың пайлары", "Investment fund units"),
        [
            (
                (
                    "Паи интервальных паевых инвестиционных фондов",
                    "Аралық пай инвестициялық қорларының пайлары",
                    "Units of interval unit investment funds",
                ),
                "nonlisting.kpm_units",
            ),
            (
                (
                    "Паи закрытых паевых инвестиционных фондов",
                    "Жабық пай инвестициялық қорларының пайлары",
                    "Units of closed-end unit investment funds",
                ),
                "nonlisting.kpm_units",
            ),
        ],
    ),
    (
        ("Цифровые активы", "Цифрлық активтер", "Digital assets"),
        [
            (
                ("Обеспеченные цифровые активы", "Қамтамасыз етілген цифрлық активтер", "Asset-backed digital assets"),
                "",
            ),
        ],
    ),
]


def upgrade(db, migrator):
    class CascadeNode(pw.Model):
        catalogue = pw.CharField()
        parent = pw.IntegerField(null=True, column_name="parent_id")
        level = pw.IntegerField()
        label_ru = pw.CharField()
        label_kk = pw.CharField()
        label_en = pw.CharField()
        form_code = pw.CharField(default="")
        position = pw.IntegerField(default=0)
        is_active = pw.BooleanField(default=True)

        class Meta:
            database = db
            table_name = "cascade_node"

    def add(items, parent, level):
        for position, (labels, rest) in enumerate(items):
            node = CascadeNode.create(
                catalogue=CATALOGUE,
                parent=parent,
                level=level,
                label_ru=labels[0],
                label_kk=labels[1],
                label_en=labels[2],
                form_code=rest if isinstance(rest, str) else "",
                position=position,
            )
            if not isinstance(rest, str):
                add(rest, node.id, level + 1)

    add(TREE, None, 0)

"""The starting catalogue of the listing cascade (Площадка > Сектор > Категория > Пакеты требований),
which Exchange admins then edit. Requirement packages exist only where the listing rules set them."""

import peewee as pw

TREE = [
    (
        ("Основная площадка", "Негізгі алаң", "Main market"),
        [
            (
                ("Акции", "Акциялар", "Shares"),
                [
                    (
                        ("Премиум", "Премиум", "Premium"),
                        [
                            (
                                (
                                    "Пакет требований к акциям категории «Премиум»",
                                    "«Премиум» санатындағы акцияларға қойылатын талаптар пакеті",
                                    "Requirements for Premium shares",
                                ),
                                "listing.req_premium",
                            ),
                        ],
                    ),
                    (
                        ("Стандарт", "Стандарт", "Standard"),
                        [
                            (
                                (
                                    "Пакет требований к акциям категории «Стандарт»",
                                    "«Стандарт» санатындағы акцияларға қойылатын талаптар пакеті",
                                    "Requirements for Standard shares",
                                ),
                                "listing.req_standard",
                            ),
                        ],
                    ),
                ],
            ),
            (
                ("Долговые ценные бумаги", "Борыштық бағалы қағаздар", "Debt securities"),
                [
                    (
                        ("Облигации", "Облигациялар", "Bonds"),
                        [
                            (
                                (
                                    "Пакет требований к облигациям",
                                    "Облигацияларға қойылатын талаптар пакеті",
                                    "Requirements for bonds",
                                ),
                                "listing.req_bonds",
                            ),
                        ],
                    ),
                    (("Ипотечные облигации", "Ипотекалық облигациялар", "Mortgage bonds"), []),
                ],
            ),
        ],
    ),
    (
        ("Альтернативная площадка", "Балама алаң", "Alternative market"),
        [
            (("Акции", "Акциялар", "Shares"), []),
            (
                ("Долговые ценные бумаги", "Борыштық бағалы қағаздар", "Debt securities"),
                [
                    (
                        ("Облигации", "Облигациялар", "Bonds"),
                        [
                            (
                                (
                                    "Пакет требований к облигациям",
                                    "Облигацияларға қойылатын талаптар пакеті",
                                    "Requirements for bonds",
                                ),
                                "listing.req_bonds",
                            ),
                        ],
                    ),
                ],
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
        for position, item in enumerate(items):
            labels, rest = item
            form_code = rest if isinstance(rest, str) else ""
            node = CascadeNode.create(
                catalogue="listing",
                parent=parent,
                level=level,
                label_ru=labels[0],
                label_kk=labels[1],
                label_en=labels[2],
                form_code=form_code,
                position=position,
            )
            if not isinstance(rest, str):
                add(rest, node.id, level + 1)

    add(TREE, None, 0)

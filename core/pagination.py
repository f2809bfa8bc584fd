"""Pages of a query: ``?page=N``; never more rows than one page leaves the database."""

from dataclasses import dataclass

from flask import request


@dataclass
class Page:
    items: list
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def paginate(query, per_page=25, page=None) -> Page:
    try:
        number = max(1, int(page or request.args.get("page", 1)))
    except (TypeError, ValueError):
        number = 1
    total = query.count()
    last = max(1, -(-total // per_page))
    number = min(number, last)
    return Page(list(query.paginate(number, per_page)), number, per_page, total)

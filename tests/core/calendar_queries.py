"""Counts the statements that read the working-day calendar's table (peewee logs each statement at DEBUG)."""

import logging


class CalendarQueries(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record):
        if '"calendar_day"' in str(record.msg):
            self.count += 1

    def __enter__(self):
        self.logger = logging.getLogger("peewee")
        self.level = self.logger.level
        self.logger.setLevel(logging.DEBUG)
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self)
        self.logger.setLevel(self.level)


def calendar_reads(client, url) -> tuple[int, str]:
    """How many times one GET of ``url`` read the calendar's table, and the page."""
    with CalendarQueries() as counted:
        response = client.get(url)
    assert response.status_code == 200, url
    return counted.count, response.get_data(as_text=True)

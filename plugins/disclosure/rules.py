"""The disclosure obligations of admission initiators as data, and their deadlines in Kazakhstan
working days.

The deadlines are the plugin team's reading of the Exchange's disclosure requirements for admission
initiators (KASE listing rules, the listed company's obligations to submit reports and disclose
information) and of the Law of the Republic of Kazakhstan "On the securities market"; they are data
here so that the Exchange can correct them against the edition in force without touching the code:

- annual financial statements with the auditor's report: within 150 calendar days after the end of
  the financial year (30 May for a calendar year, i.e. about five months, the time an audit of
  consolidated statements takes);
- interim (quarterly) financial statements for the first three quarters: by the 15th day of the
  second month after the quarter (15 May, 15 August, 15 November), about 45 days; the fourth
  quarter is covered by the annual statements;
- annual report: by the last day of the eighth month after the financial year (31 August), after
  the annual general meeting has approved the statements;
- material events (facts affecting the interests of security holders): within 3 working days after
  the event.

A calendar-day deadline that falls on a weekend or holiday moves to the next working day; a
working-day deadline counts only working days. Both use ``core.workdays``: the public holidays of the
Republic with their observed days (New Year 1-2 January, Orthodox Christmas 7 January, Nauryz 21-23
March and the days observed for it...), and the days the Government transfers, which Exchange admins
enter under "Календарь".
"""

import calendar
import datetime
from dataclasses import dataclass

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import add_working_days


@dataclass(frozen=True)
class Rule:
    """One kind of obligation. ``period`` is "year", "quarter" or "event". The deadline is either
    ``days`` calendar days after the period's end, or day ``day`` (None: the last day) of the
    ``months``-th month after it, or ``working_days`` working days after the event."""

    kind: str
    title: str
    period: str
    days: int | None = None
    months: int | None = None
    day: int | None = None
    working_days: int | None = None
    quarters: tuple[int, ...] = ()
    deadline: str = ""  # the deadline as people read it
    prefix: str = "D"
    order: int = 100

    @property
    def procedure(self) -> str:
        return f"disclosure.{self.kind}"


RULES = (
    Rule(
        "annual_statements",
        _l("Годовая финансовая отчетность с аудиторским отчетом"),
        "year",
        days=150,
        deadline=_l("Не позднее 150 календарных дней после окончания финансового года."),
        prefix="DA",
        order=10,
    ),
    Rule(
        "interim_statements",
        _l("Промежуточная финансовая отчетность"),
        "quarter",
        months=2,
        day=15,
        quarters=(1, 2, 3),
        deadline=_l("За первый, второй и третий кварталы: не позднее 15-го числа второго месяца после квартала."),
        prefix="DI",
        order=20,
    ),
    Rule(
        "annual_report",
        _l("Годовой отчет"),
        "year",
        months=8,
        deadline=_l("Не позднее 31 августа года, следующего за отчетным."),
        prefix="DR",
        order=30,
    ),
    Rule(
        "material_event",
        _l("Сообщение о существенном событии"),
        "event",
        working_days=3,
        deadline=_l("В течение трех рабочих дней после наступления события."),
        prefix="DE",
        order=40,
    ),
)
RULE_BY_KIND = {rule.kind: rule for rule in RULES}


def _month_day(start: datetime.date, months: int, day: int | None) -> datetime.date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day or last, last))


def due_date(rule: Rule, period_end: datetime.date) -> datetime.date:
    """The deadline of ``rule`` for a period ending (or an event happening) on ``period_end``."""
    if rule.working_days is not None:
        return add_working_days(period_end, rule.working_days)
    if rule.days is not None:
        nominal = period_end + datetime.timedelta(days=rule.days)
    else:
        nominal = _month_day(period_end, rule.months, rule.day)
    return add_working_days(nominal, 0)  # a day off moves the deadline to the next working day


def quarter_end(year: int, quarter: int) -> datetime.date:
    month = quarter * 3
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def periods(rule: Rule, year: int) -> list[tuple[str, datetime.date]]:
    """(period code, period end) of the periodic ``rule`` for the financial year ``year``."""
    if rule.period == "year":
        return [(str(year), datetime.date(year, 12, 31))]
    if rule.period == "quarter":
        return [(f"{year}-Q{q}", quarter_end(year, q)) for q in rule.quarters]
    return []


def due_in(year: int) -> list[tuple[Rule, str, datetime.date]]:
    """Every periodic obligation falling due in calendar ``year``: (rule, period, due date)."""
    found = []
    for rule in RULES:
        for financial_year in (year - 1, year):
            for period, end in periods(rule, financial_year):
                due = due_date(rule, end)
                if due.year == year:
                    found.append((rule, period, due))
    return found


def period_label(kind: str, period: str, event_on: datetime.date | None = None) -> str:
    """The period as people read it: "2025 год", "1 квартал 2026 года", "событие от 20.03.2026"."""
    if "-Q" in period:
        year, quarter = period.split("-Q")
        return _("%(q)s квартал %(year)s года", q=quarter, year=year)
    if period.isdigit():
        return _("%(year)s год", year=period)
    if event_on:
        return _("событие от %(date)s", date=format_date(event_on, "dd.MM.yyyy"))
    return period

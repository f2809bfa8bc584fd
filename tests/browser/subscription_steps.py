"""Steps of the subscription journey as people do them in the browser, and the few things a test does
behind the browser's back: moving the calendar of a subscription into "now" and editing the register
the seller downloaded, the way the seller's back office would in Excel."""

import datetime
import io
import re

from openpyxl import load_workbook
from playwright.sync_api import expect

from core.db import utcnow
from core.workdays import add_working_days
from plugins.subscription.models import Subscription
from plugins.subscription.rules import local
from tests.browser.listing_steps import ARTIFACTS, settled

SUBSCRIPTIONS = "Подписки"


def shot(page, step):
    """A full-page screenshot of this step: test-artifacts/browser/subscription_<step>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # caret="initial": hiding the caret injects a <style> the app's CSP refuses (see conftest).
    page.screenshot(path=str(ARTIFACTS / f"subscription_{step}.png"), full_page=True, caret="initial")


def heading(page, text):
    """The page's h1 (a regex or the exact text)."""
    return page.get_by_role("heading", name=text, level=1)


def open_subscription(page, isin):
    """ "Подписки" in the user's menu, then "Подробнее" on the row of ``isin``."""
    page.get_by_role("navigation", name="Меню пользователя").get_by_role("link", name=SUBSCRIPTIONS, exact=True).click()
    expect(heading(page, "Подписки на ценные бумаги")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=isin)
    expect(row).to_have_count(1)
    row.get_by_role("link", name="Подробнее").click()
    expect(heading(page, re.compile(r"^Подписка "))).to_be_visible()
    settled(page)


def sub_status(page):
    """The state badge beside the h1 of a subscription's pages."""
    return page.locator("main .panel-head .status").first


def fact(page, term):
    """The <dd> that follows the <dt> ``term`` in a list of facts."""
    return page.locator(f"dl.facts dt:text-is('{term}') + dd").first


# --- the calendar ------------------------------------------------------------------------------------


def application_dates(today: datetime.date) -> dict:
    """Dates of an application filed today that keeps every rule of S-3: acceptance opens 3 working days
    after filing (S-3.1) and lasts two working days, the accepted register on the day acceptance ends,
    the satisfied register the next working day, the deals one working day after it, settled the same day
    (with CCP)."""
    accept_from = add_working_days(today, 3)
    accept_to = add_working_days(accept_from, 1)
    satisfied = add_working_days(accept_to, 1)
    deal = add_working_days(satisfied, 1)
    return {
        "accept_from": accept_from,
        "accept_to": accept_to,
        "activation": accept_to,
        "accepted_register_on": accept_to,
        "satisfied_register_on": satisfied,
        "deal": deal,
        "settlement": deal,
    }


def almaty_today() -> datetime.date:
    return local(utcnow()).date()


def reschedule(sub_id: int, **fields) -> None:
    """Move a subscription's calendar in the database. The rules put days between the steps (3 working
    days from filing to acceptance, S-3.1; the acceptance period; the deal date after the registers), and a
    browser test cannot wait for them: the steps themselves run through the pages, only the clock is
    moved."""
    Subscription.update(**fields).where(Subscription.id == sub_id).execute()


def acceptance_runs_now(sub_id: int) -> None:
    """Acceptance started yesterday and ends in an hour; everything after it keeps its order."""
    now = utcnow()
    reschedule(
        sub_id,
        accept_from=now - datetime.timedelta(days=1),
        accept_to=now + datetime.timedelta(hours=1),
        activation_at=now + datetime.timedelta(minutes=30),  # inside the period (S-4.3)
        accepted_register_on=local(now).date(),
        satisfied_register_on=local(now + datetime.timedelta(days=1)).date(),
        deal_at=now + datetime.timedelta(days=2),
        settlement_at=now + datetime.timedelta(days=2, hours=1),
    )


def activation_has_come(sub_id: int) -> None:
    """The activation time, inside the acceptance period (S-4.3), passed a minute ago; acceptance goes on."""
    reschedule(sub_id, activation_at=utcnow() - datetime.timedelta(minutes=1))


def acceptance_is_over(sub_id: int) -> None:
    """Acceptance and its confirmation minutes (S-4.2) ended two minutes ago; the activation time, inside
    the period (S-4.3), has come and gone."""
    now = utcnow()
    end = now - datetime.timedelta(minutes=Subscription.get_by_id(sub_id).confirmation_minutes + 2)
    reschedule(sub_id, accept_to=end, activation_at=end - datetime.timedelta(minutes=1))


def deal_time_has_come(sub_id: int) -> None:
    """The satisfied register came in time; now the deal date and time (S-10.3) have come."""
    now = utcnow()
    reschedule(sub_id, deal_at=now - datetime.timedelta(minutes=1), settlement_at=now)


# --- the register the seller edits -------------------------------------------------------------------


def register_rows(data: bytes) -> dict:
    """The accepted register's rows by order number: {number: {column: value}} (columns of form S-A2)."""
    ws = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    at = next(i for i, r in enumerate(rows) if r and r[0] == "A")
    columns = [str(v) if v is not None else None for v in rows[at]]
    found = {}
    for row in rows[at + 1 :]:
        if not row or row[0] is None or str(row[0]).startswith("ИТОГО"):
            continue
        values = {c: v for c, v in zip(columns, row, strict=False) if c}
        found[values["1"]] = values
    return found


def satisfy(data: bytes, fills: dict) -> bytes:
    """The accepted register with columns 7 (price) and 9 (quantity) filled per order number; the volume
    (10) is left for the Exchange to compute."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    header = next(r for r in range(1, 30) if ws.cell(r, 1).value == "A")
    pos = {str(c.value): c.column for c in ws[header] if c.value is not None}
    for r in range(header + 1, ws.max_row + 1):
        number = ws.cell(r, pos["1"]).value
        if number in fills:
            price, quantity = fills[number]
            ws.cell(r, pos["7"]).value = price
            ws.cell(r, pos["9"]).value = quantity
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

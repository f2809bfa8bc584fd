"""One clock, the Exchange's (core/clock.py): instants stored in UTC, every date a person reads or a rule
counts in Almaty time, at both sides of both midnights (Almaty's at 19:00 UTC, UTC's at 00:00); and no
code in core/ or plugins/ takes a business date from the machine's clock."""

import ast
import datetime
import io
import subprocess
from pathlib import Path

import pytest
import time_machine

from core import clock, create_app
from core.config import from_environment
from core.tasks import exchange_crontab
from tests.conftest import almaty

ROOT = Path(__file__).resolve().parents[2]


# --- the scan ---------------------------------------------------------------------------------------------


def _call_name(node: ast.AST) -> str:
    """``datetime.date.today`` for the call ``datetime.date.today()``."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        parts.append(_call_name(node.func) + "()")
    return ".".join(reversed(parts))


def machine_clock_uses(source: str) -> list[tuple[int, str]]:
    """Where ``source`` takes a date or time from the machine's clock instead of core.clock."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node.func)
        if name.endswith("date.today"):
            found.append((node.lineno, "date.today()"))
        elif name.endswith("datetime.now") and not node.args and not node.keywords:
            found.append((node.lineno, "datetime.now() without a zone"))
        elif name.endswith("datetime.utcnow") or name.endswith("datetime.today"):
            found.append((node.lineno, name + "()"))
        elif name.endswith(".date") and isinstance(node.func, ast.Attribute):
            inner = node.func.value
            if isinstance(inner, ast.Call) and _call_name(inner.func).split(".")[-1] in ("utcnow", "now"):
                found.append((node.lineno, _call_name(inner.func) + "().date()"))
    return found


def test_the_scan_catches_each_way_of_reading_the_machines_clock():
    source = (
        "import datetime\nfrom datetime import date\n"
        "a = datetime.date.today()\nb = date.today()\nc = datetime.datetime.now()\n"
        "d = datetime.datetime.utcnow()\ne = utcnow().date()\nf = datetime.datetime.utcnow().date()\n"
        "g = datetime.datetime.now(datetime.UTC)\nh = clock.today()\ni = row.created_at.date()\n"
    )
    lines = sorted({line for line, _what in machine_clock_uses(source)})
    assert lines == [3, 4, 5, 6, 7, 8]


def test_no_code_takes_a_business_date_from_the_machines_clock():
    offenders = []
    for folder in ("core", "plugins"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "core" / "clock.py":
                continue
            for line, what in machine_clock_uses(path.read_text(encoding="utf-8")):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert offenders == [], "use core.clock (today(), utcnow(), date_of(), to_local()) instead:\n" + "\n".join(
        offenders
    )


# --- the clock at the midnights -------------------------------------------------------------------------


def test_today_and_stored_instants_at_both_sides_of_both_midnights(app, frozen_at):
    with app.app_context():
        assert clock.utcnow() == frozen_at.utc
        assert clock.today() == frozen_at.exchange_date
        assert clock.local_now() == almaty(frozen_at.utc)
        assert clock.date_of(frozen_at.utc) == frozen_at.exchange_date
        assert clock.to_utc(clock.local_now()) == frozen_at.utc
    # Almaty's date: 03.12 only before 19:00 UTC on 03.12; from then on 04.12 though UTC still says 03.12
    expected = {
        datetime.datetime(2026, 12, 3, 18, 59): datetime.date(2026, 12, 3),
        datetime.datetime(2026, 12, 3, 19, 1): datetime.date(2026, 12, 4),
        datetime.datetime(2026, 12, 3, 23, 59): datetime.date(2026, 12, 4),
        datetime.datetime(2026, 12, 4, 0, 1): datetime.date(2026, 12, 4),
    }
    assert frozen_at.exchange_date == expected[frozen_at.utc]


def test_the_workflow_and_subscription_helpers_read_the_same_clock(app, frozen_at):
    from core.db import utcnow
    from core.workflow import engine
    from plugins.subscription import rules, service
    from plugins.subscription.settlement.base import today

    with app.app_context():
        assert utcnow() == service.now() == frozen_at.utc
        assert engine.today() == today() == frozen_at.exchange_date
        assert rules.local(frozen_at.utc) == almaty(frozen_at.utc)
        assert rules.utc(frozen_at.exchange_date, almaty(frozen_at.utc).time()) == frozen_at.utc


def test_before_march_2024_almaty_was_utc_plus_6(app):
    """zoneinfo's rules, not a fixed +5: a stored instant of 2023 is shown as it was lived."""
    with app.app_context():
        assert clock.to_local(datetime.datetime(2023, 6, 1, 18, 30)) == datetime.datetime(2023, 6, 2, 0, 30)
        assert clock.to_local(datetime.datetime(2026, 6, 1, 18, 30)) == datetime.datetime(2026, 6, 1, 23, 30)


def test_the_zone_is_configurable_and_a_wrong_one_stops_the_start(tmp_path, database_url):
    config = from_environment(tmp_path, {"IS2IN_TIMEZONE": "Asia/Tashkent"})
    assert config["TIMEZONE"] == config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Tashkent"
    assert from_environment(tmp_path, {})["TIMEZONE"] == "Asia/Almaty"
    with pytest.raises(ValueError, match="IS2IN_TIMEZONE"):
        from_environment(tmp_path, {"IS2IN_TIMEZONE": "Mars/Olympus"})
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "TIMEZONE": "Europe/London"})
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Europe/London"
    with app.app_context(), time_machine.travel(datetime.datetime(2026, 12, 3, 23, 30, tzinfo=datetime.UTC)):
        assert clock.today() == datetime.date(2026, 12, 3)


def test_the_pages_show_times_on_the_exchanges_clock(app, frozen_at):
    with app.test_request_context():
        rendered = app.jinja_env.from_string("{{ moment|dt }}").render(moment=frozen_at.utc)
    assert rendered == almaty(frozen_at.utc).strftime("%d.%m.%Y %H:%M")


# --- the reminders' schedule ----------------------------------------------------------------------------


def test_the_morning_reminders_fire_at_eight_on_the_exchanges_clock(app):
    """auditors' reminders at 08:00 and disclosure's at 08:30 in Almaty: 03:00 and 03:30 UTC; huey hands
    the schedule the naive UTC minute."""
    from plugins.auditors import is2in_periodic_jobs as auditors_jobs
    from plugins.disclosure import is2in_periodic_jobs as disclosure_jobs

    (auditors,) = auditors_jobs()
    (disclosure,) = disclosure_jobs()
    day = datetime.date(2026, 12, 4)
    fires = {
        name: [
            h for h in range(24) for m in (0, 30) if job.schedule(datetime.datetime.combine(day, datetime.time(h, m)))
        ]
        for name, job in (("auditors", auditors), ("disclosure", disclosure))
    }
    assert fires == {"auditors": [3], "disclosure": [3]}
    assert disclosure.schedule(datetime.datetime(2026, 12, 4, 3, 30)) and not disclosure.schedule(
        datetime.datetime(2026, 12, 4, 8, 30)
    )
    assert exchange_crontab(minute="0", hour="0")(datetime.datetime(2026, 12, 3, 19, 0))  # Almaty's midnight


# --- the seal and the signature stamp --------------------------------------------------------------------


def test_the_seal_and_the_signature_stamp_print_the_same_almaty_time(app, frozen_at, tmp_path):
    """The seal's visible time was pyHanko's default (the machine's zone, labelled UTC) beside a signature
    stamped in Almaty time; both now print the Exchange's time with the same label."""
    from core.signing import pki
    from core.signing import seal as sealing

    shown = almaty(frozen_at.utc).strftime("%d.%m.%Y %H:%M:%S") + " (время Алматы)"
    ca = pki.make_ca("Test Seal CA")
    seal = pki.make_seal_cert(ca, name="ЭЛЕКТРОННАЯ ПЕЧАТЬ БИРЖИ (TEST)", organisation="АО «KASE»", bin="000000000000")
    path = tmp_path / "seal.p12"
    path.write_bytes(pki.to_pkcs12(seal.cert, seal.key, seal.chain, "seal-pass"))
    with app.app_context():
        assert clock.stamped(frozen_at.utc) == shown  # the signature stamp's wording (signing.service)
        key = sealing.load_seal({"SEAL_P12": str(path), "SEAL_PASSWORD": "seal-pass"})
        sealed = sealing.seal_pdf(_blank_pdf(), key, code="ABC-123")
    (tmp_path / "sealed.pdf").write_bytes(sealed)
    text = subprocess.run(["pdftotext", str(tmp_path / "sealed.pdf"), "-"], capture_output=True, check=True, text=True)
    assert "Дата: " + shown in " ".join(text.stdout.split())
    assert "UTC" not in text.stdout


def _blank_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_the_seal_is_applied_where_an_event_loop_already_runs(app, tmp_path):
    """pyHanko's sync sign_pdf calls asyncio.run, refused inside a running loop (the demo run from a
    process with a Playwright session was refused that way): the seal is applied beside such a loop."""
    import asyncio

    from pypdf import PdfReader

    from core.signing import pki
    from core.signing import seal as sealing

    ca = pki.make_ca("Test Seal CA")
    seal = pki.make_seal_cert(ca, name="ЭЛЕКТРОННАЯ ПЕЧАТЬ БИРЖИ (TEST)", organisation="АО «KASE»", bin="000000000000")
    path = tmp_path / "seal.p12"
    path.write_bytes(pki.to_pkcs12(seal.cert, seal.key, seal.chain, "seal-pass"))

    async def inside_a_loop():
        with app.app_context():
            key = sealing.load_seal({"SEAL_P12": str(path), "SEAL_PASSWORD": "seal-pass"})
            return sealing.seal_pdf(_blank_pdf(), key, code="ABC-123")

    sealed = asyncio.run(inside_a_loop())
    assert len(PdfReader(io.BytesIO(sealed)).get_fields() or {}) == 1  # one signature field: the seal

"""`make run` is the whole system: the app started the README's way (`is2in db upgrade`, `is2in demo`,
`is2in pki demo`, `is2in run`) in a process of its own, on the embedded SQLite default of a fresh instance
folder, with no worker started beside it. The seller returns a satisfied register for the demo
subscription that waits for one; only a queue consumer checks it, so seeing it checked proves the one
that `is2in run` runs in-process."""

import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from plugins.subscription.demo import AWAITING_SATISFIED
from tests.browser.conftest import TIMEOUT_MS, _field, _login, _watch
from tests.browser.listing_steps import button, download, settled, status
from tests.browser.subscription_steps import XLSX, heading, open_subscription, register_rows, satisfy, sub_status
from tests.conftest import free_port

pytestmark = pytest.mark.browser

IS2IN = str(Path(sys.executable).with_name("is2in"))
CHECKED_WITHIN_MS = 60_000  # the worker polls its queue, the page polls every 2 s; a loaded machine is slow


def _environment(instance: Path, url: str) -> dict:
    """A new user's shell: no IS2IN_* setting of this test run leaks in, only a fresh instance folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IS2IN_")}
    env.update(IS2IN_INSTANCE_PATH=str(instance), IS2IN_BASE_URL=url, PYTHONUNBUFFERED="1")
    return env


def _wait_up(url: str, server: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"is2in run exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"is2in run did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def made_run(tmp_path):
    """The README's commands, one after the other, as `make run` runs them; yields the server's URL."""
    instance = tmp_path / "instance"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = _environment(instance, url)
    for command in (["db", "upgrade"], ["demo"], ["pki", "demo"]):
        done = subprocess.run([IS2IN, *command], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"is2in {' '.join(command)}:\n{done.stdout}\n{done.stderr}"
    log = tmp_path / "run.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [IS2IN, "run", "--host", "127.0.0.1", "--port", str(port), "--with-threads"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_up(url, server, log)
        yield url, instance
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert "task worker: 2 thread(s) in this process" in log.read_text(), log.read_text()[-3000:]


@pytest.mark.rule("S-9.5")
def _database(instance: Path, query: str) -> list:
    with sqlite3.connect(instance / "is2in.db") as database:  # the embedded default of a fresh instance
        return database.execute(query).fetchall()


def test_make_run_checks_a_satisfied_register_without_a_separate_worker(browser, made_run):
    url, instance = made_run
    context = browser.new_context(base_url=url, locale="ru-RU", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors = _watch(page)
    try:
        _login(page, "seller@demo.kz")  # the demo's password, Demo!2345

        # The demo's subscription whose acceptance ended on the last working day: its accepted register is
        # there, the satisfied one is due by the next working day.
        open_subscription(page, AWAITING_SATISFIED)
        expect(sub_status(page)).to_have_text("Реестр принятых заявок направлен")
        page.get_by_role("link", name="Реестры заявок").click()
        expect(heading(page, re.compile(r"^Реестры заявок"))).to_be_visible()
        settled(page)
        name, data = download(page, page.locator("#accepted").get_by_role("link", name="XLSX", exact=True))
        assert name.endswith(".xlsx"), name
        rows = register_rows(data)
        assert len(rows) == 2, rows  # the demo's two buyers
        # The seller sells each buyer what it asked, at its own price (columns 7 and 9).
        filled = satisfy(data, {number: (row["3"], row["5"]) for number, row in rows.items()})

        _field(page, "Файл реестра удовлетворенных заявок (XLSX или XML)").set_input_files(
            {"name": "satisfied.xlsx", "mimeType": XLSX, "buffer": filled}
        )
        button(page, "Представить реестр удовлетворенных заявок").click()
        status(page, "Файл получен и проверяется.")
        # Checked by the consumer inside `is2in run`; the widget polls until it shows the result.
        satisfied = page.locator("#satisfied")
        expect(satisfied.get_by_role("status").filter(has_text="Реестр удовлетворенных заявок принят")).to_be_visible(
            timeout=CHECKED_WITHIN_MS
        )
        expect(satisfied.locator("progress")).to_have_count(0)
        page.reload()
        expect(sub_status(page)).to_have_text(re.compile("Реестр удовлетвор.нных заявок принят"))
        expect(page.locator("#satisfied").get_by_role("row").filter(has_text="принят, действует")).to_have_count(1)
    finally:
        context.close()
    if errors:
        pytest.fail("errors in the browser console:\n" + "\n".join(errors), pytrace=False)
    # The periodic jobs ran too (each claims its minute in job_run), and the mail `is2in demo` queued was
    # taken from the queue: held, since no SMTP server is configured, rather than waiting.
    ran = {name for (name,) in _database(instance, "SELECT name FROM job_run")}
    assert {"subscription_clock", "subscription_registers", "settlement_clock", "sweep_mail"} <= ran, ran
    deadline = time.monotonic() + 30  # the check's own notices were queued a moment ago
    while True:
        statuses = dict(_database(instance, "SELECT status, COUNT(*) FROM mail_message GROUP BY status"))
        if not statuses.get("pending") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert statuses.get("held") and not statuses.get("pending"), statuses

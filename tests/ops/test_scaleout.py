"""Two app servers and a worker that share only PostgreSQL, Redis and the file store: a user signs in
through one, acts through the other, and the mail one of them queues is sent once by the worker."""

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from tests.conftest import PG_URL, free_port
from tests.security.servers import REDIS, redis_up

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (IS2IN_TEST_DATABASE_URL)")


def _wait(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")


class Browser:
    """A cookie-keeping HTTP client that posts forms with their CSRF token, like a person's browser."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, url):
        with self.opener.open(url, timeout=10) as response:
            return response.status, response.read().decode()

    def post(self, url, form_page, data):
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(form_page)[1]).group(1)
        body = urllib.parse.urlencode({"csrf_token": token, **data}).encode()
        request = urllib.request.Request(url, data=body, headers={"Referer": form_page})
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


@pytest.fixture
def cluster(app, database_url, mailbox, tmp_path, demo):
    if not redis_up():
        pytest.skip("Redis is not reachable")
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    env = {
        **os.environ,
        "IS2IN_DATABASE_URL": database_url,
        "IS2IN_REDIS_URL": REDIS,
        "IS2IN_SMTP_URL": mailbox.url,
        "IS2IN_SECRET_KEY": "shared-secret",
        "IS2IN_WORKERS": "1",
        "IS2IN_DATA_DIR": str(tmp_path / "files"),
        "IS2IN_BASE_URL": "http://127.0.0.1",
    }
    processes, urls = [], []
    for n in range(2):
        port = free_port()
        instance = tmp_path / f"host{n}"  # each "host" has its own instance folder: nothing shared there
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", "from core.cli import main; main()", "serve", "--production"],
                env={**env, "IS2IN_BIND": f"127.0.0.1:{port}", "IS2IN_INSTANCE_PATH": str(instance)},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    worker = subprocess.Popen(
        [sys.executable, "-c", "from core.cli import main; main()", "worker"],
        env={**env, "IS2IN_INSTANCE_PATH": str(tmp_path / "worker")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for url in urls:
            _wait(url + "/readyz")
        yield urls
    finally:
        for process in processes + [worker]:
            process.terminate()
        for process in processes + [worker]:
            process.wait(timeout=20)


def test_sign_in_on_one_server_act_on_the_other_mail_sent_once(cluster, mailbox):
    one, two = cluster
    browser = Browser()
    status, _ = browser.post(
        one + "/login", one + "/login", {"email": "admin@exchange.demo", "password": "Demo!2345", "agreement": "y"}
    )
    assert status == 200
    status, page = browser.get(two + "/staff/organisations")  # the session lives in PostgreSQL, not in a process
    assert status == 200 and "DEMO" in page

    status, page = browser.get(two + "/staff/users?q=issuer")
    user_id = re.search(r'/staff/users/(\d+)/edit">Ахметова', page).group(1)
    org_page = re.search(r'href="(/staff/organisations/\d+)">DEMO', page).group(1)
    status, _ = browser.post(two + f"/staff/users/{user_id}/send-link", two + org_page, {})
    assert status == 200
    mailbox.wait_for("issuer@demo.kz", timeout=30)
    time.sleep(3)  # give any second delivery a chance to show up
    assert len(mailbox.to("issuer@demo.kz")) == 1

    status, _ = browser.post(one + "/logout", one + "/", {})
    status, page = browser.get(two + "/staff/organisations")
    assert "Вход в систему is2in" in page  # signed out everywhere at once

"""Issue #19.4 in the browser: the organisation admin reaches "Интеграции" from "Пользователи", adds a
webhook endpoint (a real receiver on this machine), copies the secret shown once, sees a status change
delivered in the log, and makes a read-only API key that opens /api/v1/applications."""

import json
import re

import pytest

from core import tasks
from core.workflow import engine
from core.workflow.models import Application, ApplicationMember
from tests.browser.conftest import settled
from tests.browser.listing_steps import screen
from tests.webhook_receiver import Receiver, docs_verifier

pytestmark = pytest.mark.browser


def test_the_admin_connects_the_organisations_system(app, demo, page, login):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True  # the receiver is on 127.0.0.1 (off in production)
    receiver = Receiver()
    try:
        admin, head = demo["issuer@demo.kz"], demo["ceo@demo.kz"]
        application = Application.create(
            number="LS-2026-00077",
            organisation=admin.organisation,
            procedure="listing.delisting",
            author=admin,
            process="approval",
            status="approval",
        )
        ApplicationMember.create(application=application, user=admin, role="author")
        login(page, "issuer@demo.kz")
        page.get_by_role("link", name="Пользователи").first.click()
        settled(page)
        page.get_by_role("link", name="Интеграции").click()
        settled(page)
        page.get_by_label("Адрес (https://…)").fill(receiver.url)
        page.get_by_label("Описание").fill("ERP казначейства")
        page.get_by_role("button", name="Добавить адрес").click()
        settled(page)
        secret = page.locator("#new-secret").input_value()
        assert secret.startswith("whsec_")

        with app.app_context(), tasks.change():
            engine.transition(application, "return", head, version=application.version, note="Приложите устав")
        assert len(receiver.requests) == 1
        _path, headers, body = receiver.requests[0]
        assert docs_verifier()(secret, headers["X-Is2in-Signature"], body)
        assert json.loads(body)["data"]["application"]["number"] == "LS-2026-00077"

        page.get_by_label("Название ключа (например, бэк-офис)").fill("ERP")
        page.get_by_label("Срок действия, дней").fill("90")
        page.get_by_role("button", name="Создать ключ").click()
        settled(page)
        key = page.locator("#new-key").input_value()
        assert key.startswith("is2in_ro_")
        log = page.locator("table").nth(1)
        assert "доставлено" in log.inner_text() and "LS-2026-00077" in log.inner_text()
        log.locator("details summary").first.click()
        assert re.search(r"HTTP 200", log.inner_text())
        screen(page, "integrations_1366x768")

        answer = page.request.get("/api/v1/applications", headers={"Authorization": f"Bearer {key}"})
        assert answer.status == 200
        assert [a["number"] for a in answer.json()["items"]] == ["LS-2026-00077"]
    finally:
        receiver.close()

"""The first head signs in Chromium (G-21, G-22): through the "НУЦ" tab against a stand-in NCALayer (a
websocket server speaking NCALayer's protocol and signing with the test key), and through the "Tumar CSP"
tab by downloading the document, signing it with openssl and uploading "Файл для подписи"."""

import asyncio
import base64
import json
import re
import threading

import pytest
from playwright.sync_api import expect

from core.signing import pki
from core.workflow.models import Application
from tests.browser.conftest import settled
from tests.conftest import free_port
from tests.core.test_signing_flow import at_approval, ceo_key, world  # noqa: F401 - fixtures and helpers
from tests.core.test_signing_kit import kit, responder  # noqa: F401 - fixtures

websockets = pytest.importorskip("websockets")
pytestmark = pytest.mark.browser


class StandInNCALayer:
    """NCALayer's websocket protocol as ncalayer-js-client speaks it: the version on connect, "no such module"
    for the KAZTOKEN probe, and ``kz.gov.pki.knca.basics`` ``sign`` answered with a detached CMS made with
    the test key, offered only if its extended key usage has every purpose the page asked for."""

    def __init__(self, issued):
        self.issued = issued
        self.port = free_port()
        self.requests = []
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.ready.wait(10)

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}"

    def _run(self):
        asyncio.set_event_loop(self.loop)

        async def main():
            self.stop = asyncio.Event()
            async with websockets.serve(self._session, "127.0.0.1", self.port):
                self.ready.set()
                await self.stop.wait()

        self.loop.run_until_complete(main())

    async def _session(self, connection):
        await connection.send(json.dumps({"result": {"version": "1.4"}}))
        async for message in connection:
            request = json.loads(message)
            self.requests.append(request)
            if request.get("module") != "kz.gov.pki.knca.basics":
                await connection.send(json.dumps({"code": "500", "message": "Module not found"}))
                continue
            args = request["args"]
            offered = {u.dotted_string for u in self._usage()}
            if not set(args["signerParams"]["extKeyUsageOids"]) <= offered:
                await connection.send(
                    json.dumps({"status": False, "code": "NO_KEYS", "message": "no suitable keys", "details": ""})
                )
                continue
            document = base64.b64decode(args["data"])
            cms = pki.sign_detached_with_openssl(
                document, self.issued.cert_pem, self.issued.key_pem, chain_pem=self.issued.chain_pem
            )
            await connection.send(json.dumps({"status": True, "body": {"result": [base64.b64encode(cms).decode()]}}))

    def _usage(self):
        from cryptography import x509

        return self.issued.cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value

    def close(self):
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(5)


def _open_signing(page, login, app, returning, app_id):
    login(page, "ceo@demo.kz")
    page.goto(f"/applications/{app_id}")
    page.get_by_role("button", name="Согласовано").click()
    expect(page.get_by_role("heading", name="Подписать ЭЦП")).to_be_visible()
    settled(page)  # the tabs and the NCALayer button work once htmx has processed the swapped page


@pytest.mark.rule("G-21")
def test_the_first_head_signs_through_the_nuc_tab_with_ncalayer(page, login, app, returning, world, kit):  # noqa: F811
    ncalayer = StandInNCALayer(ceo_key(kit, world))
    app.config["NCALAYER_URL"] = ncalayer.url
    try:
        app_id = at_approval(app, world)
        _open_signing(page, login, app, returning, app_id)

        expect(page.get_by_role("tab", name="НУЦ")).to_have_attribute("aria-selected", "true")
        expect(page.get_by_role("tab", name="Tumar CSP")).to_be_visible()
        page.get_by_role("button", name="Подписать").click()

        expect(page.locator(".flash-success")).to_contain_text(
            "Заявление подписано и направлено в канцелярию Биржи.", timeout=30_000
        )
        sign = next(r for r in ncalayer.requests if r.get("module") == "kz.gov.pki.knca.basics")
        assert sign["method"] == "sign" and sign["args"]["format"] == "cms"
        assert sign["args"]["signingParams"]["encapsulate"] is False  # a detached CMS
        assert sign["args"]["signerParams"]["extKeyUsageOids"] == ["1.3.6.1.5.5.7.3.4", "1.2.398.3.3.4.1.2.1"]
        assert "password" not in json.dumps(sign).lower()  # the key and its password stay in NCALayer
        from core.workflow.models import Application

        assert Application.get_by_id(app_id).process == "registration"
    finally:
        ncalayer.close()


@pytest.mark.rule("G-21")
def test_without_ncalayer_the_page_says_so_and_points_to_tumar_csp(context, login, app, returning, world, kit):  # noqa: F811
    # The browser itself logs the refused websocket connection, so this page is not watched for console errors.
    page = context.new_page()
    app.config["NCALAYER_URL"] = f"ws://127.0.0.1:{free_port()}"  # nothing listens there
    app_id = at_approval(app, world)
    _open_signing(page, login, app, returning, app_id)

    page.get_by_role("button", name="Подписать").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("NCALayer не запущен или недоступен")
    alert.get_by_role("link", name="Tumar CSP").click()
    expect(page.get_by_role("tab", name="Tumar CSP")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_label(re.compile(r"^\s*Файл для подписи"))).to_be_visible()


@pytest.mark.rule("G-22")
def test_the_first_head_signs_through_the_tumar_csp_tab(page, login, app, returning, world, kit):  # noqa: F811
    app_id = at_approval(app, world)
    _open_signing(page, login, app, returning, app_id)

    page.get_by_role("tab", name="Tumar CSP").click()
    panel = page.get_by_role("tabpanel", name="Tumar CSP")
    # the one file to sign, named as what it is, above both tabs
    number = Application.get_by_id(app_id).number
    with page.expect_download() as download:
        page.get_by_role("link", name=f"Заявление {number}.pdf", exact=True).click()
    assert download.value.suggested_filename == f"Заявление {number}.pdf"
    document = open(download.value.path(), "rb").read()
    key = ceo_key(kit, world)
    cms = pki.sign_detached_with_openssl(document, key.cert_pem, key.key_pem, chain_pem=key.chain_pem)
    panel.get_by_label(re.compile(r"^\s*Файл для подписи")).set_input_files(
        files=[{"name": "document.pdf.cms", "mimeType": "application/pkcs7-signature", "buffer": cms}]
    )
    panel.get_by_role("button", name="Отправить файл").click()

    expect(page.locator(".flash-success")).to_contain_text(
        "Заявление подписано и направлено в канцелярию Биржи.", timeout=30_000
    )
    assert Application.get_by_id(app_id).process == "registration"

"""Steps of the listing journey as a person does them in the browser: menus, stage tabs, the action
buttons, downloading the document to sign and signing it with a key of a test PKI."""

import os
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from playwright.sync_api import expect

from core.signing import pki
from tests.browser.conftest import settled  # noqa: F401  (re-exported: the steps and tests import it from here)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
PDF = {"name": "doc.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
KEY_PASSWORD = "Qwerty12"


def shot(page, step):
    """A full-page screenshot of this step, for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # caret="initial": hiding the caret injects a <style> the app's CSP refuses (see conftest).
    page.screenshot(path=str(ARTIFACTS / f"listing_{step}.png"), full_page=True, caret="initial")


def menu(page, label):
    page.get_by_role("navigation", name="Меню пользователя").get_by_role("link", name=label, exact=True).click()
    expect(page.get_by_role("heading", name=label, level=1)).to_be_visible()
    settled(page)


def status(page, text):
    """The flash message that confirms what was just done."""
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()
    settled(page)


def button(scope, name):
    return scope.get_by_role("button", name=name, exact=True)


def tab(page, title):
    """A stage tab: a link when it is open, a span with aria-disabled while the stages before it are
    not done. Its text is the title followed by the stage's status."""
    return (
        page.get_by_role("navigation", name="Этапы")
        .locator(".tab")
        .filter(has_text=re.compile(rf"^\s*{re.escape(title)}"))
    )


def open_tab(page, title):
    tab(page, title).click()
    expect(tab(page, title)).to_have_attribute("aria-current", "page")
    settled(page)


def open_from_list(page, list_label, number):
    """ "На рассмотрении", "Архив" or "Входящие заявления": the row of ``number`` → "Подробнее"."""
    menu(page, list_label)
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=number, exact=True))
    expect(row).to_have_count(1)
    row.get_by_role("link", name="Подробнее").click()
    expect(page.get_by_role("definition").filter(has_text=re.compile(rf"^{re.escape(number)}$"))).to_be_visible()
    settled(page)
    return row


def app_status(page):
    return page.locator(".app-head .panel-head .status")


def personal_keystore(ca, user):
    """The first head's SIGN key as НУЦ РК hands it out: a password-protected PKCS#12 file whose
    certificate carries the person's IIN and the organisation's BIN."""
    issued = pki.make_person_cert(
        ca,
        surname=user.last_name.upper(),
        name=user.first_name.upper(),
        iin=user.iin,
        bin=user.organisation.bin,
        organisation=user.organisation.name_ru,
        purpose="sign",
    )
    return pki.to_pkcs12(issued.cert, issued.key, issued.chain, password=KEY_PASSWORD)


def sign_with_openssl(document: bytes, keystore: bytes) -> bytes:
    """What the first head does at his own computer: open the key store, make a detached CMS."""
    key, cert, _chain = pkcs12.load_key_and_certificates(keystore, KEY_PASSWORD.encode())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pki.sign_detached_with_openssl(document, cert.public_bytes(serialization.Encoding.PEM), key_pem)


def download(page, locator) -> tuple[str, bytes]:
    with page.expect_download() as info:
        locator.click()
    dl = info.value
    return dl.suggested_filename, Path(dl.path()).read_bytes()


def sign_in_browser(page, keystore, step, document_name, done):
    """ "Подписать ЭЦП" with a key through Tumar CSP (G-22): download the one document to sign (named as what it
    is), sign it locally, upload the CMS as "Файл для подписи", "Отправить файл"; ``done`` is what the portal then
    says happened."""
    expect(page.get_by_role("heading", name="Подписать ЭЦП")).to_be_visible()
    settled(page)
    # exactly one file to sign on the page: not the summary's "Скачать документ" beside it
    expect(page.locator(".signing").get_by_role("link", name=re.compile(r"\.pdf$"))).to_have_count(1)
    expect(page.get_by_role("link", name="Скачать документ")).to_have_count(0)
    # Two tabs: НУЦ (NCALayer, the default) and Tumar CSP.
    tumar = page.get_by_role("tablist", name="Способ подписи").get_by_role("tab", name="Tumar CSP")
    expect(tumar).to_be_visible()
    tumar.click()
    expect(tumar).to_have_attribute("aria-selected", "true")
    signing = page.get_by_role("tabpanel", name="Tumar CSP")
    expect(signing).to_be_visible()
    name, document = download(page, page.get_by_role("link", name=document_name, exact=True))
    assert document.startswith(b"%PDF"), document[:20]
    assert name == document_name, name
    cms = sign_with_openssl(document, keystore)
    signing.get_by_label(re.compile(r"^\s*Файл для подписи")).set_input_files(
        {"name": "signature.p7s", "mimeType": "application/pkcs7-signature", "buffer": cms}
    )
    shot(page, step)
    button(signing, "Отправить файл").click()
    status(page, done)
    return document


# docs/screens/ only under `make screens` (IS2IN_SCREENS): a plain test run leaves the tracked pictures alone
SCREENS = Path(os.environ.get("IS2IN_SCREENS") or Path(__file__).resolve().parents[2] / "test-artifacts" / "screens")


def screen(page, name):
    """A screenshot for docs/screens/ at a laptop's 1366×768, of what the person sees first (not the whole page):
    the reviewer sees the product without running it. Regenerated by `make screens` (else into test-artifacts/)."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.set_viewport_size({"width": 1366, "height": 768})
    settled(page)
    page.evaluate("window.scrollTo(0, 0)")
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), caret="initial")
    page.set_viewport_size(size)
    # kept small for the repository: a 256-colour palette loses nothing a reviewer reads on a UI screenshot
    from PIL import Image

    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)

"""Issue 19.1: when an application comes back — returned by its first head, or answered to the Exchange's request
for documents — whoever sent it back sees what changed since, per field and per document, old beside new, the
unchanged sections folded, the comment beside its field; the summary PDF opens with the change sheet."""

import io
import re

import pytest

from core.workflow.models import Application, Snapshot
from tests.journeys import PDF
from tests.plugins.listing.conftest import GENERAL
from tests.plugins.listing.test_rules import _pdf_text, _to_review

STATUTE = "Устав эмитента"


def page_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def as_user(auth, email):
    auth.logout()
    auth.login(email)


def changes_panel(html) -> str:
    found = re.search(r'<section class="panel changes".*?</section>', html, re.S)
    assert found is not None, "no changes panel"
    return found.group(0)


def sections(panel) -> dict:
    """Each section's title -> (open?, its rows as (label, old, new, changed?))."""
    found = {}
    for block in re.findall(r"<details.*?</details>", panel, re.S):
        title = re.search(r"<summary><strong>(.*?)</strong>", block).group(1)
        rows = [
            (re.sub(r"\s+", " ", label).strip(), old, new, css == "changed")
            for css, label, old, new in re.findall(
                r'<tr class="(changed|same)">\s*<th scope="row">(.*?)(?:<div.*?</div>)?</th>\s*'
                r'<td class="old">(?:<del>)?(.*?)(?:</del>)?</td>\s*<td class="new">(?:<ins>)?(.*?)(?:</ins>)?</td>',
                block,
                re.S,
            )
        ]
        found[title] = (" open" in block.split(">", 1)[0], rows)
    return found


@pytest.mark.rule("G-20")
def test_after_the_first_heads_return_he_sees_what_changed_beside_his_comment(client, auth, journey, demo):
    auth.login("issuer@demo.kz")
    journey.create()
    journey.fill_all()
    journey.act("send_to_head")
    as_user(auth, "ceo@demo.kz")
    assert 'class="panel changes"' not in page_of(client, journey.url())  # nothing was sent back yet
    client.post(
        journey.url("/comments"),
        data={"form_code": "listing.general", "field": "phone", "text": "Укажите прямой номер"},
    )
    journey.act("return", {"note": "Исправьте телефон и устав"})
    assert Snapshot.get().action == "return"

    as_user(auth, "issuer@demo.kz")
    assert 'class="panel changes"' not in page_of(client, journey.url())  # the filer edits; the head compares
    assert journey.stage("general", {**GENERAL, "general-phone": "+7 727 311 11 11"}).status_code == 302
    response = client.post(
        journey.url("/stages/documents/documents"),
        data={"title": STATUTE, "file": (io.BytesIO(PDF + b"%v2\n"), "ustav-2.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code in (200, 302)
    client.post(journey.url("/stages/documents/documents/done"))
    journey.act("send_to_head")

    as_user(auth, "ceo@demo.kz")
    panel = changes_panel(page_of(client, journey.url()))
    assert "Что изменилось с возврата на доработку" in panel
    found = sections(panel)
    general = next(rows for title, (is_open, rows) in found.items() if "Общие" in title or "общие" in title)
    phone = next(row for row in general if row[0].startswith("Телефон"))
    assert phone[1:] == ("+7 727 000 00 00", "+7 727 311 11 11", True)
    assert "Укажите прямой номер" in panel  # his comment beside the field it is about
    unchanged = [row for row in general if not row[3]]
    assert unchanged and all(old == new for _l, old, new, _c in unchanged)
    statute = [row for rows in (r for _o, r in found.values()) for row in rows if row[0] == STATUTE]
    assert statute and statute[0][3] and "doc.pdf" in statute[0][1] and "ustav-2.pdf" in statute[0][2]
    # sections with nothing changed are folded, changed ones open
    folded = [title for title, (is_open, rows) in found.items() if not any(r[3] for r in rows)]
    assert folded and all(not found[t][0] for t in folded)
    assert all(found[t][0] for t, (_o, rows) in found.items() if any(r[3] for r in rows))

    text = _pdf_text(client.get(journey.url("/summary.pdf")).data)
    assert "Лист изменений" in text and "+7 727 311 11 11" in text and "+7 727 000 00 00" in text

    for lang, heading, before, after in (
        ("kk", "Пысықтауға қайтарылғаннан бері не өзгерді", "Болған", "Болды"),
        ("en", "What changed since the return for revision", "Before", "Now"),
    ):
        client.post("/language", data={"lang": lang, "next": "/"})
        panel = changes_panel(page_of(client, journey.url()))
        assert heading in panel and f">{before}</th>" in panel and f">{after}</th>" in panel
    client.post("/language", data={"lang": "ru", "next": "/"})

    journey.act("approve")
    panel = changes_panel(page_of(client, journey.url()))  # still his to compare while signing
    assert "/summary.pdf" not in panel  # but the one file to sign is the one on the signing panel


@pytest.mark.rule("G-23")
def test_after_the_answer_the_reviewer_sees_the_new_document(client, auth, journey, trusted, demo):
    from core.signing import pki
    from tests.journeys import sign_key

    _to_review(client, auth, journey, trusted, demo)
    assert 'class="panel changes"' not in page_of(client, journey.url())
    journey.act("request_documents", {"note": "Представьте протокол собрания", "deadline": "2099-01-10"})
    as_user(auth, "issuer@demo.kz")
    assert 'class="panel changes"' not in page_of(client, journey.url())  # the Exchange's comparison, not his
    journey.act(
        "answer",
        {"note": "Протокол приложен", "files": (io.BytesIO(PDF), "protocol-2026.pdf")},
        content_type="multipart/form-data",
    )
    as_user(auth, "ceo@demo.kz")
    document = client.get(journey.url("/signing-document")).data
    key = sign_key(trusted, demo["ceo@demo.kz"])
    cms = pki.sign_detached_with_openssl(document, key.cert_pem, key.key_pem)
    journey.act("sign", {"signature": (io.BytesIO(cms), "s.p7s")}, content_type="multipart/form-data")
    assert Application.get_by_id(journey.app_id).process == "review"

    as_user(auth, "listing@exchange.demo")
    panel = changes_panel(page_of(client, journey.url()))
    assert "Что изменилось с запроса документов" in panel
    found = sections(panel)
    is_open, rows = found["Документы к ответу на запрос Биржи"]
    assert is_open and rows[0][3] and rows[0][1] == "—" and "protocol-2026.pdf" in rows[0][2]
    assert all(not any(r[3] for r in rows) for title, (_o, rows) in found.items() if "ответу" not in title)
    text = _pdf_text(client.get(journey.url("/summary.pdf")).data)
    assert "Лист изменений" in text and "protocol-2026.pdf" in text

"""Printed documents: real PDFs read back with Debian's poppler-utils (pdftotext, pdffonts, pdftoppm)."""

import datetime
import re
import shutil
import subprocess
from urllib.parse import unquote

import pytest
from babel.dates import format_datetime, get_timezone

from core.pdf import ascii_filename, pdf_response, render_pdf

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")

KAZAKH = "әғқңөұүһі ӘҒҚҢӨҰҮҺІ"
RUSSIAN = "Съешь же ещё этих мягких французских булок"
NUMBER = "L-2026/0042"
TITLE = "Заявление на включение ценных бумаг в официальный список"


def long_form(rows=150):
    """A filled form of ``rows`` rows in five sections: long enough for three pages or more."""
    pairs = [(f"Поле {i}: {RUSSIAN[:12]}", f"Мән {i}: {KAZAKH}") for i in range(rows)]
    return [{"title": f"Раздел {n + 1}. Сведения об эмитенте", "rows": pairs[n * 30 : (n + 1) * 30]} for n in range(5)]


def render(app, sections, **context):
    with app.test_request_context():
        return render_pdf("pdf/form.html", number=NUMBER, title=TITLE, sections=sections, **context)


def poppler(tool, *args, pdf, tmp_path):
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, *args, str(path)], capture_output=True, text=True, check=True).stdout


def page_count(pdf, tmp_path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", poppler("pdfinfo", pdf=pdf, tmp_path=tmp_path), re.M).group(1))


def page_text(pdf, page, tmp_path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_render_pdf_returns_a_pdf_document(app):
    pdf = render(app, [{"title": "Сведения", "rows": [("Наименование", "АО «Пример»")]}])
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")


def test_a_task_renders_in_the_recipients_language_without_a_request(app):
    from flask_babel import force_locale

    with app.app_context(), force_locale("kk"):
        pdf = render_pdf("pdf/form.html", number=NUMBER, title=TITLE, sections=[])
    assert pdf.startswith(b"%PDF-")


@needs_poppler
def test_every_page_carries_the_letters_the_number_and_its_page_of_count(app, tmp_path):
    pdf = render(app, long_form(150))

    pages = page_count(pdf, tmp_path)
    assert pages >= 3
    for page in range(1, pages + 1):
        text = page_text(pdf, page, tmp_path)
        assert NUMBER in text, page
        assert f"Стр. {page} из {pages}" in text, page
        assert KAZAKH in text, page
        assert RUSSIAN[:12] in text, page
    # The last row made it onto paper, after the ones before it.
    assert "Поле 149" in page_text(pdf, pages, tmp_path)


@needs_poppler
def test_footer_shows_when_the_document_was_made_in_almaty_time(app, tmp_path):
    almaty = get_timezone("Asia/Almaty")

    def now():
        return format_datetime(datetime.datetime.now(datetime.UTC), "dd.MM.yyyy HH:mm", tzinfo=almaty, locale="ru")

    before = now()
    pdf = render(app, [{"title": "Сведения", "rows": [("Наименование", "АО «Пример»")]}])
    after = now()

    text = page_text(pdf, 1, tmp_path)
    assert f"{before} (время Алматы)" in text or f"{after} (время Алматы)" in text, text


@needs_poppler
def test_text_is_drawn_only_in_the_embedded_font(app, tmp_path):
    pdf = render(app, long_form(40))

    listing = poppler("pdffonts", pdf=pdf, tmp_path=tmp_path).splitlines()[2:]
    fonts = {line.split()[0].split("+")[-1]: line.split() for line in listing}
    assert set(fonts) == {"Roboto-Regular", "Roboto-Bold"}, listing
    # name type encoding emb sub uni id gen: embedded, subset, with a Unicode map (so text copies).
    assert all(row[-5:-2] == ["yes", "yes", "yes"] for row in fonts.values()), listing
    assert "Helvetica" not in "\n".join(listing)


@needs_poppler
def test_values_print_as_people_read_them(app, tmp_path):
    rows = [
        ("Адрес", "г. Алматы,\nпр. Абая, 1"),
        ("Пустое поле", None),
        ("Согласие", True),
        ("Отказ", False),
        ("Валюты", ["KZT", "USD"]),
        ("Разметка", "<b>не жирный</b> & <img src='/etc/passwd'>"),
    ]
    text = page_text(
        render(app, [{"title": "Сведения", "rows": rows}, {"title": "Пустой раздел", "rows": []}]), 1, tmp_path
    )

    assert re.search(r"Адрес\s+г\. Алматы,\s*\n\s+пр\. Абая, 1", text), text
    assert re.search(r"Пустое поле\s+—", text)
    assert re.search(r"Согласие\s+Да", text) and re.search(r"Отказ\s+Нет", text)
    assert "KZT; USD" in text
    assert "<b>не жирный</b> & <img src='/etc/passwd'>" in text
    assert re.search(r"Пустой раздел\s*\n\s*Не заполнено", text)


@needs_poppler
def test_a_value_longer_than_a_page_runs_on_at_full_size(app, tmp_path):
    # xhtml2pdf shrinks the text of a table row taller than its frame until it fits on one page.
    words = " ".join(f"слово{i}" for i in range(1500))
    pdf = render(app, [{"title": "Описание деятельности", "rows": [("Описание", words), ("После", "конец")]}])

    pages = page_count(pdf, tmp_path)
    assert pages >= 3
    text = "".join(page_text(pdf, page, tmp_path) for page in range(1, pages + 1))
    found = re.findall(r"слово(\d+)", text)
    assert [int(n) for n in found] == list(range(1500))
    assert "Описание деятельности" in page_text(pdf, 2, tmp_path)  # the section's title repeats


@needs_poppler
def test_first_page_renders_as_an_image(app, tmp_path):
    pdf = render(app, long_form(150))
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)

    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True
    )

    png = next(tmp_path.glob("page-*1.png")).read_bytes()
    assert png.startswith(b"\x89PNG")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert abs(width - 496) <= 1 and abs(height - 702) <= 1  # A4 portrait at 60 dpi


def test_download_has_a_latin_name_and_the_real_one_in_utf8(app):
    name = "Заявление № L-2026/0042 (Қазақстан).pdf"
    with app.test_request_context():
        response = pdf_response(b"%PDF-1.4 test", name)

    assert response.mimetype == "application/pdf"
    assert response.get_data() == b"%PDF-1.4 test"
    disposition = response.headers["Content-Disposition"]
    disposition.encode("ascii")
    assert disposition.startswith("attachment; ")
    assert 'filename="Zayavlenie No L-2026_0042 _Qazaqstan_.pdf"' in disposition
    encoded = re.search(r"filename\*=UTF-8''(\S+)$", disposition).group(1)
    assert unquote(encoded) == "Заявление № L-2026_0042 (Қазақстан).pdf"


@pytest.mark.parametrize(
    ("name", "ascii"),
    [
        ("Письмо Биржи", "Pismo Birzhi.pdf"),
        ('"; evil="x\r\n.pdf', "evil_x_.pdf"),
        ("…", "document.pdf"),
        ("Ұсыныс ЖШС.PDF", "Usynys ZhShS.PDF"),
    ],
)
def test_ascii_filename_is_safe_in_a_quoted_header(name, ascii):
    assert ascii_filename(name) == ascii

"""Printable PDF documents (application forms, the application summary, Exchange letters) made from
Jinja templates that extend ``pdf/_document.html``, converted by xhtml2pdf."""

import functools
import io
import re
import unicodedata
from pathlib import Path
from urllib.parse import quote

import font_roboto
from babel.dates import format_datetime
from flask import Response, render_template
from flask_babel import get_locale
from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import tables
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from core import clock


def __getattr__(name):
    # ``ALMATY``, kept for callers written before core.clock: the Exchange's zone, as configured.
    if name == "ALMATY":
        return clock.zone()
    raise AttributeError(name)


# Roboto, from the font-roboto package on PyPI: every face of it (unlike Source Sans Pro's italics) covers
# Kazakh as well as Russian, and ReportLab's own Vera has no Cyrillic at all.
FONT_DIR = Path(font_roboto.font_directory)
FAMILY = "is2in"
FACES = {  # face: (file, bold, italic)
    "regular": ("Roboto-Regular.ttf", 0, 0),
    "bold": ("Roboto-Bold.ttf", 1, 0),
    "italic": ("Roboto-Italic.ttf", 0, 1),
    "bold_italic": ("Roboto-BoldItalic.ttf", 1, 1),
}


class PdfError(Exception):
    """xhtml2pdf could not turn a template into a PDF."""


@functools.cache
def register_fonts() -> dict[str, str]:
    """Register the faces with ReportLab once per process; return their paths for the template's
    ``@font-face`` rules.

    xhtml2pdf only draws with families its own document declared through ``@font-face``: a family
    known to ReportLab alone falls back to Helvetica, whose WinAnsi encoding prints Cyrillic as
    black boxes. Registering each face under the name xhtml2pdf gives it (family_BI) makes
    those rules find the face ready instead of parsing the TrueType file again.
    """
    paths = {}
    for face, (filename, bold, italic) in FACES.items():
        paths[face] = str(FONT_DIR / filename)
        pdfmetrics.registerFont(TTFont(f"{FAMILY}_{bold}{italic}", paths[face]))
    pdfmetrics.registerFontFamily(
        FAMILY, normal=f"{FAMILY}_00", bold=f"{FAMILY}_10", italic=f"{FAMILY}_01", boldItalic=f"{FAMILY}_11"
    )
    # ReportLab's canvas and its table cells start out in Helvetica, which then sits in every page
    # as an unembedded font though no text is drawn with it; print preflights flag such a font.
    # Nothing else in the app draws with ReportLab, so its defaults are ours to set.
    rl_config.canvas_basefontname = f"{FAMILY}_00"
    tables.CellStyle.fontname = f"{FAMILY}_00"
    return paths


# Documents print what users typed, so the converter may read the font files and nothing else: no
# other local file, no network.
POLICY = ResourceAccessPolicy.server(None, extra_roots=(FONT_DIR,), allow_remote=False)


def render_pdf(template_name: str, *, number: str, title: str, **context) -> bytes:
    """Render a template that extends ``pdf/_document.html`` and convert it to PDF bytes.

    Needs a request context, or an app context inside ``flask_babel.force_locale(...)`` (a task
    has no session to choose the language from)."""
    html = render_template(
        template_name,
        number=number,
        title=title,
        generated_at=format_datetime(
            clock.aware(clock.utcnow()), "dd.MM.yyyy HH:mm", tzinfo=clock.zone(), locale=get_locale() or "ru"
        ),
        pdf_fonts=register_fonts(),
        **context,
    )
    out = io.BytesIO()
    status = pisa.CreatePDF(html, dest=out, encoding="utf-8", resource_policy=POLICY)
    if status.err:
        errors = "; ".join(str(msg) for mode, _line, msg, _ in status.log if mode == "error")
        raise PdfError(f"{template_name}: {errors or 'conversion failed'}")
    return out.getvalue()


# The Latin fallback name for clients that ignore filename*: Russian and Kazakh letters spelt out.
TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch  y  e yu ya a g q n o u u h i".split(" "),
        strict=True,
    )
)


def ascii_filename(filename: str) -> str:
    """A plain-ASCII version of a file name, safe inside a quoted header parameter."""
    out = []
    for char in filename:
        latin = TRANSLIT.get(char.lower())
        if latin is not None:
            out.append(latin.capitalize() if char.isupper() else latin)
        else:
            out.append(unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode())
    name = re.sub(r"[^A-Za-z0-9._ -]+", "_", "".join(out)).strip(" ._") or "document"
    return name if name.lower().endswith(".pdf") else name + ".pdf"


def pdf_response(data: bytes, filename: str) -> Response:
    """A download of ``data`` named ``filename``, which may be Cyrillic (RFC 6266 / RFC 5987)."""
    filename = filename.replace("/", "_").replace("\\", "_").strip() or "document.pdf"
    if not filename.lower().endswith(".pdf"):
        filename += ".pdf"
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_filename(filename)}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
    return response

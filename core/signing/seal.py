"""The Exchange's seal: a PAdES signature (pyHanko) over a whole PDF with a visible Cyrillic stamp, made with
the PKCS#12 key named by IS2IN_SEAL_P12, so that pdfsig and Adobe Reader validate the signed copies and
letters the portal hands out."""

import functools
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import font_roboto
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.stamp import TextStampStyle

from core import clock
from core.signing.verify import _run

logger = logging.getLogger(__name__)

FIELD_NAME = "ExchangeSeal"
ROBOTO = Path(font_roboto.font_directory) / "Roboto-Regular.ttf"
MM = 72 / 25.4
# The stamp's place on the page (points from the bottom-left corner of A4): above the running footer,
# under the text, which the signature page keeps clear of it.
STAMP_BOX = (round(20 * MM), round(22 * MM), round(120 * MM), round(52 * MM))
# "at" is the Exchange's time (core.clock.stamped), not pyHanko's "ts": pyHanko fills that from the signing
# time in whatever zone it was given (UTC), which is not the time printed beside the signatures.
STAMP_TEXT = "ЭЛЕКТРОННАЯ ПЕЧАТЬ\n%(organisation)s\nСертификат: %(signer)s\nДата: %(at)s\nКод документа: %(code)s"


class SealUnavailable(Exception):
    """No seal key is configured, or it cannot be opened."""


@dataclass(frozen=True)
class SealKey:
    signer: signers.SimpleSigner
    certificate: asn1_x509.Certificate
    chain: tuple

    @property
    def subject_name(self) -> str:
        values = self.certificate.subject.native
        return values.get("common_name") or self.certificate.subject.human_friendly

    @property
    def organisation(self) -> str:
        return self.certificate.subject.native.get("organization_name") or self.subject_name


@functools.lru_cache(maxsize=4)
def _load(path: str, password: str, mtime: float) -> SealKey:
    data = Path(path).read_bytes()
    signer = signers.SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=password.encode() or None)
    return SealKey(signer, signer.signing_cert, tuple(signer.cert_registry))


def load_seal(config) -> SealKey:
    """The seal key from IS2IN_SEAL_P12/IS2IN_SEAL_PASSWORD (re-read when the file changes: rotation needs no
    restart)."""
    path = config.get("SEAL_P12")
    if not path or not Path(path).is_file():
        raise SealUnavailable(f"no seal key at {path!r} (IS2IN_SEAL_P12)")
    try:
        return _load(str(path), config.get("SEAL_PASSWORD") or "", Path(path).stat().st_mtime)
    except (ValueError, OSError) as e:
        raise SealUnavailable(f"the seal key {path} cannot be opened: {e}") from e


def seal_configured(config) -> bool:
    try:
        load_seal(config)
        return True
    except SealUnavailable:
        return False


# What a stamp can say: Latin, Cyrillic with the Kazakh letters, punctuation, №.
STAMP_CHARACTERS = [*range(0x20, 0x7F), *range(0xA0, 0x100), *range(0x400, 0x530), *range(0x2010, 0x2060), 0x2116]


@functools.cache
def stamp_font() -> str:
    """Roboto (it has Cyrillic and Kazakh letters) rescaled to 1000 units per em: pyHanko writes glyph widths
    in the font's own units, and PDF reads them as thousandths of an em, so Roboto's 2048 would print every
    letter twice as far apart as it should and overflow the box.

    It is cut down once to the letters a stamp can hold (STAMP_CHARACTERS, kerning kept): pyHanko subsets
    the font again for every seal, and decoding the whole of Roboto's kerning table each time was two
    thirds of a seal's time."""
    import hashlib
    import os
    import tempfile

    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    source = ROBOTO.read_bytes()
    folder = Path(tempfile.gettempdir()) / "is2in-fonts"
    folder.mkdir(exist_ok=True)
    target = folder / f"Roboto-Regular-1000-stamp-{hashlib.sha256(source).hexdigest()[:12]}.ttf"
    if not target.exists():
        font = TTFont(io.BytesIO(source))
        if font["head"].unitsPerEm != 1000:
            scale_upem(font, 1000)
        options = subset.Options()
        options.layout_features = ["kern", "liga"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=STAMP_CHARACTERS)
        subsetter.subset(font)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".ttf")
        with os.fdopen(fd, "wb") as fh:
            font.save(fh)
        os.replace(tmp, target)
    return str(target)


def stamp_style() -> TextStampStyle:
    """A bordered text stamp in Roboto (it has Cyrillic and Kazakh letters), shrunk to fit its box."""
    return TextStampStyle(
        stamp_text=STAMP_TEXT,
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(stamp_font(), font_size=9), leading=11),
        border_width=1,
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins(6, 6, 4, 4),
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
    )


def seal_pdf(pdf: bytes, key: SealKey, *, code: str, page: int = -1, reason: str = "") -> bytes:
    """``pdf`` with the Exchange's PAdES seal over all of it (a certification signature: no later changes),
    its visible stamp on ``page`` (the last by default)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    pages = int(writer.root["/Pages"]["/Count"])
    on_page = page if page >= 0 else pages + page
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason or "Электронная печать АО «Казахстанская фондовая биржа»",
        location="Алматы",
        name=key.subject_name,
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=key.signer,
        stamp_style=stamp_style(),
        new_field_spec=fields.SigFieldSpec(sig_field_name=FIELD_NAME, on_page=on_page, box=STAMP_BOX),
    )
    out = io.BytesIO()
    # The stamp's visible time is the Exchange's, worded as the signature stamps beside it are.
    params = {"code": code, "organisation": key.organisation, "at": clock.stamped()}
    # pyHanko's sync sign_pdf calls asyncio.run, which fails where an event loop already runs (a worker thread
    # of an async server, the demo run from a browser session): verify._run runs it beside such a loop.
    _run(pdf_signer.async_sign_pdf(writer, output=out, appearance_text_params=params))
    return out.getvalue()

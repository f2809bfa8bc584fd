"""Exchange certificates of settled deals (S-10.7), as PDFs stored with the deal."""

from flask import has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _

from core import render_pdf
from core import store_file as store
from plugins.subscription.models import (
    Deal,
    Fill,
    Subscription,
)
from plugins.subscription.service import SubscriptionError
from plugins.subscription.settlement.base import _fmt, deal_number, today

# --- exchange certificates (S-10.7) --------------------------------------------------------------------


def certificate_pdf(deal: Deal, sub: Subscription) -> bytes:
    number = deal_number(deal, sub)
    context = {
        "deal": deal,
        "sub": sub,
        "deal_date": today(sub.deal_at).strftime("%d.%m.%Y"),
        "settlement_date": today(sub.settlement_at).strftime("%d.%m.%Y"),
        "price": _fmt(deal.price),
        "volume": _fmt(deal.volume),
        "quantity": f"{deal.quantity:,}".replace(",", " "),
        "yield_rate": Fill.select(Fill.yield_rate).where(Fill.order == deal.order_id).scalar() if sub.is_debt else None,
    }
    if has_request_context():
        return render_pdf(
            "subscription/certificate_pdf.html", number=number, title=_("Биржевое свидетельство"), **context
        )
    with force_locale("ru"):
        return render_pdf(
            "subscription/certificate_pdf.html", number=number, title=_("Биржевое свидетельство"), **context
        )


def issue_certificate(deal: Deal, sub: Subscription):
    """S-10.7: the exchange certificate of a settled deal, for the seller and the buyer. Not where
    another organisation settles (S-11.1)."""
    if not sub.cd_settles:
        raise SubscriptionError(_("При расчетах через иную организацию биржевые свидетельства не выдаются."))
    stored = store(certificate_pdf(deal, sub), f"certificate-{deal_number(deal, sub)}.pdf", "pdf")
    Deal.update(certificate=stored).where(Deal.id == deal.id).execute()
    deal.certificate = stored
    return stored

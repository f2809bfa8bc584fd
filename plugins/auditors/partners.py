"""The plugin's side of "Партнерства" (G-9.3): issuers may choose as their audit organisation only one
the Exchange recognises now.

The core offers every active organisation with the role "auditor" (``Partnership.candidates``) and has
no hook to narrow that list yet. The hookimpl below is registered with ``optionalhook=True``, so it
is harmless today and takes effect as soon as the core declares

    @hookspec
    def is2in_partner_candidates(kind, query):
        '''Return a condition on ``Organisation`` that candidate partners of ``kind`` must also meet
        (``query`` is the core's candidate query, for context), or None.'''

and ANDs every returned condition into the candidates' query.
"""

from core import Organisation, hookimpl
from plugins.auditors.models import RecognisedAuditor


def recognised_only(kind):
    """The condition an auditor partner must meet, or None for the other kinds of partner."""
    if kind != "auditor":
        return None
    return Organisation.id.in_(RecognisedAuditor.recognised_ids())


@hookimpl
def is2in_partner_candidates(kind, query):
    return recognised_only(kind)

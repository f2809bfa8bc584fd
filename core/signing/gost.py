"""GOST 34.310 signatures, which Python cannot verify, checked by an external service with NCANode's REST
API (``POST {url}/cms/verify``): the service judges the mathematics, the chain and revocation; the portal
still checks the certificate's validity, key usage, role, IIN and BIN itself."""

import base64
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

logger = logging.getLogger(__name__)

# Signature algorithms of ГОСТ 34.310 (НУЦ РК): 2004 with ГОСТ 34.311, and 2015 (256 and 512 bit).
GOST_SIGNATURE_OIDS = {"1.2.398.3.10.1.1.1.2", "1.2.398.3.10.1.1.2.3.1", "1.2.398.3.10.1.1.2.3.2"}
KAZAKH_GOST_ARC = "1.2.398.3.10."


class GostServiceUnavailable(Exception):
    """The verifier did not answer, or answered something that is not NCANode's shape."""


@dataclass(frozen=True)
class GostVerdict:
    valid: bool
    revoked: bool
    reason: str
    raw: dict


def verify(url: str, document: bytes, cms_der: bytes, *, timeout: float = 30.0) -> GostVerdict:
    """Ask the service whether ``cms_der`` is a valid detached signature of ``document``."""
    body = json.dumps(
        {
            "revocationCheck": ["OCSP"],
            "cms": base64.b64encode(cms_der).decode(),
            "data": base64.b64encode(document).decode(),
        }
    ).encode()
    request = urllib.request.Request(
        f"{url.rstrip('/')}/cms/verify", data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the admin's URL  # nosec B310
            answer = json.loads(response.read(5 * 1024 * 1024))
    except urllib.error.HTTPError as e:
        try:
            answer = json.loads(e.read())
        except ValueError:
            raise GostServiceUnavailable(f"HTTP {e.code}") from e
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise GostServiceUnavailable(str(getattr(e, "reason", e))) from e
    if not isinstance(answer, dict) or "valid" not in answer:
        raise GostServiceUnavailable(f"unexpected answer: {str(answer)[:200]}")
    revoked = False
    for signer in answer.get("signers") or []:
        for cert in signer.get("certificates") or []:
            for check in cert.get("revocations") or []:
                revoked = revoked or bool(check.get("revoked"))
    logger.info("GOST verifier: valid=%s revoked=%s", answer.get("valid"), revoked)
    return GostVerdict(bool(answer["valid"]), revoked, str(answer.get("message") or ""), answer)

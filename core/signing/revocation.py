"""Revocation at signing time: the CRLs and OCSP answers a certificate names, fetched over HTTP when a
signature is accepted and kept byte for byte as evidence. A source that does not answer stops the
signature with "try again", never lets it through."""

import datetime
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

logger = logging.getLogger(__name__)

MAX_RESPONSE = 20 * 1024 * 1024  # НУЦ РК's full CRLs run to several megabytes


@dataclass(frozen=True)
class Fetched:
    """One revocation answer as it came over the wire."""

    kind: str  # "crl" | "ocsp"
    url: str
    data: bytes
    fetched_at: datetime.datetime


class RevocationUnavailable(Exception):
    """A revocation source the certificate names did not give a usable answer."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


def _http_urls(urls) -> list[str]:
    # LDAP points come beside HTTP ones in some certificates; only HTTP(S) is fetched.
    return [url for url in urls if url and url.lower().startswith(("http://", "https://"))]


def crl_urls(cert: asn1_x509.Certificate) -> list[str]:
    urls = []
    for point in cert.crl_distribution_points:
        try:
            urls.append(point.url)
        except ValueError:  # a point relative to the issuer: nothing to fetch
            continue
    return _http_urls(urls)


def ocsp_urls(cert: asn1_x509.Certificate) -> list[str]:
    return _http_urls(cert.ocsp_urls)


def names_sources(cert: asn1_x509.Certificate) -> bool:
    return bool(crl_urls(cert) or ocsp_urls(cert))


def _get(url: str, timeout: float, data: bytes | None = None, content_type: str | None = None) -> bytes:
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if content_type:
        request.add_header("Content-Type", content_type)
    request.add_header("User-Agent", "is2in-revocation/1")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only, see above  # nosec B310
            body = response.read(MAX_RESPONSE + 1)
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise RevocationUnavailable(url, str(getattr(e, "reason", e))) from e
    if len(body) > MAX_RESPONSE:
        raise RevocationUnavailable(url, "response too large")
    return body


def fetch_crl(urls: list[str], timeout: float) -> Fetched:
    """The first CRL that one of ``urls`` (mirrors of one distribution point) gives."""
    last = None
    for url in urls:
        try:
            data = _get(url, timeout)
            asn1_crl.CertificateList.load(data).native  # noqa: B018 - parse fully now: garbage is "unavailable"
            return Fetched("crl", url, data, _now())
        except RevocationUnavailable as e:
            last = e
        except Exception as e:  # asn1crypto raises many kinds on garbage
            last = RevocationUnavailable(url, f"not a CRL ({e.__class__.__name__})")
        logger.warning("revocation source failed: %s", last)
    raise last


def _ocsp_request(cert: asn1_x509.Certificate, issuer: asn1_x509.Certificate) -> bytes:
    subject = x509.load_der_x509_certificate(cert.dump())
    issuing = x509.load_der_x509_certificate(issuer.dump())
    # SHA-1 here only names the certificate in the OCSP CertID (RFC 6960), as responders expect; it signs nothing
    request = ocsp.OCSPRequestBuilder().add_certificate(subject, issuing, hashes.SHA1()).build()  # nosec B303
    return request.public_bytes(serialization.Encoding.DER)


def fetch_ocsp(urls: list[str], cert: asn1_x509.Certificate, issuer: asn1_x509.Certificate, timeout: float) -> Fetched:
    request = _ocsp_request(cert, issuer)
    last = None
    for url in urls:
        try:
            data = _get(url, timeout, request, "application/ocsp-request")
            response = asn1_ocsp.OCSPResponse.load(data)
            status = response["response_status"].native
            if status != "successful":
                raise RevocationUnavailable(url, f"OCSP status {status}")
            return Fetched("ocsp", url, data, _now())
        except RevocationUnavailable as e:
            last = e
        except Exception as e:
            last = RevocationUnavailable(url, f"not an OCSP response ({e.__class__.__name__})")
        logger.warning("revocation source failed: %s", last)
    raise last


def fetch_for_path(pairs, timeout: float) -> list[Fetched]:
    """Every CRL and OCSP answer named by the certificates of a validation path, given as (certificate,
    issuer) pairs from the signer up (the trust anchor itself is not checked). Raises
    :class:`RevocationUnavailable` at the first source that gives nothing usable."""
    fetched = []
    seen = set()
    for cert, issuer in pairs:
        urls = crl_urls(cert)
        if urls and tuple(urls) not in seen:
            seen.add(tuple(urls))
            fetched.append(fetch_crl(urls, timeout))
        urls = ocsp_urls(cert)
        if urls and issuer is not None:
            fetched.append(fetch_ocsp(urls, cert, issuer, timeout))
    return fetched


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)

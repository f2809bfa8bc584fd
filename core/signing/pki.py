"""A Kazakh-style test and demo PKI built with `cryptography`: root and intermediate CAs and personal
SIGN/AUTH certificates shaped like those of НУЦ РК, plus an openssl signer used as an independent
CMS tool by the tests."""

import datetime
import os
import subprocess  # openssl with argument lists, never a shell  # nosec B404
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

# Extended key usage purposes of НУЦ РК certificates (arc 1.2.398.3.3.4 of the Kazakh registry).
OID_KZ_INDIVIDUAL = x509.ObjectIdentifier("1.2.398.3.3.4.1.1")  # a private person
OID_KZ_LEGAL_ENTITY = x509.ObjectIdentifier("1.2.398.3.3.4.1.2")  # employee of a legal entity
OID_KZ_FIRST_HEAD = x509.ObjectIdentifier("1.2.398.3.3.4.1.2.1")  # the first head: may sign for it
OID_KZ_AUTHORISED = x509.ObjectIdentifier("1.2.398.3.3.4.1.2.2")  # a person with the right to sign
OID_KZ_EMPLOYEE = x509.ObjectIdentifier("1.2.398.3.3.4.1.2.5")  # any other employee
ROLE_OIDS = {"first_head": OID_KZ_FIRST_HEAD, "authorised": OID_KZ_AUTHORISED, "employee": OID_KZ_EMPLOYEE}

KEY_SIZE = 2048
CA_LIFETIME = datetime.timedelta(days=3650)
PERSON_LIFETIME = datetime.timedelta(days=365)


@dataclass(frozen=True)
class Issued:
    """A certificate with its private key (and the chain above it, nearest issuer first)."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey
    chain: tuple = ()

    @property
    def cert_der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    @property
    def chain_pem(self) -> bytes:
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)


def _ca_name(name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name), x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ")])


def _ca_cert(
    subject: x509.Name,
    key,
    issuer: Issued | None,
    path_length: int | None,
    not_before=None,
    not_after=None,
    crl_url: str | None = None,
) -> x509.Certificate:
    not_before = not_before or _now() - datetime.timedelta(days=1)
    not_after = not_after or not_before + CA_LIFETIME
    signing_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False)
    )
    builder = _with_revocation_pointers(builder, crl_url, None)
    return builder.sign(signing_key, hashes.SHA256())


def _with_revocation_pointers(builder, crl_url: str | None, ocsp_url: str | None):
    """Where a verifier finds out whether the certificate was revoked: a CRL distribution point and an OCSP
    responder (authority information access), as НУЦ РК puts in its certificates."""
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    if ocsp_url:
        access = x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url))
        builder = builder.add_extension(x509.AuthorityInformationAccess([access]), critical=False)
    return builder


def make_ca(name: str, *, not_before=None, not_after=None) -> Issued:
    """A self-signed root CA named ``name`` (CN, C=KZ)."""
    key = _new_key()
    return Issued(_ca_cert(_ca_name(name), key, None, None, not_before, not_after), key)


def make_intermediate(ca: Issued, name: str, *, crl_url: str | None = None) -> Issued:
    """An issuing CA below ``ca`` (as НУЦ РК's RSA CA sits below the Kazakh root); ``crl_url`` is where
    ``ca`` publishes the CRL that covers it."""
    key = _new_key()
    cert = _ca_cert(_ca_name(name), key, ca, 0, crl_url=crl_url)
    return Issued(cert, key, (ca.cert,) + ca.chain)


def person_subject(
    *, surname: str, name: str, patronymic: str, iin: str, bin: str | None, organisation: str | None
) -> x509.Name:
    """The subject of a Kazakh personal certificate: CN "SURNAME NAME", SN, serialNumber "IIN…", C, O,
    OU "BIN…", GN (the patronymic)."""
    attrs = [
        x509.NameAttribute(NameOID.COMMON_NAME, f"{surname} {name}"),
        x509.NameAttribute(NameOID.SURNAME, surname),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, f"IIN{iin}"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
    ]
    if organisation:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    if bin:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"BIN{bin}"))
    if patronymic:
        attrs.append(x509.NameAttribute(NameOID.GIVEN_NAME, patronymic))
    return x509.Name(attrs)


def make_person_cert(
    issuer: Issued,
    *,
    surname: str,
    name: str,
    patronymic: str = "",
    iin: str,
    bin: str | None = None,
    organisation: str | None = None,
    purpose: str = "sign",
    role: str | None = "first_head",
    not_before: datetime.datetime | None = None,
    not_after: datetime.datetime | None = None,
    crl_url: str | None = None,
    ocsp_url: str | None = None,
) -> Issued:
    """A personal certificate issued by ``issuer``: ``purpose="sign"`` gives a SIGN key (digitalSignature +
    nonRepudiation; emailProtection), ``"auth"`` an AUTH key (digitalSignature + keyEncipherment;
    clientAuth), as НУЦ РК issues them in pairs. ``role`` ("first_head", "authorised", "employee") adds the
    legal-entity purposes (1.2.398.3.3.4.1.2 and the role's own OID) when there is a BIN; a key without a
    BIN is a private person's (1.2.398.3.3.4.1.1). ``crl_url``/``ocsp_url`` name the revocation sources."""
    if purpose not in ("sign", "auth"):
        raise ValueError(f"purpose must be 'sign' or 'auth', not {purpose!r}")
    if role is not None and role not in ROLE_OIDS:
        raise ValueError(f"role must be one of {sorted(ROLE_OIDS)}, not {role!r}")
    key = _new_key()
    not_before = not_before or _now() - datetime.timedelta(hours=1)
    not_after = not_after or not_before + PERSON_LIFETIME
    sign = purpose == "sign"
    key_usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=sign,
        key_encipherment=not sign,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    purposes = [ExtendedKeyUsageOID.EMAIL_PROTECTION if sign else ExtendedKeyUsageOID.CLIENT_AUTH]
    if bin and role:
        purposes += [OID_KZ_LEGAL_ENTITY, ROLE_OIDS[role]]
    elif not bin:
        purposes.append(OID_KZ_INDIVIDUAL)
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            person_subject(
                surname=surname, name=name, patronymic=patronymic, iin=iin, bin=bin, organisation=organisation
            )
        )
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage(purposes), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
    )
    cert = _with_revocation_pointers(cert, crl_url, ocsp_url).sign(issuer.key, hashes.SHA256())
    return Issued(cert, key, (issuer.cert,) + issuer.chain)


def make_seal_cert(issuer: Issued, *, name: str, organisation: str, bin: str) -> Issued:
    """The certificate of an organisation's seal (the Exchange's): CN and O of the organisation, its BIN,
    nonRepudiation, for PAdES signatures of whole documents."""
    key = _new_key()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"BIN{bin}"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
        ]
    )
    not_before = _now() - datetime.timedelta(hours=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + datetime.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
        .sign(issuer.key, hashes.SHA256())
    )
    return Issued(cert, key, (issuer.cert,) + issuer.chain)


def make_crl(issuer: Issued, revoked=(), *, next_update: datetime.timedelta = datetime.timedelta(days=1)) -> bytes:
    """A CRL of ``issuer`` in DER listing ``revoked`` (certificates or ``Issued``), valid from a minute ago."""
    now = _now() - datetime.timedelta(minutes=1)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(now)
        .next_update(now + next_update)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
    )
    for item in revoked:
        cert = item.cert if isinstance(item, Issued) else item
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(now - datetime.timedelta(minutes=1))
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
            .build()
        )
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def make_ocsp_response(issuer: Issued, request_der: bytes, revoked=()) -> bytes:
    """The OCSP answer of ``issuer`` (signing itself) to a request: "good", or "revoked" for a serial in
    ``revoked`` — a stand-in responder for tests and demos."""
    request = ocsp.load_der_ocsp_request(request_der)
    revoked_serials = {(item.cert if isinstance(item, Issued) else item).serial_number for item in revoked}
    now = _now() - datetime.timedelta(minutes=1)
    is_revoked = request.serial_number in revoked_serials
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=request.issuer_name_hash,
        issuer_key_hash=request.issuer_key_hash,
        serial_number=request.serial_number,
        algorithm=request.hash_algorithm,
        cert_status=ocsp.OCSPCertStatus.REVOKED if is_revoked else ocsp.OCSPCertStatus.GOOD,
        this_update=now,
        next_update=now + datetime.timedelta(hours=1),
        revocation_time=now - datetime.timedelta(minutes=1) if is_revoked else None,
        revocation_reason=x509.ReasonFlags.key_compromise if is_revoked else None,
    )
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.cert)
    return builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def to_pkcs12(cert: x509.Certificate, key, chain=(), password: str | bytes = b"") -> bytes:
    """A PKCS#12 key store (the ``.p12`` NCALayer opens) holding ``key``, ``cert`` and ``chain``."""
    if isinstance(password, str):
        password = password.encode()
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return pkcs12.serialize_key_and_certificates(b"is2in", key, cert, list(chain) or None, encryption)


def sign_detached_with_openssl(
    data: bytes, cert_pem: bytes, key_pem: bytes, *, chain_pem: bytes | None = None, attached: bool = False
) -> bytes:
    """A CMS signature of ``data`` in DER made by ``openssl cms -sign`` (detached unless ``attached``);
    ``chain_pem`` certificates are embedded too (``-certfile``)."""
    with tempfile.TemporaryDirectory(prefix="is2in-sign-") as tmp:
        folder = Path(tmp)
        files = {"data": data, "cert.pem": cert_pem, "key.pem": key_pem}
        if chain_pem:
            files["chain.pem"] = chain_pem
        for name, content in files.items():
            path = folder / name
            path.write_bytes(content)
            os.chmod(path, 0o600)
        command = [
            "openssl",
            "cms",
            "-sign",
            "-binary",
            "-md",
            "sha256",
            "-outform",
            "DER",
            "-in",
            str(folder / "data"),
            "-signer",
            str(folder / "cert.pem"),
            "-inkey",
            str(folder / "key.pem"),
            "-out",
            str(folder / "sig.der"),
        ]
        if chain_pem:
            command += ["-certfile", str(folder / "chain.pem")]
        if attached:
            command.append("-nodetach")
        subprocess.run(command, check=True, capture_output=True)  # a list of our own arguments  # nosec B603
        return (folder / "sig.der").read_bytes()

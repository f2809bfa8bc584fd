"""A Kazakh-style test and demo PKI built with `cryptography`: root and intermediate CAs and personal
SIGN/AUTH certificates shaped like those of НУЦ РК, plus an openssl signer used as an independent
CMS tool by the tests."""

import datetime
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Extended key usage purposes of НУЦ РК certificates (arc 1.2.398.3.3.4 of the Kazakh registry).
OID_KZ_LEGAL_ENTITY = x509.ObjectIdentifier("1.2.398.3.3.4.1.2")  # employee of a legal entity
OID_KZ_FIRST_HEAD = x509.ObjectIdentifier("1.2.398.3.3.4.1.2.1")  # the first head: may sign for it

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
    subject: x509.Name, key, issuer: Issued | None, path_length: int | None, not_before=None, not_after=None
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
    return builder.sign(signing_key, hashes.SHA256())


def make_ca(name: str, *, not_before=None, not_after=None) -> Issued:
    """A self-signed root CA named ``name`` (CN, C=KZ)."""
    key = _new_key()
    return Issued(_ca_cert(_ca_name(name), key, None, None, not_before, not_after), key)


def make_intermediate(ca: Issued, name: str) -> Issued:
    """An issuing CA below ``ca`` (as НУЦ РК's RSA CA sits below the Kazakh root)."""
    key = _new_key()
    cert = _ca_cert(_ca_name(name), key, ca, 0)
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
    not_before: datetime.datetime | None = None,
    not_after: datetime.datetime | None = None,
) -> Issued:
    """A personal certificate issued by ``issuer``: ``purpose="sign"`` gives a SIGN key (digitalSignature +
    nonRepudiation; first head + emailProtection), ``"auth"`` an AUTH key (digitalSignature +
    keyEncipherment; clientAuth), as НУЦ РК issues them in pairs."""
    if purpose not in ("sign", "auth"):
        raise ValueError(f"purpose must be 'sign' or 'auth', not {purpose!r}")
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
    if sign:
        purposes = [OID_KZ_FIRST_HEAD, ExtendedKeyUsageOID.EMAIL_PROTECTION]
    else:
        purposes = [ExtendedKeyUsageOID.CLIENT_AUTH]
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
        .sign(issuer.key, hashes.SHA256())
    )
    return Issued(cert, key, (issuer.cert,) + issuer.chain)


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
        subprocess.run(command, check=True, capture_output=True)
        return (folder / "sig.der").read_bytes()

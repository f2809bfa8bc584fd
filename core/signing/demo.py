"""The demo PKI: a root certification authority the portal trusts, a key store for the first head of every
demo organisation that files, and the Exchange's demo seal, so that signing can be tried end to end without
a key of НУЦ РК. Written by ``is2in pki demo`` (and by ``is2in demo`` for the demo applications it signs)."""

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

DEMO_PASSWORD = "Demo!2345"  # the demo PKI's published password, never a real one  # nosec B105
DEMO_ROOT_NAME = "IS2IN DEMO ROOT CA (RSA)"
ROOT_FILE = "demo-root-ca.pem"
CRL_FILE = "demo-root-ca.crl"


class NoDemoData(Exception):
    """The demo accounts are not loaded: ``is2in demo`` comes first."""


@dataclass
class DemoPki:
    root: Path
    seal: Path
    crl: Path  # the root's CRL in IS2IN_CRL_DIR: the revocation evidence the signing policy requires
    stores: dict = field(default_factory=dict)  # e-mail -> key store path
    made: bool = False  # False: everything was there already


def store_path(instance: Path, email: str) -> Path:
    """<instance>/demo/<the part of the e-mail before @>.p12: ceo.p12 for ceo@demo.kz."""
    return instance / "demo" / f"{email.split('@', 1)[0]}.p12"


def ensure(force: bool = False) -> DemoPki:
    """Write the demo PKI unless it is all there (``force``: a new one anyway). When a key store is missing
    (a first head added to the demo since), the whole set is made anew under a new root, since the old
    root's key is not kept."""
    from core.accounts.models import Organisation, User
    from core.demo import FIRST_HEADS
    from core.signing import pki as kit

    instance = Path(current_app.instance_path)
    heads = list(User.select().where(User.email.in_(FIRST_HEADS) & User.is_first_head & User.iin.is_null(False)))
    if not heads:
        raise NoDemoData("no demo first head with an IIN: run `is2in demo` first")
    result = DemoPki(
        root=instance / "trust" / ROOT_FILE,
        seal=Path(current_app.config["SEAL_P12"]),
        crl=Path(current_app.config["CRL_DIR"]) / CRL_FILE,
        stores={head.email: store_path(instance, head.email) for head in heads},
    )
    if not force and result.root.exists() and result.crl.exists() and all(p.exists() for p in result.stores.values()):
        return result

    ca = kit.make_ca(DEMO_ROOT_NAME)
    result.root.parent.mkdir(parents=True, exist_ok=True)
    result.root.write_bytes(ca.cert_pem)
    # The demo keys name no CRL or OCSP source (there is no demo CA online): the demo root's CRL goes into
    # IS2IN_CRL_DIR as the operator's evidence, valid as long as the first heads' certificates.
    result.crl.parent.mkdir(parents=True, exist_ok=True)
    result.crl.write_bytes(kit.make_crl(ca, next_update=kit.PERSON_LIFETIME + datetime.timedelta(days=2)))
    for head in heads:
        organisation = head.organisation
        person = kit.make_person_cert(
            ca,
            surname=head.last_name.upper(),
            name=head.first_name.upper(),
            patronymic=(head.middle_name or "").upper(),
            iin=head.iin,
            bin=organisation.bin,
            organisation=f"{organisation.legal_form} «{organisation.name_ru}»".upper(),
            purpose="sign",
        )
        path = result.stores[head.email]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(kit.to_pkcs12(person.cert, person.key, person.chain, DEMO_PASSWORD))
        path.chmod(0o600)
    exchange = Organisation.exchange()
    seal = kit.make_seal_cert(
        ca,
        name="ЭЛЕКТРОННАЯ ПЕЧАТЬ БИРЖИ (DEMO)",
        organisation=exchange.name_ru if exchange else "АО «Казахстанская фондовая биржа»",
        bin=exchange.bin if exchange else "000000000000",
    )
    result.seal.parent.mkdir(parents=True, exist_ok=True)
    result.seal.write_bytes(
        kit.to_pkcs12(seal.cert, seal.key, seal.chain, current_app.config.get("SEAL_PASSWORD") or "")
    )
    result.seal.chmod(0o600)
    result.made = True
    return result

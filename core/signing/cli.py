"""The ``is2in pki`` commands: a demo certification authority and a key store for the demo first head, so
that signing can be tried end to end without a key of НУЦ РК."""

import click
from flask import current_app
from flask.cli import with_appcontext

DEMO_PASSWORD = "Demo!2345"  # the demo PKI's published password, never a real one  # nosec B105
DEMO_FIRST_HEAD = "ceo@demo.kz"
DEMO_ROOT_NAME = "IS2IN DEMO ROOT CA (RSA)"
ROOT_FILE = "demo-root-ca.pem"
CRL_FILE = "demo-root-ca.crl"


@click.group()
def pki():
    """Certificates for trying out signing (demo only)."""


@pki.command("demo")
@click.option("--force", is_flag=True, help="Make a new root CA and key store even if they exist.")
@with_appcontext
def demo(force):
    """Write a demo root CA into <instance>/trust/ and the demo first head's key store (password Demo!2345)
    into <instance>/demo/ceo.p12, with the IIN and BIN of the demo data."""
    import datetime
    from pathlib import Path

    from core.accounts.models import Organisation, User
    from core.db import db
    from core.signing import pki as kit

    instance = Path(current_app.instance_path)
    root_path = instance / "trust" / ROOT_FILE
    store_path = instance / "demo" / "ceo.p12"
    if root_path.exists() and store_path.exists() and not force:
        click.echo(f"demo PKI already there (use --force to make a new one):\n  {root_path}\n  {store_path}")
        return

    db.connect(reuse_if_open=True)
    head = User.get_or_none(User.email == DEMO_FIRST_HEAD)
    if head is None or not head.iin:
        raise click.ClickException(f"no demo first head {DEMO_FIRST_HEAD} with an IIN: run `is2in demo` first")
    organisation = head.organisation

    ca = kit.make_ca(DEMO_ROOT_NAME)
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
    root_path.parent.mkdir(parents=True, exist_ok=True)
    store_path.parent.mkdir(parents=True, exist_ok=True)
    root_path.write_bytes(ca.cert_pem)
    # The demo keys name no CRL or OCSP source (there is no demo CA online): the demo root's CRL goes into
    # IS2IN_CRL_DIR as the operator's evidence, valid as long as the first head's certificate.
    crl_path = Path(current_app.config["CRL_DIR"]) / CRL_FILE
    crl_path.parent.mkdir(parents=True, exist_ok=True)
    crl_path.write_bytes(kit.make_crl(ca, next_update=kit.PERSON_LIFETIME + datetime.timedelta(days=2)))
    store_path.write_bytes(kit.to_pkcs12(person.cert, person.key, person.chain, DEMO_PASSWORD))
    store_path.chmod(0o600)
    exchange = Organisation.exchange()
    seal = kit.make_seal_cert(
        ca,
        name="ЭЛЕКТРОННАЯ ПЕЧАТЬ БИРЖИ (DEMO)",
        organisation=exchange.name_ru if exchange else "АО «Казахстанская фондовая биржа»",
        bin=exchange.bin if exchange else "000000000000",
    )
    seal_path = Path(current_app.config["SEAL_P12"])
    seal_path.parent.mkdir(parents=True, exist_ok=True)
    seal_path.write_bytes(kit.to_pkcs12(seal.cert, seal.key, seal.chain, current_app.config.get("SEAL_PASSWORD") or ""))
    seal_path.chmod(0o600)
    click.echo(f"the Exchange's demo seal (IS2IN_SEAL_P12): {seal_path}")
    click.echo(f"root CA (trusted by the portal): {root_path}")
    click.echo(f"its CRL (revocation evidence, IS2IN_CRL_DIR): {crl_path}")
    click.echo(
        f"key store of {head.email} (IIN {head.iin}, BIN {organisation.bin}, password {DEMO_PASSWORD}): {store_path}"
    )
    click.echo(
        "sign a downloaded document with openssl:\n"
        f"  openssl pkcs12 -in {store_path} -nodes -passin 'pass:{DEMO_PASSWORD}' -out ceo.pem\n"
        "  openssl cms -sign -binary -md sha256 -outform DER -in document.pdf -signer ceo.pem "
        "-out document.pdf.cms"
    )


OUTCOME_LINES = {
    "valid": "VALID: a document issued by the Exchange, sealed over every byte; every signature valid",
    "invalid": "INVALID: the Exchange's seal or a signature does not hold",
    "not_exchange": "NOT AN EXCHANGE DOCUMENT: no seal of the Exchange covers this file",
    "unavailable": "CANNOT CHECK NOW: try again later",
}


@click.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--document",
    "document_path",
    type=click.Path(exists=True, dir_okay=False),
    help="The document a detached CMS signature (PATH) belongs to.",
)
@with_appcontext
def verify(path, document_path):
    """Check a signed PDF (the Exchange's seal over the whole file, then the signatures embedded under it), or
    a CMS signature with --document. The first line says the outcome; the exit status tells it to scripts:
    0 valid, 1 invalid, 2 not a document issued by the Exchange, 3 cannot check now."""
    import datetime
    import logging
    from pathlib import Path

    from core.db import db
    from core.signing import check

    # pyHanko and pypdf log what they stumble on in a hostile file with tracebacks: the outcome line says it.
    for name in ("pyhanko", "pyhanko_certvalidator", "pypdf", "core.signing"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        db.connect(reuse_if_open=True)
        data = Path(path).read_bytes()
        if document_path:
            result = check.check_cms(Path(document_path).read_bytes(), data, current_app.config)
        elif data.startswith(b"%PDF"):
            result = check.check_pdf(data, current_app.config)
        else:
            result = check.Result(
                problem="not a PDF: give a signed copy (PDF), or a CMS signature with --document",
                verdict=check.NOT_EXCHANGE,
            )
    except Exception as e:  # the database or the file store is down: say so in one line, never a traceback
        click.echo(f"{OUTCOME_LINES['unavailable']} ({e.__class__.__name__})")
        raise SystemExit(check.EXIT_CODES["unavailable"]) from None
    outcome = result.outcome
    line = OUTCOME_LINES[outcome]
    if document_path and outcome == "valid":
        line = "VALID: a signature the Exchange accepted for a document it issued"
    if result.document is not None and outcome != "not_exchange":
        line += f" — {result.document.title} (code {result.document.code})"
    click.echo(line)
    if result.problem:
        click.echo(f"  {result.problem}")
    from core.pdf import ALMATY

    for finding in result.findings:
        mark = "valid  " if finding.ok else "INVALID"
        moment = finding.when
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)  # the database keeps naive UTC
        when = f", {moment.astimezone(ALMATY):%Y-%m-%d %H:%M} Almaty" if moment else ""
        click.echo(f"  {mark} {finding.kind}: {finding.who} {finding.organisation}{when} — {finding.status}")
    raise SystemExit(result.exit_code)

"""Scenario 3, documents: the summary PDF of a listing application with 50 securities (``steps.summary_pdf``), the
Exchange's seal on it (``seal.seal_pdf``) and the verification of a first head's detached CMS signature of it
(``verify.verify_detached``), each run a few times after one cold run.

Floors, in the same process: a one-row PDF through the same engine (xhtml2pdf's fixed cost), and the bare RSA-2048
operations under the seal and the verification (SHA-256 of the whole document and one signature or one check),
with `cryptography` and no PDF or CMS around them."""

import hashlib
import statistics
import time

from bench import harness, report

PDF_SECONDS = 2.0
SEAL_SECONDS = 0.3
VERIFY_SECONDS = 0.2
SECURITIES = 50


def _timed(function, repeats: int) -> dict:
    """One cold run, then ``repeats`` warm ones: the median and the slowest of those."""
    t0 = time.perf_counter()
    result = function()
    cold = time.perf_counter() - t0
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = function()
        runs.append(time.perf_counter() - t0)
    return {
        "median": round(statistics.median(runs), 6),
        "max": round(max(runs), 6),
        "cold": round(cold, 6),
        "runs": len(runs),
        "result": result,
    }


def _application():
    """A listing application of Demo Issuer, every form filled, with 50 securities on the cascade."""
    import json
    import random

    from flask import current_app

    from core.accounts.models import Organisation, User
    from core.demo.values import cascade_leaves, form_values
    from core.workflow import engine
    from core.workflow.cascade import make_isin
    from core.workflow.models import ApplicationSecurity, FormData, StageState

    rng = random.Random(50)
    procedure = current_app.extensions["is2in.procedures"]["listing.shares"]
    organisation = Organisation.get(Organisation.code == "DEMO")
    author = User.get(User.email == "issuer@demo.kz")
    app = engine.create(procedure, organisation, author)
    leaves = cascade_leaves()
    for stage in procedure.stages:
        for spec in stage.forms if stage.kind == "form" else ():
            values = form_values(spec.form, rng, organisation.name_ru)
            FormData.create(application=app, form_code=spec.code, data=json.dumps(values, ensure_ascii=False))
        if stage.kind == "securities":
            isins = set()
            while len(isins) < SECURITIES:
                isins.add(make_isin("KZ" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(9))))
            for isin in sorted(isins):
                path, code = rng.choice(leaves[stage.catalogue])
                values = form_values(procedure.form_spec(code).form, rng, organisation.name_ru)
                ApplicationSecurity.create(
                    application=app,
                    isin=isin,
                    path=json.dumps(path),
                    form_code=code,
                    data=json.dumps(values, ensure_ascii=False),
                )
        status = "skipped" if stage.skippable else "filled"
        StageState.update(status=status).where(
            (StageState.application == app) & (StageState.stage == stage.code)
        ).execute()
    return app, author, organisation


def measure(repeats: int) -> dict:
    """In a child process: make the application and its keys, then time the three operations and their floors."""
    import io
    from pathlib import Path

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from flask import current_app
    from pypdf import PdfReader

    from core.pdf import render_pdf
    from core.signing import pki
    from core.signing import seal as sealing
    from core.signing.verify import verify_detached
    from core.workflow import steps

    with current_app.test_request_context():
        app, author, organisation = _application()
        pdf_run = _timed(lambda: steps.summary_pdf(app), repeats)
        pdf = pdf_run.pop("result")
        floor_pdf = _timed(
            lambda: render_pdf(
                "pdf/form.html", number=app.number, title="—", sections=[{"title": "—", "rows": [("—", "—")]}]
            ),
            repeats,
        )
        floor_pdf.pop("result")

        ca = pki.make_ca("IS2IN BENCH ROOT CA (RSA)")
        seal_cert = pki.make_seal_cert(
            ca,
            name="ЭЛЕКТРОННАЯ ПЕЧАТЬ БИРЖИ (BENCH)",
            organisation="АО «Казахстанская фондовая биржа»",
            bin="931040000116",
        )
        seal_path = Path(current_app.config["SEAL_P12"])
        seal_path.parent.mkdir(parents=True, exist_ok=True)
        seal_path.write_bytes(pki.to_pkcs12(seal_cert.cert, seal_cert.key, seal_cert.chain, ""))
        key = sealing.load_seal(current_app.config)
        seal_run = _timed(lambda: sealing.seal_pdf(pdf, key, code="BENCH-0001"), repeats)
        sealed = seal_run.pop("result")
        floor_seal = _timed(lambda: seal_cert.key.sign(pdf, padding.PKCS1v15(), hashes.SHA256()), repeats)
        floor_seal.pop("result")

        head = pki.make_person_cert(
            ca,
            surname=author.last_name.upper(),
            name=author.first_name.upper(),
            iin=author.iin,
            bin=organisation.bin,
            organisation=organisation.name_ru.upper(),
            purpose="sign",
            role="first_head",
        )
        cms = pki.sign_detached_with_openssl(pdf, head.cert_pem, head.key_pem, chain_pem=head.chain_pem)
        verify_run = _timed(
            lambda: verify_detached(
                pdf,
                cms,
                trust_roots=[ca.cert_der],
                expected_iin=author.iin,
                expected_bin=organisation.bin,
                roles={"first_head"},
            ),
            repeats,
        )
        verify_run.pop("result")
        raw = head.key.sign(pdf, padding.PKCS1v15(), hashes.SHA256())
        public = head.cert.public_key()
        floor_verify = _timed(lambda: public.verify(raw, pdf, padding.PKCS1v15(), hashes.SHA256()), repeats)
        floor_verify.pop("result")
    return {
        "pdf": {**pdf_run, "bytes": len(pdf), "pages": len(PdfReader(io.BytesIO(pdf)).pages)},
        "seal": {**seal_run, "bytes": len(sealed)},
        "verify": {**verify_run, "cms_bytes": len(cms)},
        "floor_pdf": floor_pdf,
        "floor_seal": floor_seal,
        "floor_verify": floor_verify,
        "sha256": hashlib.sha256(pdf).hexdigest()[:16],
    }


def run(env: harness.Environment, settings: harness.Settings) -> dict:
    m = harness.run_step(env, "documents:measure", {"repeats": settings.repeats})
    floors = {
        "pdf": {"label": "a one-row PDF through the same engine", "measured": report.seconds(m["floor_pdf"]["median"])},
        "seal": {
            "label": "RSA-2048 signature of the PDF's SHA-256 (`cryptography`)",
            "measured": report.seconds(m["floor_seal"]["median"]),
        },
        "verify": {
            "label": "RSA-2048 check of the PDF's SHA-256 (`cryptography`)",
            "measured": report.seconds(m["floor_verify"]["median"]),
        },
    }
    for name in ("pdf", "seal", "verify"):
        floors[name].update(m[f"floor_{name}"])
    rows = (
        ("pdf", f"Summary PDF, {SECURITIES} securities ({m['pdf']['pages']} pages)", PDF_SECONDS),
        ("seal", "The Exchange's seal (PAdES) on it", SEAL_SECONDS),
        ("verify", "Verification of a detached CMS signature of it", VERIFY_SECONDS),
    )
    figures = []
    for name, label, limit in rows:
        run_ = m[name]
        figures.append(
            report.figure(
                name,
                label,
                run_,
                f"{report.seconds(run_['median'])} (median of {run_['runs']}; slowest {report.seconds(run_['max'])}, "
                f"cold {report.seconds(run_['cold'])})",
                targets=[report.target("time", run_["median"], "<=", limit, " s")],
                floor=name,
                ratio=report.ratio(run_["median"], m[f"floor_{name}"]["median"]),
            )
        )
    return {
        "title": "3. Documents",
        "floors": floors,
        "figures": figures,
        "notes": [
            f"Times are the median of {settings.repeats} warm runs in one process; the cold first run is shown too. "
            f"The step's process peaked at {m['peak_mb']} MB."
        ],
    }

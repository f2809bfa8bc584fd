"""`make audit`: pip-audit over the pinned lock file, failing on any known vulnerability not accepted in
docs/security.md. When PyPI's vulnerability data cannot be had (offline, or a mirror without PyPI's
per-version JSON API), it says so plainly and does not fail: a missing data source is not a finding.

Usage: python .ci/pip_audit.py requirements.lock
"""

import json
import subprocess
import sys
from pathlib import Path

# Accepted findings: vulnerability id -> why it does not apply (repeat the reason in docs/security.md).
ACCEPTED: dict[str, str] = {}


def main(lock: str) -> int:
    command = [
        str(Path(sys.executable).with_name("pip-audit")),
        "--requirement",
        lock,
        "--no-deps",  # the lock pins every package, dependencies included: nothing to resolve
        "--disable-pip",
        "--format",
        "json",
        "--progress-spinner",
        "off",
        *(f"--ignore-vuln={vuln}" for vuln in ACCEPTED),
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"pip-audit: could not run ({exc}); the lock file was NOT audited")
        return 0
    try:
        report = json.loads(result.stdout)
    except ValueError:
        print(
            f"pip-audit: no report (exit {result.returncode}); the lock file was NOT audited:\n{result.stderr[-2000:]}"
        )
        return 0
    packages = report.get("dependencies", [])
    skipped = [p for p in packages if "skip_reason" in p]
    audited = [p for p in packages if "skip_reason" not in p]
    found = [(p["name"], p["version"], v["id"], v.get("fix_versions")) for p in audited for v in p.get("vulns", [])]
    for name, version, vuln, fixes in found:
        print(f"pip-audit: {name} {version}: {vuln} (fixed in {', '.join(fixes) or 'no release yet'})")
    if found:
        print(
            f"pip-audit: {len(found)} known vulnerabilit(y/ies) in {lock}: upgrade, or accept in .ci/pip_audit.py "
            "and docs/security.md with the reason"
        )
        return 1
    if skipped and not audited:
        print(
            f"pip-audit: PyPI's vulnerability data could not be had for any of the {len(skipped)} pinned packages "
            f"({skipped[0]['skip_reason']}). The lock file was NOT audited; not failing the build for it. "
            "Run `make audit` where pypi.org answers /pypi/<name>/<version>/json."
        )
        return 0
    for package in skipped:
        print(f"pip-audit: not audited: {package['name']} {package['version']}: {package['skip_reason']}")
    print(
        f"pip-audit: {len(audited)} pinned packages audited, no known vulnerabilities"
        + (f"; {len(skipped)} could not be audited (above)" if skipped else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "requirements.lock"))

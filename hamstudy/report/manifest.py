"""The manifest written beside each report: what was run, on what, with what, and when."""

from __future__ import annotations

import datetime as _dt
import hashlib
import platform
from importlib import metadata
from pathlib import Path

__all__ = ["package_versions", "sha256_file", "input_files", "build_manifest"]

_PACKAGES = ("hamstudy", "numpy", "scipy", "pandas", "statsmodels", "lifelines", "matplotlib")


def package_versions() -> dict[str, str]:
    """Versions of hamstudy, its scientific dependencies and Python ("not installed" when absent)."""
    versions: dict[str, str] = {}
    for name in _PACKAGES:
        if name == "hamstudy":
            from hamstudy import __version__

            versions[name] = __version__
            continue
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["python"] = platform.python_version()
    return versions


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def input_files(trial) -> list[dict]:
    """Every input file of ``trial`` with its sha256, as recorded when it was read.

    Where the file is still on disk it is hashed again; a file changed since it was read is an error
    (the report would not describe the file the manifest names).
    """
    base = Path(trial.path) if getattr(trial, "path", None) is not None else None
    folder = base if base is not None and base.is_dir() else (base.parent if base is not None else None)
    rows = []
    for rel, digest in sorted(trial.provenance.files.items()):
        entry = {"path": str(rel), "sha256": digest}
        if folder is not None:
            entry["location"] = str((folder / rel).resolve())
            on_disk = folder / rel
            if on_disk.is_file() and sha256_file(on_disk) != digest:
                raise ValueError(f"{on_disk} changed after it was read; run the report again")
        rows.append(entry)
    return rows


def utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def build_manifest(trial, *, command: str, argv: list[str], started: str, outputs: dict[str, str], options: dict) -> dict:
    """The manifest as a JSON-ready dict."""
    prov = trial.provenance
    return {
        "report": trial.name,
        "title": trial.title,
        "kind": trial.kind,
        "participant_level": trial.participants is not None,
        "synthetic": bool(prov.synthetic),
        "reconstructed": bool(prov.reconstructed),
        "command": command,
        "argv": list(argv),
        "options": options,
        "started_utc": started,
        "finished_utc": utc_now(),
        "versions": package_versions(),
        "platform": platform.platform(),
        "inputs": input_files(trial),
        "input_verification": dict(prov.verification),
        "outputs": outputs,
    }

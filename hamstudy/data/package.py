"""Read a trial from a data package folder or a single CSV, checking everything before returning."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from hamstudy.data.csvtable import RawTable, column_values, read_table
from hamstudy.data.schema import COLUMN_ORDER, TABLES, fields_by_name
from hamstudy.data.trial import Provenance, Trial
from hamstudy.errors import DataError, Problem

DESCRIPTOR = "datapackage.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_trial(path: str | Path, *, at_risk: str | Path | None = None, total_events: int | Mapping[str, int] | None = None) -> Trial:
    """Load a trial from a data package folder or a single CSV file.

    Parameters
    ----------
    path : str or Path
        A folder holding ``datapackage.json`` (or that file itself), or one CSV whose columns show
        its kind: ``arm, outcome, events, total[, window_days]`` (binary summaries);
        ``participant_id, arm, time, event[, ...]`` (participant-level data); ``arm, outcome, n, mean,
        sd`` or ``median, q1, q3`` (continuous summaries); ``arm, time, survival`` (a digitised
        Kaplan-Meier curve, reconstructed into participant-level data).
    at_risk : str or Path, optional
        For a digitised curve: the CSV of numbers at risk (``arm, time, n_risk``).
    total_events : int or mapping of arm to int, optional
        For a digitised curve: the reported number of events (a mapping ``{arm: events}`` when the
        curve has several arms). Guyot's method uses it for the last interval, and without an
        at-risk table.

    Returns
    -------
    Trial

    Raises
    ------
    DataError
        Listing every problem found, each with its file, line (header = line 1), column, the bad
        value and what was expected.

    Examples
    --------
    >>> import hamstudy
    >>> trial = hamstudy.read_trial("data/sherry_best_2004")  # doctest: +SKIP
    >>> trial.binary[["arm", "window_days", "events", "total"]]  # doctest: +SKIP
    """
    path = Path(path)
    if path.is_dir() or path.name == DESCRIPTOR:
        folder = path if path.is_dir() else path.parent
        return _read_package(folder)
    if not path.exists():
        raise DataError.from_problems([Problem(str(path), None, None, "no such file or folder; expected a data package folder or a CSV file")])
    return _read_single_csv(path, at_risk=Path(at_risk) if at_risk is not None else None, total_events=total_events)


def _read_single_csv(path: Path, *, at_risk: Path | None, total_events: int | Mapping[str, int] | None) -> Trial:
    problems: list[Problem] = []
    table = read_table(path, problems=problems)
    files = {path.name: sha256(path)} if path.exists() else {}
    if problems or table is None:
        raise DataError.from_problems(problems)
    tables: dict[str, RawTable] = {table.kind: table}
    reconstructed = False
    if table.kind == "km_at_risk":
        raise DataError.from_problems(
            [Problem(path.name, 1, None, "holds a numbers-at-risk table; pass the digitised curve (arm, time, survival) as the path and this file as at_risk=")]
        )
    if table.kind == "km_curve":
        risk_table = None
        if at_risk is not None:
            risk_table = read_table(at_risk, kind="km_at_risk", problems=problems)
            files[at_risk.name] = sha256(at_risk) if at_risk.exists() else ""
        if problems:
            raise DataError.from_problems(problems)
        participants, method = _reconstruct(table, risk_table, total_events)
        tables = {"participants": participants}
        reconstructed = True
    name = path.stem
    provenance = Provenance(
        name=name,
        title=name,
        description=f"Read from {path.name}",
        files=files,
        reconstructed=reconstructed,
        notes=(f"Participant data reconstructed from a digitised Kaplan-Meier curve (Guyot et al. 2012). {method}.",) if reconstructed else (),
    )
    return _assemble(name, name, tables, provenance, problems, path=path, studies_meta=None)


def _reconstruct(curve: RawTable, at_risk: RawTable | None, total_events: int | Mapping[str, int] | None) -> tuple[RawTable, str]:
    """Participant rows reconstructed arm by arm, and the method used for each arm."""
    from hamstudy.reconstruct import reconstruct_arms

    try:
        ipd = reconstruct_arms(curve.frame, at_risk.frame if at_risk is not None else None, total_events=total_events)
    except ValueError as exc:
        raise DataError.from_problems([Problem(curve.file, None, None, f"cannot reconstruct participant data: {exc}")]) from None
    ipd = ipd.copy()
    ipd["participant_id"] = ipd["participant_id"].astype(str)
    lines = np.zeros(len(ipd), dtype=np.int64)
    method = ipd.attrs.get("method", "")
    return RawTable(kind="participants", frame=ipd, lines=lines, file=curve.file, header=tuple(ipd.columns)), method


def _read_package(folder: Path) -> Trial:
    problems: list[Problem] = []
    descriptor_path = folder / DESCRIPTOR
    if not descriptor_path.exists():
        raise DataError.from_problems([Problem(str(folder), None, None, f"has no {DESCRIPTOR}; expected a data package folder (see data/README.md)")])
    raw = descriptor_path.read_bytes()
    try:
        descriptor = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise DataError.from_problems([Problem(DESCRIPTOR, None, None, "is not UTF-8; expected a UTF-8 JSON file")]) from None
    except json.JSONDecodeError as exc:
        raise DataError.from_problems([Problem(DESCRIPTOR, exc.lineno, None, f"is not valid JSON at character {exc.colno} ({exc.msg})")]) from None
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list) or not descriptor["resources"]:
        raise DataError.from_problems([Problem(DESCRIPTOR, None, "resources", "missing or empty; expected a list of table resources")])

    files = {DESCRIPTOR: hashlib.sha256(raw).hexdigest()}
    tables: dict[str, RawTable] = {}
    for i, resource in enumerate(descriptor["resources"]):
        where = f"resources[{i}]"
        name = resource.get("name") if isinstance(resource, dict) else None
        if name not in TABLES:
            problems.append(Problem(DESCRIPTOR, None, where, f"resource name {name!r} is not a known table; expected one of {', '.join(TABLES)}"))
            continue
        if name in tables:
            problems.append(Problem(DESCRIPTOR, None, where, f"resource {name!r} appears twice; expected each table once"))
            continue
        rel = resource.get("path")
        if not isinstance(rel, str) or PurePosixPath(rel).is_absolute() or ".." in PurePosixPath(rel).parts:
            problems.append(Problem(DESCRIPTOR, None, where, f"path {rel!r} is not a relative path inside the package"))
            continue
        csv_path = folder / rel
        if not csv_path.is_file():
            problems.append(Problem(DESCRIPTOR, None, where, f"path {rel!r} does not exist in {folder.name}"))
            continue
        files[rel] = sha256(csv_path)
        table = read_table(csv_path, kind=name, file=rel, problems=problems)
        if table is None:
            continue
        _check_schema(resource.get("schema"), table, where, problems)
        tables[name] = table

    hs = descriptor.get("hamstudy", {}) if isinstance(descriptor.get("hamstudy", {}), dict) else {}
    licenses = descriptor.get("licenses") or []
    provenance = Provenance(
        name=str(descriptor.get("name", folder.name)),
        title=str(descriptor.get("title", descriptor.get("name", folder.name))),
        description=str(descriptor.get("description", "")),
        sources=tuple(s for s in descriptor.get("sources", []) if isinstance(s, dict)),
        license=", ".join(str(lic.get("name", "")) for lic in licenses if isinstance(lic, dict)),
        synthetic=bool(hs.get("synthetic", False)),
        reconstructed=bool(hs.get("reconstructed", False)),
        files=files,
        notes=tuple(str(n) for n in hs.get("notes", [])),
    )
    if "km_curve" in tables:
        tables["participants"] = _reconstruct(tables.pop("km_curve"), tables.pop("km_at_risk", None), hs.get("total_events"))
        provenance = Provenance(**{**provenance.__dict__, "reconstructed": True})
    return _assemble(provenance.name, provenance.title, tables, provenance, problems, path=folder, studies_meta=hs)


def _check_schema(schema: object, table: RawTable, where: str, problems: list[Problem]) -> None:
    """The descriptor's Table Schema must describe the CSV it points at."""
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        problems.append(Problem(DESCRIPTOR, None, where, "has no schema.fields; expected a Table Schema for the CSV"))
        return
    declared = [f.get("name") for f in schema["fields"] if isinstance(f, dict)]
    if declared != list(table.header):
        extra = [c for c in table.header if c not in declared]
        missing = [c for c in declared if c not in table.header]
        detail = []
        if extra:
            detail.append(f"in the file but not the schema: {', '.join(extra)}")
        if missing:
            detail.append(f"in the schema but not the file: {', '.join(missing)}")
        if not detail:
            detail.append("same columns in a different order")
        problems.append(Problem(table.file, 1, None, f"header does not match {DESCRIPTOR} ({'; '.join(detail)}); expected the columns {', '.join(declared)}"))
    known = fields_by_name(table.kind)
    for f in schema["fields"]:
        if not isinstance(f, dict) or f.get("name") not in known:
            continue
        expected = known[f["name"]].table_schema()["type"]
        if f.get("type") not in (expected, None):
            problems.append(Problem(DESCRIPTOR, None, f"{where}.{f['name']}", f"type {f.get('type')!r} does not match the data; expected {expected!r}"))


def _empty(kind: str) -> pd.DataFrame:
    return pd.DataFrame({f.name: column_values(f, []) for f in TABLES[kind]})


def _assemble(name: str, title: str, tables: dict[str, RawTable], provenance: Provenance, problems: list[Problem], *, path: Path | None, studies_meta: dict | None) -> Trial:
    """Fill in defaults, check the tables against each other, and build the Trial."""
    if problems:
        raise DataError.from_problems(problems)

    frames = {kind: t.frame.copy() for kind, t in tables.items()}
    studies = frames.get("studies")
    collection = studies is not None and len(studies) > 1
    for kind, frame in frames.items():
        if kind == "studies" or "study" not in frame:
            continue
        if "study" in frame and frame["study"].isna().all() and not collection:
            frame["study"] = name
        elif "study" in frame and collection:
            table = tables[kind]
            for i in np.flatnonzero(frame["study"].isna().to_numpy()):
                problems.append(Problem(table.file, int(table.lines[i]), "study", "value is missing; expected the study of this row (the package holds several studies)"))
    if studies is None:
        ids = []
        for kind in ("arms", "binary", "continuous"):
            if kind in frames:
                for s in frames[kind]["study"]:
                    if s not in ids:
                        ids.append(s)
        studies = _empty("studies") if not ids else pd.DataFrame({"study": ids}).reindex(columns=COLUMN_ORDER["studies"])
        if studies.empty:
            studies = pd.DataFrame({"study": [name]}).reindex(columns=COLUMN_ORDER["studies"])
        collection = len(studies) > 1

    known_studies = set(studies["study"])
    for kind in ("arms", "binary", "continuous"):
        if kind in frames and "studies" in tables:
            table = tables[kind]
            for i, s in enumerate(frames[kind]["study"]):
                if isinstance(s, str) and s not in known_studies:
                    problems.append(Problem(table.file, int(table.lines[i]), "study", f'"{s}" is not in {tables["studies"].file}; expected one of {", ".join(sorted(known_studies))}'))

    if "arms" in frames:
        arms = frames["arms"]
        _check_duplicates(tables["arms"], arms, ["study", "arm"], problems)
        known_arms = set(zip(arms["study"], arms["arm"]))
        arm_source = tables["arms"].file
        for kind in ("binary", "continuous", "participants"):
            if kind not in frames:
                continue
            table, frame = tables[kind], frames[kind]
            if "study" in frame and (kind != "participants" or collection):
                study_col = frame["study"]
            else:  # participant tables of a single trial carry no study column
                study_col = pd.Series([arms["study"].iloc[0]] * len(frame))
            for i, (s, a) in enumerate(zip(study_col, frame["arm"])):
                if (s, a) not in known_arms:
                    labels = ", ".join(arms.loc[arms["study"] == s, "arm"]) or "none"
                    problems.append(Problem(table.file, int(table.lines[i]), "arm", f'"{a}" is not an arm of {s} in {arm_source}; expected one of {labels}'))
    else:
        pieces = []
        for kind in ("binary", "continuous", "participants"):
            if kind in frames:
                f = frames[kind]
                st = f["study"] if "study" in f else pd.Series([name] * len(f))
                pieces.append(pd.DataFrame({"study": st.to_numpy(), "arm": f["arm"].to_numpy()}))
        arms = pd.concat(pieces).drop_duplicates().reset_index(drop=True) if pieces else _empty("arms")
        arms = arms.reindex(columns=COLUMN_ORDER["arms"])
        if "participants" in frames:
            counts = frames["participants"]["arm"].value_counts()
            arms["n_randomized"] = arms["arm"].map(counts).astype(float)
    if "binary" in frames:
        _check_duplicates(tables["binary"], frames["binary"], ["study", "arm", "outcome", "window_days"], problems)
    if "continuous" in frames:
        _check_duplicates(tables["continuous"], frames["continuous"], ["study", "arm", "outcome"], problems)
    if problems:
        raise DataError.from_problems(problems)

    binary = frames.get("binary", _empty("binary"))
    continuous = frames.get("continuous", _empty("continuous"))
    verification: dict[str, int] = {}
    for frame in (binary, continuous):
        for status, count in frame["verification"].fillna("unverified").value_counts().items():
            verification[status] = verification.get(status, 0) + int(count)
    provenance = Provenance(**{**provenance.__dict__, "verification": verification})
    return Trial(
        name=name,
        title=title,
        kind="collection" if collection else "trial",
        arms=arms.reset_index(drop=True),
        binary=binary.reset_index(drop=True),
        continuous=continuous.reset_index(drop=True),
        participants=frames["participants"].reset_index(drop=True) if "participants" in frames else None,
        studies=studies.reset_index(drop=True),
        provenance=provenance,
        path=path,
    )


def _check_duplicates(table: RawTable, frame: pd.DataFrame, keys: list[str], problems: list[Problem]) -> None:
    seen: dict[tuple, int] = {}
    for i, key in enumerate(zip(*(frame[k].astype(object).where(frame[k].notna(), None) for k in keys))):
        line = int(table.lines[i])
        if key in seen:
            shown = ", ".join(f"{k}={v}" for k, v in zip(keys, key) if v is not None)
            problems.append(Problem(table.file, line, keys[-1], f"repeats line {seen[key]} ({shown}); expected one row per {', '.join(keys)}"))
        else:
            seen[key] = line

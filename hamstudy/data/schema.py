"""The tables of a hamstudy trial data package, described once.

Each table kind is a list of :class:`Field` descriptors. The same descriptors validate CSV files and
generate the Frictionless Table Schema written into ``datapackage.json`` (see ``data/README.md``), so
the documented format and the checks cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

VERIFICATION_STATUSES: tuple[str, ...] = (
    "verified",  # seen in the trial's own abstract or full text
    "secondary",  # seen only in reviews or summaries that cite the trial
    "conflict",  # sources disagree; notes say how
    "unverified",  # entered by the user, not checked
    "synthetic",  # simulated, not any trial's data
    "reconstructed",  # reconstructed from a published Kaplan-Meier curve
)

MISSING_VALUES: tuple[str, ...] = ("", "NA")


@dataclass(frozen=True)
class Field:
    """One column of a table.

    ``required`` means the column must be present; ``nonmissing`` means every row needs a value.
    ``kind`` is one of "string", "integer" (whole numbers, e.g. counts), "number", "event" (0 or 1).
    """

    name: str
    kind: str
    description: str
    required: bool = False
    nonmissing: bool = False
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    enum: tuple[str, ...] | None = None
    unit: str | None = None
    unique: bool = False

    def table_schema(self) -> dict:
        """This field as a Frictionless Table Schema field descriptor."""
        ftype = {"string": "string", "integer": "integer", "number": "number", "event": "integer"}[self.kind]
        out: dict = {"name": self.name, "type": ftype, "description": self.description}
        if self.unit:
            out["unit"] = self.unit
        constraints: dict = {}
        if self.nonmissing:
            constraints["required"] = True
        if self.unique:
            constraints["unique"] = True
        if self.kind == "event":
            constraints["enum"] = [0, 1]
        if self.enum:
            constraints["enum"] = list(self.enum)
        if self.minimum is not None:
            constraints["minimum"] = self.minimum
        if self.exclusive_minimum is not None:
            # Table Schema has no exclusive minimum; integers use minimum = bound + 1.
            constraints["minimum"] = self.exclusive_minimum + 1 if self.kind == "integer" else self.exclusive_minimum
        if self.maximum is not None:
            constraints["maximum"] = self.maximum
        if constraints:
            out["constraints"] = constraints
        return out


def expectation(field: Field) -> str:
    """Say in words what a value of ``field`` must be (used in error messages)."""
    if field.kind == "event":
        return "expected 0 (censored) or 1 (event)"
    if field.enum:
        return "expected one of " + ", ".join(field.enum)
    words = {"integer": "a whole number", "number": "a number", "string": "text"}[field.kind]
    if field.exclusive_minimum is not None:
        words += f" greater than {field.exclusive_minimum:g}"
    elif field.minimum is not None:
        words += f" of at least {field.minimum:g}"
    if field.maximum is not None:
        words += f" and at most {field.maximum:g}"
    return "expected " + words


_STUDY = Field("study", "string", "Trial identifier (collections only), e.g. sherry2004.")
_ARM = Field("arm", "string", "Arm label as in the trial report.", required=True, nonmissing=True)
_PROVENANCE = (
    Field("reported_p", "number", "P-value printed in the paper for this comparison.", minimum=0, maximum=1),
    Field("source", "string", "Where the figure was seen."),
    Field("verification", "string", "Verification status of the figure.", enum=VERIFICATION_STATUSES),
    Field("notes", "string", "Caveats."),
)

TABLES: dict[str, tuple[Field, ...]] = {
    "studies": (
        Field("study", "string", "Trial identifier.", required=True, nonmissing=True, unique=True),
        Field("citation", "string", "Bibliographic citation."),
        Field("doi", "string", "Digital object identifier."),
        Field("year", "integer", "Year of publication.", minimum=1900, maximum=2100),
        Field("notes", "string", "Caveats about the trial as a whole."),
    ),
    "arms": (
        _STUDY,
        _ARM,
        Field("protocol", "string", "What the arm did."),
        Field("protocol_family", "string", "Analyst's coarse grouping for pooling (e.g. isolated, integrated)."),
        Field("n_randomized", "integer", "Athletes randomized to the arm.", exclusive_minimum=0, unit="athletes"),
    ),
    "binary": (
        _STUDY,
        _ARM,
        Field("outcome", "string", "Outcome name, e.g. reinjury.", required=True, nonmissing=True),
        Field("window_days", "number", "Follow-up window after return to sport.", minimum=0, unit="days"),
        Field("events", "integer", "Athletes with the event.", required=True, nonmissing=True, minimum=0, unit="athletes"),
        Field("total", "integer", "Athletes followed.", required=True, nonmissing=True, exclusive_minimum=0, unit="athletes"),
        Field("exposure", "number", "Exposure over which events were counted.", exclusive_minimum=0),
        Field("exposure_unit", "string", "Unit of exposure, e.g. player-seasons or hours."),
        *_PROVENANCE,
    ),
    "continuous": (
        _STUDY,
        _ARM,
        Field("outcome", "string", "Outcome name, e.g. days_to_return.", required=True, nonmissing=True),
        Field("n", "integer", "Athletes analysed.", exclusive_minimum=0, unit="athletes"),
        Field("mean", "number", "Arithmetic mean."),
        Field("sd", "number", "Standard deviation.", minimum=0),
        Field("median", "number", "Median."),
        Field("q1", "number", "First quartile."),
        Field("q3", "number", "Third quartile."),
        Field("unit", "string", "Unit of the outcome, e.g. days."),
        *_PROVENANCE,
    ),
    "participants": (
        Field("participant_id", "string", "Athlete identifier, unique in the table.", required=True, nonmissing=True, unique=True),
        _ARM,
        Field("time", "number", "Days from return to sport to the event or censoring.", required=True, nonmissing=True, minimum=0, unit="days"),
        Field("event", "event", "1 = re-injury observed, 0 = censored.", required=True, nonmissing=True),
        Field("exposure_hours", "number", "Training and match exposure until the event or censoring.", minimum=0, unit="hours"),
    ),
    "km_curve": (
        _ARM,
        Field("time", "number", "Time of a digitised point.", required=True, nonmissing=True, minimum=0, unit="days"),
        Field("survival", "number", "Survival (proportion or percent) read off the curve.", required=True, nonmissing=True, minimum=0),
    ),
    "km_at_risk": (
        _ARM,
        Field("time", "number", "Time of the at-risk count.", required=True, nonmissing=True, minimum=0, unit="days"),
        Field("n_risk", "integer", "Number at risk printed under the figure.", required=False, minimum=0, unit="athletes"),
    ),
}

#: Field order of each table as the writer emits it.
COLUMN_ORDER: dict[str, tuple[str, ...]] = {kind: tuple(f.name for f in fields) for kind, fields in TABLES.items()}

#: Tables that allow extra columns (covariates).
OPEN_TABLES: frozenset[str] = frozenset({"participants"})


def fields_by_name(kind: str) -> dict[str, Field]:
    return {f.name: f for f in TABLES[kind]}


def detect_kind(columns: list[str]) -> str | None:
    """Tell a single CSV's table kind from its header, or None when it shows none.

    One telling column is enough (``participant_id``, ``survival``, ``n_risk``, ``events`` or
    ``total``, ``mean``/``sd``/``median``), so that a file missing another required column is
    reported as such rather than as a file of unknown kind.
    """
    cols = set(columns)
    if "participant_id" in cols:
        return "participants"
    if "survival" in cols:
        return "km_curve"
    if "n_risk" in cols:
        return "km_at_risk"
    if cols & {"events", "total"}:
        return "binary"
    if cols & {"mean", "sd", "median", "q1", "q3"}:
        return "continuous"
    return None


def table_schema(kind: str, columns: list[str] | None = None) -> dict:
    """The Frictionless Table Schema of a table kind (extra covariate columns typed as given)."""
    known = fields_by_name(kind)
    names = list(columns) if columns is not None else [f.name for f in TABLES[kind]]
    fields = []
    for name in names:
        if name in known:
            fields.append(known[name].table_schema())
        else:
            fields.append({"name": name, "type": "any", "description": "Covariate supplied with the data."})
    schema: dict = {"fields": fields, "missingValues": list(MISSING_VALUES)}
    unique = [f.name for f in TABLES[kind] if f.unique]
    if unique:
        schema["primaryKey"] = unique
    return schema


def markdown_tables() -> str:
    """The data dictionary of every table as Markdown (pasted into data/README.md; a test keeps them equal)."""
    out = []
    for kind, fields in TABLES.items():
        out.append(f"### `{kind}.csv`\n\n| column | required | unit | rule | description |\n|---|---|---|---|---|")
        for f in fields:
            req = "column and value" if f.nonmissing else ("column" if f.required else "no")
            rule = expectation(f).removeprefix("expected ")
            if f.unique:
                rule += ", unique"
            out.append(f"| `{f.name}` | {req} | {f.unit or ''} | {rule} | {f.description} |")
        out.append("")
    return "\n".join(out)

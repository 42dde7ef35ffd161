"""The validation report (DESIGN §3.4): one per file, printed by the CLI, shown by the
dashboard, stored with the submission."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

# The rule of the finding that stands for the findings of a rule not listed in the report:
# its ``value`` is how many were left out, its ``column`` the column they are about.
NOT_LISTED = "lignes_non_listees"
# What the left-out findings are, in the summary's words (default: lines).
_UNITS = {
    "colonne_inconnue": "colonnes",
    "colonne_sans_nom": "colonnes",
    "colonne_en_double": "colonnes",
    "mesure_manquante": "mesures",
}


@dataclass(frozen=True)
class Finding:
    """One error or warning. ``line`` is the spreadsheet row (header = 1), ``None`` when no
    row applies; ``column`` is the contract's column name or ``None``."""

    line: int | None
    column: str | None
    value: str | None
    rule: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ValidationReport:
    file: str
    kind: str | None = None
    chu: str | None = None
    annee: int | None = None
    rows: int = 0
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def error_total(self) -> int:
        """Every error of the file, the listed ones and those a summary stands for."""
        return _total(self.errors)

    @property
    def warning_total(self) -> int:
        return _total(self.warnings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "kind": self.kind,
            "chu": self.chu,
            "annee": self.annee,
            "valid": self.valid,
            "rows": self.rows,
            "errors": [f.to_dict() for f in self.errors],
            "warnings": [f.to_dict() for f in self.warnings],
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationReport:
        return cls(
            file=data["file"],
            kind=data.get("kind"),
            chu=data.get("chu"),
            annee=data.get("annee"),
            rows=data.get("rows", 0),
            errors=[Finding(**f) for f in data.get("errors", [])],
            warnings=[Finding(**f) for f in data.get("warnings", [])],
        )


def _total(findings: list[Finding]) -> int:
    return sum(int(f.value or 0) if f.rule == NOT_LISTED else 1 for f in findings)


def bound_findings(
    findings: Iterable[Finding],
    totals: Mapping[str, int],
    max_listed: int | None,
    sort_key: Callable[[Finding], Any],
) -> list[Finding]:
    """At most ``max_listed`` findings per rule (the first ones in ``sort_key`` order), in
    that order, then one summary per rule that had more: « … et 1 094 950 autres lignes ».

    ``totals`` gives a rule's exact count when more were found than handed over (a stage
    that already stopped listing); otherwise the findings handed over are the count.
    """
    from expectations.labels import french_count, rule_message

    by_rule: dict[str, list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule, []).append(finding)
    kept: list[Finding] = []
    left_out: dict[str, tuple[int, Finding]] = {}
    for rule, items in by_rule.items():
        items.sort(key=sort_key)
        listed = items if max_listed is None else items[:max_listed]
        kept.extend(listed)
        total = max(totals.get(rule, 0), len(items))
        if total > len(listed):
            left_out[rule] = (total - len(listed), listed[0])
    kept.sort(key=sort_key)
    summaries = []
    for rule, (count, first) in sorted(left_out.items(), key=lambda item: sort_key(item[1][1])):
        unit = _UNITS.get(rule, "lignes")
        where = f"la ligne {first.line}" if unit == "lignes" and first.line else "ci-dessus"
        summaries.append(
            Finding(
                line=None,
                column=first.column,
                value=str(count),
                rule=NOT_LISTED,
                message=rule_message(
                    NOT_LISTED,
                    line=None,
                    column=first.column,
                    count=french_count(count),
                    unit=unit,
                    first=where,
                ),
            )
        )
    return kept + summaries

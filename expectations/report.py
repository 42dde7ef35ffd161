"""The validation report (DESIGN §3.4): one per file, printed by the CLI, shown by the
dashboard, stored with the submission."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


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

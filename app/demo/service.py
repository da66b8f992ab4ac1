"""Load the demo footprint (`fixtures/demo/footprint.json`), or every footprint of England
(`fixtures/demo/national.json`, made by the same generator), into the database, idempotently."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import Conflict, Invalid
from app.cost_lines.schemas import CostLineCreate
from app.cost_lines.upsert import CostLineInput, bulk_upsert
from app.footprints.schemas import FootprintCreate
from app.footprints.service import create_footprint
from app.organisations.schemas import OrganisationCreate, OrganisationUpdate
from app.organisations.service import create_organisation, update_organisation
from models import Footprint, Organisation

M = TypeVar("M", bound=BaseModel)

DEFAULT_DEMO_PATH = Path(__file__).resolve().parents[2] / "fixtures" / "demo" / "footprint.json"
DEFAULT_NATIONAL_PATH = DEFAULT_DEMO_PATH.with_name("national.json")


@dataclass
class DemoLoadSummary:
    footprint: str
    footprint_created: bool
    organisations_created: int = 0
    organisations_updated: int = 0
    organisations_unchanged: int = 0
    cost_lines_inserted: int = 0
    cost_lines_updated: int = 0
    cost_lines_unchanged: int = 0

    def describe(self) -> str:
        return (
            f"footprint {self.footprint} {'created' if self.footprint_created else 'already present'}; "
            f"organisations: {self.organisations_created} created, {self.organisations_updated} updated, "
            f"{self.organisations_unchanged} unchanged; cost lines: {self.cost_lines_inserted} inserted, "
            f"{self.cost_lines_updated} updated, {self.cost_lines_unchanged} unchanged"
        )


def _validated(model: type[M], data: Any, where: dict[str, Any]) -> M:
    # The file goes through the API's own schemas, so the demo can never hold what the API would refuse.
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid(
            f"demo file: {where} is not valid",
            errors=[
                {**where, "field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                for e in exc.errors()
            ],
        ) from exc


def _upsert_organisation(
    session: Session, footprint: Footprint, data: OrganisationCreate, summary: DemoLoadSummary
) -> None:
    organisation = session.scalar(select(Organisation).where(Organisation.code == data.code))
    if organisation is None:
        create_organisation(session, footprint, data)
        summary.organisations_created += 1
        return
    if organisation.footprint_id != footprint.id:
        # Organisation codes are unique across footprints; quietly moving one would rewrite someone's data.
        raise Conflict(f"Organisation {data.code} already exists in another footprint; not moving it")
    wanted = {"name": data.name, "kind": data.kind, "compatibility_groups": data.compatibility_groups}
    current = {
        "name": organisation.name,
        "kind": organisation.kind,
        "compatibility_groups": dict(organisation.compatibility_groups or {}),
    }
    if wanted == current:
        summary.organisations_unchanged += 1
        return
    update_organisation(session, footprint, data.code, OrganisationUpdate(**wanted))
    summary.organisations_updated += 1


def load_demo(session: Session, path: Path = DEFAULT_DEMO_PATH) -> DemoLoadSummary:
    """Create the demo footprint if missing, upsert its organisations by code and its cost lines.

    Loading the same file again changes nothing. An existing footprint's own fields (name, region,
    maturity) are left as a planner may have edited them. Never commits: the caller owns the transaction.
    """
    path = Path(path)
    return load_document(session, json.loads(path.read_text(encoding="utf-8")), path.name)


@dataclass
class NationalLoadSummary:
    footprints: list[DemoLoadSummary]

    def describe(self) -> str:
        def total(field: str) -> int:
            return sum(int(getattr(s, field)) for s in self.footprints)

        return (
            f"{len(self.footprints)} footprints ({total('footprint_created')} created); organisations: "
            f"{total('organisations_created')} created, {total('organisations_updated')} updated, "
            f"{total('organisations_unchanged')} unchanged; cost lines: {total('cost_lines_inserted')} "
            f"inserted, {total('cost_lines_updated')} updated, {total('cost_lines_unchanged')} unchanged"
        )


def load_national(session: Session, path: Path = DEFAULT_NATIONAL_PATH) -> NationalLoadSummary:
    """Every footprint of the national file, each by `load_document`'s rules (loading again changes
    nothing; all or nothing, as the caller owns the transaction)."""
    path = Path(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    return NationalLoadSummary(
        [
            load_document(session, part, f"{path.name} footprint {index}")
            for index, part in enumerate(document["footprints"])
        ]
    )


def load_document(session: Session, document: dict[str, Any], source: str) -> DemoLoadSummary:
    """One footprint's document (footprint, organisations, cost lines); `source` names it in errors."""
    footprint_data = _validated(FootprintCreate, document["footprint"], {"file": source, "at": "footprint"})
    footprint = session.scalar(select(Footprint).where(Footprint.code == footprint_data.code))
    summary = DemoLoadSummary(footprint=footprint_data.code, footprint_created=footprint is None)
    if footprint is None:
        footprint = create_footprint(session, footprint_data)

    for index, org in enumerate(document["organisations"]):
        fields = {k: org[k] for k in ("code", "name", "kind", "compatibility_groups")}
        data = _validated(OrganisationCreate, fields, {"file": source, "organisation": index})
        _upsert_organisation(session, footprint, data, summary)
    session.flush()

    lines = []
    for index, line in enumerate(document["cost_lines"]):
        where = {"file": source, "cost_line": index}
        lines.append(CostLineInput.from_schema(_validated(CostLineCreate, line, where), location=where))
    counts = bulk_upsert(session, footprint, lines)
    summary.cost_lines_inserted = counts.inserted
    summary.cost_lines_updated = counts.updated
    summary.cost_lines_unchanged = counts.unchanged
    return summary

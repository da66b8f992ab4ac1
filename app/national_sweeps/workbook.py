"""A national sweep's workbook: ReadMe (what the totals cover, in words), England (totals per scenario),
England by year (£ to patient care and WTE released per scenario and year) and Footprints (each
footprint under each scenario). The figures are the API's (`service.read`), so the two always agree."""

from __future__ import annotations

from decimal import Decimal
from typing import IO

from sqlalchemy.orm import Session

from app.national_sweeps import service
from app.workbooks.writer import Column, SheetWriter, new_workbook

NOTICE = (
    "Footprints loaded from the national demo data (stpplan demo load --national) carry ILLUSTRATIVE money: "
    "real footprints and acute trusts, made-up CCGs, CSUs, councils and costs. Totals made from them "
    "are not England's real savings."
)


def write_national_workbook(session: Session, national_id: int, stream: IO[bytes]) -> None:
    result = service.read(session, national_id)
    workbook = new_workbook()

    readme = SheetWriter(workbook, "ReadMe", widths=[120])
    readme.append_labels(
        [f"National sweep {result.id}: {len(result.sweep_ids)} footprints"], style="stp_title"
    )
    readme.append_labels(
        [
            f"{result.runs} runs: "
            + ", ".join(f"{n} {status}" for status, n in result.by_status.items())
            + ("" if result.finished else " (NOT FINISHED: figures will change)")
        ]
    )
    readme.append_labels(["£ to patient care in a year is that year's net cash: savings less every cost."])
    for caveat in result.caveats:
        readme.append_labels([caveat])
    readme.append_labels([NOTICE])
    readme.finish()

    england = SheetWriter(
        workbook,
        "England",
        [
            Column("Scenario", width=44),
            Column("Footprints", "integer", width=12),
            Column("With a plan", "integer", width=12),
            Column("Not proven best", "integer", width=16),
            Column("Without a plan", "integer", width=16),
            Column("NPV £", "money", width=20),
            Column("£ to patient care, all years", "money", width=24),
            Column("WTE released", "wte", width=14),
        ],
    )
    for total in result.totals:
        england.append(
            [
                total.scenario,
                total.footprints,
                total.planned,
                len(total.unproven),
                len(total.without_plan),
                total.npv,
                sum((y.patient_care for y in total.patient_care_per_year), Decimal(0)),
                Decimal(repr(total.wte_released)).quantize(Decimal("0.01")),
            ]
        )
    england.finish()

    by_year = SheetWriter(
        workbook,
        "England by year",
        [
            Column("Scenario", width=44),
            Column("Year", "integer", width=8),
            Column("£ to patient care", "money", width=20),
            Column("WTE released", "wte", width=14),
        ],
    )
    for total in result.totals:
        for year in total.patient_care_per_year:
            by_year.append(
                [
                    total.scenario,
                    year.year,
                    year.patient_care,
                    Decimal(repr(year.wte_released)).quantize(Decimal("0.01")),
                ]
            )
    by_year.finish()

    footprints = SheetWriter(
        workbook,
        "Footprints",
        [
            Column("Footprint", width=12),
            Column("Name", width=44),
            Column("Scenario", width=44),
            Column("Run", "integer", width=8),
            Column("Status", width=12),
            Column("Proven best", width=12),
            Column("NPV £", "money", width=18),
            Column("£ to patient care, all years", "money", width=24),
            Column("WTE released", "wte", width=14),
        ],
    )
    for outcome in result.footprints:
        footprints.append(
            [
                outcome.footprint,
                outcome.name,
                outcome.scenario,
                outcome.run_id,
                outcome.status,
                "yes" if outcome.proven_optimal else "no",
                outcome.npv,
                sum((y.patient_care for y in outcome.patient_care_per_year), Decimal(0))
                if outcome.patient_care_per_year
                else None,
                None
                if outcome.wte_released is None
                else Decimal(repr(outcome.wte_released)).quantize(Decimal("0.01")),
            ]
        )
    footprints.finish()
    workbook.save(stream)

"""Cost lines: one organisation's annual cost of one function in one financial year."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    func,
    select,
)
from sqlalchemy.orm import Session

from app.core.errors import Conflict, Invalid, NotFound, unknown_filter_value
from app.core.financial_years import NotAFinancialYear, parse_financial_year
from app.core.money import to_pence, to_pounds
from app.core.pagination import decode_cursor, decode_cursor_total, encode_cursor
from app.cost_lines.schemas import (
    CostLineCreate,
    CostLinePage,
    CostLineRead,
    CostLineUpdate,
    CostSummary,
    CostSummaryRow,
)
from app.cost_lines.upsert import (
    CostLineColumns,
    CostLineInput,
    validate_references,
)
from app.footprints.service import record_data_change
from app.functions.service import function_keys
from models import CostLine, Footprint, Organisation

_ROW_COLUMNS = (
    CostLine.id,
    CostLine.organisation_id,
    CostLine.function_key,
    CostLine.financial_year,
    CostLine.pay_pence,
    CostLine.non_pay_pence,
    CostLine.wte,
    CostLine.upload_id,
    CostLine.created_at,
    CostLine.updated_at,
    Organisation.code,
    Footprint.code,
)


def _base_query() -> Select[*tuple[Any, ...]]:
    return (
        select(*_ROW_COLUMNS)
        .join(Organisation, CostLine.organisation_id == Organisation.id)
        .join(Footprint, Organisation.footprint_id == Footprint.id)
    )


def _to_read(row: Any) -> CostLineRead:
    return CostLineRead(
        id=row[0],
        footprint=row[11],
        organisation=row[10],
        function=row[2],
        financial_year=row[3],
        pay=to_pounds(row[4]),
        non_pay=to_pounds(row[5]),
        total=to_pounds(row[4] + row[5]),
        wte=Decimal(row[6]).quantize(Decimal("0.01")),
        upload_id=row[7],
        created_at=row[8],
        updated_at=row[9],
    )


def list_cost_lines(
    session: Session,
    *,
    footprints: Sequence[str] | None = None,
    organisation: str | None = None,
    function: str | None = None,
    financial_year: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> CostLinePage:
    function, financial_year = _checked_filters(session, footprints, organisation, function, financial_year)
    # Filters on cost_line alone, organisations resolved in a subquery, so that no plan has to join
    # every line to its organisation and footprint.
    organisations = None
    if footprints is not None or organisation:
        organisations = select(Organisation.id)
        if footprints is not None:
            organisations = organisations.join(Footprint, Organisation.footprint_id == Footprint.id).where(
                Footprint.code.in_(footprints)
            )
        if organisation:
            organisations = organisations.where(Organisation.code == organisation)
    filters: list[ColumnElement[bool]] = []
    if organisations is not None:
        filters.append(CostLine.organisation_id.in_(organisations))
    if function:
        filters.append(CostLine.function_key == function)
    if financial_year:
        filters.append(CostLine.financial_year == financial_year)

    after = decode_cursor(cursor)
    # Counting 100,000 lines costs more than reading a page, so the total is counted once, for the first
    # page, and carried in the cursor: a walk's later pages repeat the total it started with. The same
    # scan finds the first matching id, where the walk below starts.
    total = decode_cursor_total(cursor)
    if total is None:
        total, first_id = session.execute(select(func.count(), func.min(CostLine.id)).where(*filters)).one()
        after = max(after, (first_id or 1) - 1)

    sqlite = session.get_bind().dialect.name == "sqlite"
    if not sqlite or organisation or (function and financial_year):
        # PostgreSQL plans from its statistics; on SQLite few lines match: fetch them by index and sort.
        page_filters = filters
    else:
        # SQLite keeps no statistics and reaches for an index whenever one fits, then fetches and sorts
        # every matching line for each page. When many lines match (a footprint, a function, a year) a
        # walk along the primary key from the cursor is far faster; "+ 0" and "|| ''" keep it off the
        # other indexes. (Not for PostgreSQL: the expressions hide the columns from its statistics.)
        page_filters = []
        if organisations is not None:
            page_filters.append((CostLine.organisation_id + 0).in_(organisations))
        if function:
            page_filters.append((CostLine.function_key + "") == function)
        if financial_year:
            page_filters.append((CostLine.financial_year + "") == financial_year)
    page = _base_query().where(*page_filters, CostLine.id > after).order_by(CostLine.id).limit(limit + 1)
    rows = session.execute(page).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return CostLinePage(
        items=[_to_read(r) for r in rows],
        total=total,
        limit=limit,
        next_cursor=encode_cursor(rows[-1][0], total) if more else None,
    )


def _checked_filters(
    session: Session,
    footprints: Sequence[str] | None,
    organisation: str | None,
    function: str | None,
    financial_year: str | None,
) -> tuple[str | None, str | None]:
    """A filter value that matches nothing by construction (a function that does not exist, an
    organisation outside the footprints, a year that is not one) is a mistake, not an empty list: 422
    naming the allowed values. Returns the function and the financial year in their canonical forms."""
    if footprints:
        known = set(session.scalars(select(Footprint.code).where(Footprint.code.in_(footprints))))
        for code in footprints:
            if code not in known:
                visible = sorted(session.scalars(select(Footprint.code)))
                raise unknown_filter_value("footprint", code, "footprint", visible)
    if function:
        keys = function_keys(session)
        if function not in keys:
            raise unknown_filter_value("function", function, "function", sorted(keys))
    if organisation:
        codes = select(Organisation.code).order_by(Organisation.code).distinct()
        if footprints is not None:
            codes = codes.join(Footprint, Organisation.footprint_id == Footprint.id).where(
                Footprint.code.in_(footprints)
            )
        allowed = list(session.scalars(codes))
        if organisation not in allowed:
            where = "in " + ", ".join(footprints) if footprints else "in any footprint"
            what = f"organisation {where} with the code"
            raise unknown_filter_value("organisation", organisation, what, allowed)
    if financial_year:
        try:
            financial_year = parse_financial_year(financial_year)
        except NotAFinancialYear:
            message = (
                f"{financial_year!r} is not a financial year: write it as 2017/18 "
                "(2017-18 and 2017/2018 are accepted too)."
            )
            raise Invalid(
                message,
                errors=[{"loc": ["query", "financial_year"], "value": financial_year, "message": message}],
                kind="unknown-filter-value",
            ) from None
    return function, financial_year


def get_cost_line(session: Session, footprint: Footprint, line_id: int) -> CostLineRead:
    row = session.execute(_base_query().where(CostLine.id == line_id, Footprint.id == footprint.id)).first()
    if row is None:
        raise NotFound("Cost line", f"{line_id} in footprint {footprint.code}")
    return _to_read(row)


def create_cost_line(session: Session, footprint: Footprint, data: CostLineCreate) -> CostLineRead:
    line = CostLineInput.from_schema(data, location={"loc": ["body"]})
    organisation_ids, errors = validate_references(session, footprint, CostLineColumns.from_lines([line]))
    if errors:
        raise Invalid("cost line is not valid", errors=errors)
    org_id = organisation_ids[line.organisation]
    clash = session.scalar(
        select(CostLine.id).where(
            CostLine.organisation_id == org_id,
            CostLine.function_key == line.function,
            CostLine.financial_year == line.financial_year,
        )
    )
    if clash is not None:
        raise Conflict(
            f"a cost line for {line.organisation}, {line.function}, {line.financial_year} already exists",
            existing_id=clash,
        )
    cost_line = CostLine(
        organisation_id=org_id,
        function_key=line.function,
        financial_year=line.financial_year,
        pay_pence=line.pay_pence,
        non_pay_pence=line.non_pay_pence,
        wte=line.wte,
    )
    session.add(cost_line)
    session.flush()
    record_data_change(session, footprint)
    return get_cost_line(session, footprint, cost_line.id)


def _owned_line(session: Session, footprint: Footprint, line_id: int) -> CostLine:
    cost_line = session.scalar(
        select(CostLine)
        .join(Organisation, CostLine.organisation_id == Organisation.id)
        .where(CostLine.id == line_id, Organisation.footprint_id == footprint.id)
    )
    if cost_line is None:
        raise NotFound("Cost line", f"{line_id} in footprint {footprint.code}")
    return cost_line


def update_cost_line(
    session: Session, footprint: Footprint, line_id: int, data: CostLineUpdate
) -> CostLineRead:
    cost_line = _owned_line(session, footprint, line_id)
    if data.pay is not None:
        cost_line.pay_pence = to_pence(data.pay)
    if data.non_pay is not None:
        cost_line.non_pay_pence = to_pence(data.non_pay)
    if data.wte is not None:
        cost_line.wte = data.wte
    if session.is_modified(cost_line):
        session.flush()
        record_data_change(session, footprint)
    return get_cost_line(session, footprint, line_id)


def delete_cost_line(session: Session, footprint: Footprint, line_id: int) -> None:
    session.delete(_owned_line(session, footprint, line_id))
    session.flush()
    record_data_change(session, footprint)


def summarise(session: Session, footprint: Footprint) -> CostSummary:
    """Totals by function and financial year, summed by the database in exact integer pence."""
    rows = session.execute(
        select(
            CostLine.function_key,
            CostLine.financial_year,
            func.count(),
            func.sum(CostLine.pay_pence),
            func.sum(CostLine.non_pay_pence),
            func.sum(CostLine.wte),
        )
        .join(Organisation, CostLine.organisation_id == Organisation.id)
        .where(Organisation.footprint_id == footprint.id)
        .group_by(CostLine.function_key, CostLine.financial_year)
        .order_by(CostLine.function_key, CostLine.financial_year)
    ).all()
    summary_rows = [
        CostSummaryRow(
            function=function,
            financial_year=year,
            lines=count,
            pay=to_pounds(int(pay)),
            non_pay=to_pounds(int(non_pay)),
            total=to_pounds(int(pay) + int(non_pay)),
            wte=Decimal(str(wte)).quantize(Decimal("0.01")),
        )
        for function, year, count, pay, non_pay, wte in rows
    ]
    pay_total = sum((int(r[3]) for r in rows), 0)
    non_pay_total = sum((int(r[4]) for r in rows), 0)
    return CostSummary(
        footprint=footprint.code,
        rows=summary_rows,
        pay=to_pounds(pay_total),
        non_pay=to_pounds(non_pay_total),
        total=to_pounds(pay_total + non_pay_total),
    )


def totals_by_organisation(session: Session, footprint: Footprint) -> list[tuple[str, str, str, int]]:
    """(organisation code, function, financial year, pay + non-pay pence), summed by the database."""
    rows = session.execute(
        select(
            Organisation.code,
            CostLine.function_key,
            CostLine.financial_year,
            func.sum(CostLine.pay_pence + CostLine.non_pay_pence),
        )
        .join(Organisation, CostLine.organisation_id == Organisation.id)
        .where(Organisation.footprint_id == footprint.id)
        .group_by(Organisation.code, CostLine.function_key, CostLine.financial_year)
        .order_by(Organisation.code, CostLine.function_key, CostLine.financial_year)
    ).all()
    return [(code, function, year, int(total)) for code, function, year, total in rows]

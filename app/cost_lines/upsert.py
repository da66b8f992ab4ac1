"""Writing many cost lines at once (uploads, the bulk API, the demo): every line's references checked
together, then inserted, updated in place or left unchanged in a few statements (COPY on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain
from typing import Any

from psycopg import adapt
from psycopg.abc import Transformer
from sqlalchemy import (
    BigInteger,
    Connection,
    bindparam,
    cast,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from app.core.errors import Invalid
from app.core.money import to_pence
from app.cost_lines.schemas import (
    CostLineCreate,
)
from app.footprints.service import lock_for_write, record_data_change
from app.functions.service import function_keys
from models import CostLine, Footprint, Organisation
from models.base import utcnow


@dataclass(frozen=True)
class CostLineInput:
    """A validated line, money already in pence. `location` says where it came from, for error messages."""

    organisation: str
    function: str
    financial_year: str
    pay_pence: int
    non_pay_pence: int
    wte: Decimal
    location: dict[str, Any] | None = None

    @classmethod
    def from_schema(cls, line: CostLineCreate, location: dict[str, Any] | None = None) -> CostLineInput:
        return cls(
            organisation=line.organisation,
            function=line.function,
            financial_year=line.financial_year,
            pay_pence=to_pence(line.pay),
            non_pay_pence=to_pence(line.non_pay),
            wte=line.wte.quantize(Decimal("0.01")),
            location=location,
        )


def _nowhere(_index: int) -> dict[str, Any] | None:
    return None


@dataclass
class CostLineColumns:
    """Validated lines column by column: an upload's 100,000 lines without an object or a location
    dict per line. `location(i)` says where line i came from, built only for a line with a problem."""

    organisation: list[str] = field(default_factory=list)
    function: list[str] = field(default_factory=list)
    financial_year: list[str] = field(default_factory=list)
    pay_pence: list[int] = field(default_factory=list)
    non_pay_pence: list[int] = field(default_factory=list)
    wte: list[Decimal] = field(default_factory=list)
    # True when whoever built the columns has already refused duplicate (organisation, function, year)
    # keys among them (the spreadsheet reader does, reporting each at its cell).
    distinct: bool = False
    locate: Callable[[int], dict[str, Any] | None] = _nowhere

    def __len__(self) -> int:
        return len(self.organisation)

    def location(self, index: int) -> dict[str, Any] | None:
        return self.locate(index)

    @classmethod
    def from_lines(cls, lines: Sequence[CostLineInput]) -> CostLineColumns:
        return cls(
            organisation=[line.organisation for line in lines],
            function=[line.function for line in lines],
            financial_year=[line.financial_year for line in lines],
            pay_pence=[line.pay_pence for line in lines],
            non_pay_pence=[line.non_pay_pence for line in lines],
            wte=[line.wte for line in lines],
            locate=lambda index: lines[index].location,
        )

    def extend(self, other: CostLineColumns) -> None:
        offset = len(self)
        # two sheets may each be free of duplicates and still share a key
        self.distinct = (other.distinct and not offset) or (self.distinct and not len(other))
        first, second = self.locate, other.locate
        self.organisation += other.organisation
        self.function += other.function
        self.financial_year += other.financial_year
        self.pay_pence += other.pay_pence
        self.non_pay_pence += other.non_pay_pence
        self.wte += other.wte
        self.locate = lambda index: first(index) if index < offset else second(index - offset)


@dataclass
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def organisation_ids_by_code(session: Session, footprint: Footprint) -> dict[str, int]:
    return dict(
        session.execute(
            select(Organisation.code, Organisation.id).where(Organisation.footprint_id == footprint.id)
        ).all()
    )


def validate_references(
    session: Session, footprint: Footprint, lines: CostLineColumns
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    organisation_ids = organisation_ids_by_code(session, footprint)
    known_functions = function_keys(session)
    # Set arithmetic answers "all good?" for a whole upload at C speed; only a batch with a problem
    # walks its lines one by one, to report each where it is.
    if (
        organisation_ids.keys() >= set(lines.organisation)
        and set(known_functions) >= set(lines.function)
        and (
            lines.distinct
            or len(set(zip(lines.organisation, lines.function, lines.financial_year, strict=True)))
            == len(lines)
        )
    ):
        return organisation_ids, []
    keys = list(zip(lines.organisation, lines.function, lines.financial_year, strict=True))
    errors: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str], int] = {}
    for index, key in enumerate(keys):
        organisation, function, financial_year = key
        where = lines.location(index) or {"loc": ["body", "lines", index]}
        if organisation not in organisation_ids:
            errors.append(
                {
                    **_at(where, "organisation"),
                    "value": organisation,
                    "message": f"organisation {organisation} is not in footprint {footprint.code}",
                }
            )
        if function not in known_functions:
            errors.append(
                {
                    **_at(where, "function"),
                    "value": function,
                    "message": f"unknown function {function!r}; see GET /functions",
                }
            )
        if key in seen:
            errors.append(
                {
                    **_at(where, "organisation"),
                    "value": organisation,
                    "message": f"duplicate of line {seen[key]} ({organisation}, {function}, "
                    f"{financial_year})",
                }
            )
        else:
            seen[key] = index
    return organisation_ids, errors


def _at(where: dict[str, Any], field: str) -> dict[str, Any]:
    if "loc" in where:
        return {"loc": [*where["loc"], field]}
    return dict(where)


_INSERT_COLUMNS = (
    "organisation_id",
    "function_key",
    "financial_year",
    "pay_pence",
    "non_pay_pence",
    "wte",
    "upload_id",
    "created_at",
    "updated_at",
)


def _bound(connection: Connection, column: str, values: list[Any]) -> list[Any]:
    """`values` as SQLAlchemy would bind them for `column` (e.g. Decimal -> float, datetime -> text on
    SQLite), each distinct value converted once: the repeated ones are most of an upload."""
    process = CostLine.__table__.c[column].type._cached_bind_processor(connection.dialect)
    if process is None:
        return values
    converted = {value: process(value) for value in set(values)}
    return [converted[value] for value in values]


# Rows per SQLite INSERT: 100 rows of 9 values stay under the 999 bound parameters that SQLite before
# 3.32 allows in one statement.
_SQLITE_ROWS_PER_INSERT = 100
# Page cache for SQLite's bulk writes, in KiB: 100,000 lines with their indexes are about 17 MB of pages.
_SQLITE_BULK_CACHE_KIB = 64 * 1024


def _insert_rows(session: Session, columns: dict[str, list[Any]]) -> None:
    """Insert new cost lines, given column by column, in the session's transaction.

    PostgreSQL gets COPY, which streams rows without per-row statements (about twice as fast as
    psycopg's pipelined executemany), its text made here column by column: psycopg's write_row adapts
    every value of every row, which cost this process more CPU than the server spent on the COPY.
    SQLite gets the driver's executemany on plain values, 100 rows a statement: going through
    SQLAlchemy's insert() builds and processes a parameter dict per row, and one statement per row
    costs the driver more than SQLite's own work per row. Other databases get SQLAlchemy's executemany.
    """
    connection = session.connection()
    rows = zip(*(columns[column] for column in _INSERT_COLUMNS), strict=True)
    table = CostLine.__tablename__
    names = ", ".join(_INSERT_COLUMNS)
    dialect = connection.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        driver_connection: Any = connection.connection.driver_connection
        with (
            driver_connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            transformer = adapt.Transformer(cursor)
            texts = [_copy_texts(transformer, columns[column]) for column in _INSERT_COLUMNS]
            lines = list(map(b"\t".join, zip(*texts, strict=True)))
            for start in range(0, len(lines), _COPY_LINES_PER_WRITE):
                copy.write(b"\n".join(lines[start : start + _COPY_LINES_PER_WRITE]) + b"\n")
        return
    if dialect.name == "sqlite":
        bound = (_bound(connection, column, columns[column]) for column in _INSERT_COLUMNS)
        # one flat list of every row's values, in row order: each statement takes a slice of it
        values = list(chain.from_iterable(zip(*bound, strict=True)))
        width = len(_INSERT_COLUMNS)
        row_marks = f"({', '.join('?' * width)})"

        def statement(count: int) -> str:
            return f"INSERT INTO {table} ({names}) VALUES {', '.join([row_marks] * count)}"

        step = _SQLITE_ROWS_PER_INSERT * width
        whole = len(values) - len(values) % step
        with _sqlite_bulk_cache(connection) as cursor:
            cursor.executemany(
                statement(_SQLITE_ROWS_PER_INSERT),
                (values[start : start + step] for start in range(0, whole, step)),
            )
            if whole < len(values):
                cursor.execute(statement((len(values) - whole) // width), values[whole:])
        return
    connection.execute(
        insert(CostLine.__table__),  # type: ignore[arg-type]
        [dict(zip(_INSERT_COLUMNS, row, strict=True)) for row in rows],
    )


_COPY_LINES_PER_WRITE = 10_000
# COPY's text format: these bytes in a value are written as backslash escapes (as psycopg does)
_COPY_ESCAPES = {
    b"\\": b"\\\\",
    b"\b": b"\\b",
    b"\t": b"\\t",
    b"\n": b"\\n",
    b"\v": b"\\v",
    b"\f": b"\\f",
    b"\r": b"\\r",
}


def _copy_texts(transformer: Transformer, values: list[Any]) -> list[bytes]:
    """`values` as COPY text, each distinct value adapted by psycopg once (as `write_row` would adapt
    it) and escaped; NULL is `\\N`."""
    distinct = list(set(values))
    adapted = transformer.dump_sequence(distinct, [adapt.PyFormat.TEXT] * len(distinct))
    text = {}
    for value, data in zip(distinct, adapted, strict=True):
        if data is None:
            text[value] = b"\\N"
            continue
        data = bytes(data)
        for raw, escaped in _COPY_ESCAPES.items():  # the backslash first, so no escape is escaped again
            data = data.replace(raw, escaped)
        text[value] = data
    return [text[value] for value in values]


@contextmanager
def _sqlite_bulk_cache(connection: Connection) -> Iterator[Any]:
    """A driver cursor on the SQLite connection with a page cache big enough for a bulk write.

    SQLite's default cache is 2 MB: a 100,000-line insert spills its pages to the WAL and reads them
    back again while the indexes are filled in, which cost about a fifth of the insert. The cache
    grows only as pages are used, and goes back to its size afterwards (the pages written stay in
    memory until the commit, as they would have).
    """
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        (previous,) = cursor.execute("PRAGMA cache_size").fetchone()
        cursor.execute(f"PRAGMA cache_size = -{_SQLITE_BULK_CACHE_KIB}")  # negative: KiB, not pages
        try:
            yield cursor
        finally:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")
    finally:
        cursor.close()


def _existing(
    session: Session, organisation_ids: set[int], lines: CostLineColumns
) -> dict[tuple[int, str, str], tuple[int, int, int, int]]:
    """(organisation id, function, year) -> (id, pay pence, non-pay pence, WTE in hundredths) of the
    stored lines this batch could match."""
    query = select(
        CostLine.organisation_id,
        CostLine.function_key,
        CostLine.financial_year,
        CostLine.id,
        CostLine.pay_pence,
        CostLine.non_pay_pence,
        # WTE as whole hundredths, computed by the database: exact on both backends (numeric(12,2) on
        # PostgreSQL, a float holding two decimals on SQLite) and no Decimal per row on the way back.
        cast(func.round(CostLine.wte * 100), BigInteger),
    ).where(
        # Only rows this batch could match: a 10,000-line batch into a footprint already holding
        # 100,000 lines reads about its own size, not the whole footprint again.
        CostLine.organisation_id.in_(organisation_ids),
        CostLine.function_key.in_(set(lines.function)),
        CostLine.financial_year.in_(set(lines.financial_year)),
    )
    return {
        (org_id, function, year): (line_id, pay, non_pay, int(wte))
        # Core rows, not the ORM's result machinery: nothing here is an entity
        for org_id, function, year, line_id, pay, non_pay, wte in session.connection().execute(query)
    }


def bulk_upsert(
    session: Session,
    footprint: Footprint,
    lines: Sequence[CostLineInput] | CostLineColumns,
    *,
    upload_id: int | None = None,
) -> UpsertCounts:
    """Insert new lines and update changed ones, all or nothing; identical lines are left alone.

    Raises `Invalid` listing every bad line before anything is written. The caller's transaction
    makes it atomic; the footprint lock makes concurrent upserts for one footprint run in turn.
    """
    batch = lines if isinstance(lines, CostLineColumns) else CostLineColumns.from_lines(lines)
    organisation_ids, errors = validate_references(session, footprint, batch)
    if errors:
        raise Invalid(f"{len(errors)} cost line(s) are not valid; nothing was saved", errors=errors)
    lock_for_write(session, footprint)

    ids = [organisation_ids[code] for code in batch.organisation]
    existing = _existing(session, set(ids), batch)
    now = utcnow()
    counts = UpsertCounts()
    keys = zip(ids, batch.function, batch.financial_year, strict=True)
    if not existing:
        new = list(range(len(ids)))
        changed: list[tuple[int, int]] = []
    else:
        centi = {wte: wte.scaleb(2) for wte in set(batch.wte)}
        new, changed = [], []
        for index, (key, pay, non_pay, wte) in enumerate(
            zip(keys, batch.pay_pence, batch.non_pay_pence, batch.wte, strict=True)
        ):
            current = existing.get(key)
            if current is None:
                new.append(index)
            elif (current[1], current[2], current[3]) != (pay, non_pay, centi[wte]):
                changed.append((index, current[0]))
            else:
                counts.unchanged += 1
    if new:
        everything = len(new) == len(ids)

        def pick(values: list[Any]) -> list[Any]:
            return values if everything else [values[i] for i in new]

        _insert_rows(
            session,
            {
                "organisation_id": pick(ids),
                "function_key": pick(batch.function),
                "financial_year": pick(batch.financial_year),
                "pay_pence": pick(batch.pay_pence),
                "non_pay_pence": pick(batch.non_pay_pence),
                "wte": pick(batch.wte),
                "upload_id": [upload_id] * len(new),
                "created_at": [now] * len(new),
                "updated_at": [now] * len(new),
            },
        )
    if changed:
        session.connection().execute(
            update(CostLine.__table__)  # type: ignore[arg-type]
            .where(CostLine.__table__.c.id == bindparam("line_id"))
            .values(
                pay_pence=bindparam("pay_pence"),
                non_pay_pence=bindparam("non_pay_pence"),
                wte=bindparam("wte"),
                upload_id=bindparam("upload_id"),
                updated_at=bindparam("updated_at"),
            ),
            [
                {
                    "line_id": line_id,
                    "pay_pence": batch.pay_pence[index],
                    "non_pay_pence": batch.non_pay_pence[index],
                    "wte": batch.wte[index],
                    "upload_id": upload_id,
                    "updated_at": now,
                }
                for index, line_id in changed
            ],
        )
    counts.inserted = len(new)
    counts.updated = len(changed)
    if new or changed:
        record_data_change(session, footprint)
    return counts

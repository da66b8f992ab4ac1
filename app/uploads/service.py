"""Import a workbook into a footprint (all or nothing), record every upload, export cost lines.

Order of work, chosen so that concurrent uploads of one footprint never interleave and SQLite's
single writer never sees a stale snapshot:
1. guards (size, type, zip bomb, XML entities) and parsing: no database;
2. take the footprint's write lock as the transaction's first statement;
3. check the file against the database (organisations in other footprints, unknown organisations);
4. any problem -> `ProblemError` 422 listing all of them, nothing written (the caller rolls back and
   records the refused upload);
5. record the upload, upsert organisations, then cost lines through `cost_lines.upsert.bulk_upsert`.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import IO, Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app.core.errors import NotFound, ProblemError
from app.core.money import PENNY
from app.core.pagination import Page, keyset_page
from app.cost_lines.upsert import bulk_upsert
from app.footprints.service import get_footprint, record_data_change
from app.functions.service import list_functions
from app.settings import Settings, get_settings
from app.uploads import guards
from app.uploads.parsed import ParsedOrganisation, ParsedWorkbook, problem
from app.uploads.reader import read_workbook
from app.uploads.schemas import Counts, Reversion, SheetCounts, SheetProblem, UploadRead, UploadReport
from app.workbooks.layout import FunctionInfo
from app.workbooks.template import CostLineRow, OrganisationRow, write_workbook
from models import CostLine, Footprint, Function, Organisation, Upload
from models.base import utcnow


def _everything(_footprint_code: str) -> bool:
    return True


def limits(settings: Settings | None = None) -> guards.Limits:
    settings = settings or get_settings()
    return guards.Limits(
        max_bytes=settings.upload_max_bytes,
        max_uncompressed_bytes=settings.upload_max_uncompressed_bytes,
        max_compression_ratio=settings.upload_max_compression_ratio,
        max_zip_entries=settings.upload_max_zip_entries,
    )


def function_infos(session: Session) -> list[FunctionInfo]:
    return [FunctionInfo(f.key, f.label) for f in list_functions(session)]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _lock_footprint(session: Session, code: str) -> Footprint:
    """The footprint's write lock (as `footprints.service.lock_for_write`), taken by code before
    anything is read, so everything the import reads is what the concurrent uploads before it committed.

    On SQLite a transaction that has read and then wants to write fails at once if another writer
    committed in between; one that starts by writing waits for the lock (busy_timeout) instead.
    """
    result = session.execute(
        update(Footprint).where(Footprint.code == code).values(updated_at=Footprint.updated_at)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound("Footprint", code)
    return get_footprint(session, code)


def _cap(problems: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    return problems[:limit]


def _refuse(errors: list[dict[str, Any]], warnings: list[dict[str, Any]], cap: int) -> ProblemError:
    sheets_cells = f"{len(errors)} problem{'s' if len(errors) != 1 else ''}"
    shown = "" if len(errors) <= cap else f" (the first {cap} are listed)"
    return ProblemError(
        422,
        f"The workbook has {sheets_cells}{shown}; nothing was saved. Correct them and upload the file again.",
        errors=_cap(errors, cap),
        errors_total=len(errors),
        warnings=_cap(warnings, cap),
        kind="invalid-workbook",
    )


def import_upload(
    session: Session,
    footprint_code: str,
    file_name: str,
    data: bytes,
    *,
    uploaded_by: str = "",
    settings: Settings | None = None,
    overwrite: bool = False,
    may_see: Callable[[str], bool] = _everything,
) -> UploadReport:
    """Import one uploaded workbook into a footprint, or raise `ProblemError` having changed nothing.

    `may_see(footprint code)` says which other footprints the uploader may be told of (a token's grant):
    an organisation of any other footprint is only "not in this footprint".

    Everything happens inside a SAVEPOINT, so a refusal rolls back exactly this upload's work and
    leaves the rest of the caller's transaction (its audit entry, the record of the refusal) alone.
    """
    settings = settings or get_settings()
    with session.begin_nested(), _collector_paused():
        return _import(session, footprint_code, file_name, data, uploaded_by, settings, overwrite, may_see)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a workbook is imported.

    Reading 100,000 rows allocates about a million lists, tuples and values, none of them in a cycle;
    each allocation burst sets off collections that walk everything still alive, which cost about a
    fifth of an upload's CPU. Reference counting still frees everything as usual. The collector is
    switched back on only by whoever switched it off, so overlapping uploads never leave it off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import(
    session: Session,
    footprint_code: str,
    file_name: str,
    data: bytes,
    uploaded_by: str,
    settings: Settings,
    overwrite: bool = False,
    may_see: Callable[[str], bool] = _everything,
) -> UploadReport:
    footprint = _lock_footprint(session, footprint_code)  # 404 before any work
    functions = function_infos(session)
    inspection = guards.inspect(data, file_name, limits(settings))
    parsed = read_workbook(data, inspection, file_name, functions)
    errors = parsed.errors + _check_against_database(session, footprint, parsed, may_see)
    cap = settings.upload_max_reported_problems
    if errors:
        raise _refuse(_sorted(errors, parsed), parsed.warnings, cap)
    # A workbook exported before later changes is refused when it would put old figures back over
    # them (one that agrees with every later change, such as the same file uploaded twice, goes in).
    changed_since = changes_since_export(session, footprint, parsed) or []
    reverted = [c for c in changed_since if c["reverted"]]
    if reverted and not overwrite:
        raise _stale(footprint, parsed, changed_since, cap)

    digest = sha256(data)
    upload = Upload(
        footprint_id=footprint.id,
        file_name=file_name,
        sha256=digest,
        uploaded_by=uploaded_by,
        status="accepted",
        errors=[],
        warnings=_cap(parsed.warnings, cap),
    )
    session.add(upload)
    session.flush()
    organisations = _upsert_organisations(session, footprint, parsed.organisations)
    cost_lines = Counts()
    if parsed.cost_lines:
        counts = bulk_upsert(session, footprint, parsed.cost_lines, upload_id=upload.id)
        cost_lines = Counts(inserted=counts.inserted, updated=counts.updated, unchanged=counts.unchanged)

    rows_read = sum(s.rows_read for s in parsed.sheets.values())
    skipped = sum(s.skipped for s in parsed.sheets.values())
    inserted = organisations.inserted + cost_lines.inserted
    updated = organisations.updated + cost_lines.updated
    unchanged = organisations.unchanged + cost_lines.unchanged
    upload.rows_read, upload.rows_skipped = rows_read, skipped
    upload.rows_inserted, upload.rows_updated, upload.rows_unchanged = inserted, updated, unchanged
    session.flush()

    changed = inserted + updated > 0
    if changed:
        message = f"{inserted} row(s) inserted, {updated} updated, {unchanged} unchanged, {skipped} skipped."
    else:
        earlier = session.scalar(
            select(Upload.id)
            .where(
                Upload.footprint_id == footprint.id,
                Upload.sha256 == digest,
                Upload.status == "accepted",
                Upload.id != upload.id,
            )
            .order_by(Upload.id)
            .limit(1)
        )
        message = f"Nothing changed: every row is already in footprint {footprint.code} as this file says"
        message += f" (this same file was uploaded before as upload {earlier})." if earlier else "."
    return UploadReport(
        upload_id=upload.id,
        file_name=file_name,
        sha256=digest,
        status="accepted",
        changed=changed,
        message=message,
        rows_read=rows_read,
        inserted=inserted,
        updated=updated,
        unchanged=unchanged,
        skipped=skipped,
        organisations=organisations,
        cost_lines=cost_lines,
        sheets={
            name: SheetCounts(rows_read=s.rows_read, skipped=s.skipped) for name, s in parsed.sheets.items()
        },
        reverted=[Reversion(**{k: v for k, v in c.items() if k != "reverted"}) for c in reverted],
        warnings=[SheetProblem(**w) for w in _cap(parsed.warnings, cap)],
        created_at=upload.created_at,
    )


def _sorted(errors: list[dict[str, Any]], parsed: ParsedWorkbook) -> list[dict[str, Any]]:
    """File-level problems first, then by sheet (workbook order), row and column."""
    order = {name: i for i, name in enumerate(parsed.sheets)}

    def key(e: dict[str, Any]) -> tuple[int, int, int, int]:
        cell = e.get("cell") or ""
        letters = "".join(ch for ch in cell if ch.isalpha())
        digits = "".join(ch for ch in cell if ch.isdigit())
        column = 0
        for ch in letters:
            column = column * 26 + ord(ch) - 64
        sheet = e.get("sheet")
        return (
            0 if sheet is None else 1,
            order.get(sheet, len(order)) if sheet else 0,
            int(digits or 0),
            column,
        )

    return sorted(errors, key=key)


def _check_against_database(
    session: Session, footprint: Footprint, parsed: ParsedWorkbook, may_see: Callable[[str], bool]
) -> list[dict[str, Any]]:
    lines = parsed.cost_lines
    codes = {o.code for o in parsed.organisations} | set(lines.organisation)
    if not codes:
        return []
    homes: dict[str, str] = {}  # organisation code -> its footprint's code
    ids = list(codes)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Organisation.code, Footprint.code)
            .join(Footprint, Organisation.footprint_id == Footprint.id)
            .where(Organisation.code.in_(ids[start : start + 500]))
        )
        homes.update((org, home) for org, home in rows)
    errors: list[dict[str, Any]] = []
    on_sheet = set()
    for org in parsed.organisations:
        home = homes.get(org.code)
        if home is not None and home != footprint.code:
            message = (
                f"organisation {org.code} belongs to footprint {home}; "
                "an organisation is in one footprint only"
                if may_see(home)
                # a footprint the uploader was not granted is not named, as the API never names it
                else f"organisation {org.code} cannot be added to footprint {footprint.code}: "
                "its code is already used outside this footprint"
            )
            errors.append(
                problem(
                    org.location["sheet"], org.location["cell"], org.location["column"], org.code, message
                )
            )
        else:
            on_sheet.add(org.code)
    on_sheet |= parsed.refused_organisations
    here = {code for code in codes if code in on_sheet or homes.get(code) == footprint.code}
    if here == codes:
        return errors
    for index, code in enumerate(lines.organisation):
        if code in here:
            continue
        where = lines.location(index) or {}
        home = homes.get(code)
        if home is None:
            message = (
                f"organisation {code} is not in footprint {footprint.code}: add it on the Organisations sheet"
            )
        elif may_see(home):
            message = f"organisation {code} belongs to footprint {home}, not {footprint.code}"
        else:
            message = f"organisation {code} is not in footprint {footprint.code}"
        errors.append(problem(where.get("sheet"), where.get("cell"), where.get("column"), code, message))
    return errors


def _upsert_organisations(session: Session, footprint: Footprint, parsed: list[ParsedOrganisation]) -> Counts:
    counts = Counts()
    if not parsed:
        return counts
    existing = {
        o.code: o
        for o in session.scalars(select(Organisation).where(Organisation.footprint_id == footprint.id))
    }
    new: list[dict[str, Any]] = []
    for org in parsed:
        current = existing.get(org.code)
        groups = dict(current.compatibility_groups or {}) if current is not None else {}
        for key, group in org.groups.items():
            if group is None:
                groups.pop(key, None)
            else:
                groups[key] = group
        if current is None:
            new.append(
                {
                    "code": org.code,
                    "name": org.name,
                    "kind": org.kind,
                    "footprint_id": footprint.id,
                    "compatibility_groups": groups,
                }
            )
            counts.inserted += 1
        elif (current.name, str(current.kind), current.compatibility_groups or {}) != (
            org.name,
            org.kind,
            groups,
        ):
            current.name, current.kind, current.compatibility_groups = org.name, org.kind, groups  # type: ignore[assignment]
            counts.updated += 1
        else:
            counts.unchanged += 1
    session.flush()
    if new:
        # One bulk INSERT: a thousand new organisations as ORM objects cost more than the statement.
        session.execute(insert(Organisation), new)
    if counts.inserted or counts.updated:
        record_data_change(session, footprint)
    return counts


def record_refusal(
    session: Session,
    footprint_code: str,
    file_name: str,
    data: bytes | None,
    exc: ProblemError,
    uploaded_by: str = "",
) -> int | None:
    """Record a refused upload (its own work was rolled back by `import_upload`'s savepoint, so the
    footprint's data is untouched). Returns the upload id, or None when there is no such footprint."""
    footprint = session.scalar(select(Footprint).where(Footprint.code == footprint_code))
    if footprint is None:
        return None
    cap = get_settings().upload_max_reported_problems
    errors = exc.errors or [problem(None, None, None, None, exc.detail)]
    upload = Upload(
        footprint_id=footprint.id,
        file_name=file_name,
        sha256=sha256(data) if data is not None else "",
        uploaded_by=uploaded_by,
        status="refused",
        errors=_cap(errors, cap),
        warnings=_cap(list(exc.extra.get("warnings", [])), cap),
    )
    session.add(upload)
    session.flush()
    return upload.id


def list_uploads(
    session: Session, footprint: Footprint, *, limit: int = 100, cursor: str | None = None
) -> Page[UploadRead]:
    return keyset_page(
        session,
        select(Upload).where(Upload.footprint_id == footprint.id),
        Upload.id,
        limit=limit,
        cursor=cursor,
        item=UploadRead.model_validate,
    )


def latest_uploads(session: Session, footprint: Footprint, count: int) -> list[UploadRead]:
    """The footprint's most recent uploads, newest first."""
    query = select(Upload).where(Upload.footprint_id == footprint.id).order_by(Upload.id.desc()).limit(count)
    return [UploadRead.model_validate(u) for u in session.scalars(query)]


def get_upload(session: Session, footprint: Footprint, upload_id: int) -> UploadRead:
    upload = session.scalar(select(Upload).where(Upload.id == upload_id, Upload.footprint_id == footprint.id))
    if upload is None:
        raise NotFound("Upload", f"{upload_id} in footprint {footprint.code}")
    return UploadRead.model_validate(upload)


# --- writing -----------------------------------------------------------------------------------------


def _organisation_rows(session: Session, footprint: Footprint) -> list[OrganisationRow]:
    return [
        OrganisationRow(o.code, o.name, str(o.kind), dict(o.compatibility_groups or {}))
        for o in session.scalars(
            select(Organisation).where(Organisation.footprint_id == footprint.id).order_by(Organisation.code)
        )
    ]


def _pounds(pence: int) -> Decimal:
    return Decimal(pence).scaleb(-2)


def _cost_line_rows(session: Session, footprint: Footprint) -> Iterator[CostLineRow]:
    query = (
        select(
            Organisation.code,
            Organisation.name,
            CostLine.function_key,
            CostLine.financial_year,
            CostLine.pay_pence,
            CostLine.non_pay_pence,
            CostLine.wte,
        )
        .join(Organisation, CostLine.organisation_id == Organisation.id)
        .join(Function, CostLine.function_key == Function.key)
        .where(Organisation.footprint_id == footprint.id)
        .order_by(Organisation.code, Function.sort_order, CostLine.function_key, CostLine.financial_year)
        .execution_options(yield_per=5000)
    )
    for code, name, function, year, pay, non_pay, wte in session.execute(query):
        # pence -> pounds exactly: scaleb moves the decimal point (no division, no rounding)
        yield CostLineRow(
            code, name, function, year, _pounds(pay), _pounds(non_pay), Decimal(wte).quantize(PENNY)
        )


def write_template(session: Session, out: IO[bytes], footprint: Footprint | None = None) -> None:
    """The blank template, or one prefilled with a footprint's organisations."""
    functions = function_infos(session)
    organisations = _organisation_rows(session, footprint) if footprint is not None else []
    label = f"{footprint.code} {footprint.name}" if footprint is not None else None
    write_workbook(out, functions, footprint=label, organisations=organisations)


def export_cost_lines(session: Session, footprint: Footprint, out: IO[bytes]) -> int:
    """The footprint's organisations and cost lines in template form; importing it back changes nothing.
    Its ReadMe carries the footprint's data version and the time of the export (see _stale)."""
    return write_workbook(
        out,
        function_infos(session),
        footprint=f"{footprint.code} {footprint.name}",
        organisations=_organisation_rows(session, footprint),
        cost_lines=_cost_line_rows(session, footprint),
        data_version=(footprint.data_version, utcnow()),
    )


def _money(pence: int) -> str:
    return f"£{Decimal(pence).scaleb(-2):,.2f}"


def changes_since_export(
    session: Session, footprint: Footprint, parsed: ParsedWorkbook
) -> list[dict[str, Any]] | None:
    """None when the workbook is not an export older than the footprint's data; else every organisation
    and cost line changed since it was exported, each saying whether this upload would revert it (put
    the workbook's different figures back over the change)."""
    if parsed.data_version is None or parsed.data_version >= footprint.data_version:
        return None
    try:
        exported_at = datetime.fromisoformat(parsed.exported_at or "")
    except ValueError:
        exported_at = datetime.min.replace(tzinfo=UTC)
    if exported_at.tzinfo is None:
        exported_at = exported_at.replace(tzinfo=UTC)
    in_file = {
        (code, function, year): (pay, non_pay, wte)
        for code, function, year, pay, non_pay, wte in zip(
            parsed.cost_lines.organisation,
            parsed.cost_lines.function,
            parsed.cost_lines.financial_year,
            parsed.cost_lines.pay_pence,
            parsed.cost_lines.non_pay_pence,
            parsed.cost_lines.wte,
            strict=True,
        )
    }
    changes: list[dict[str, Any]] = []
    for code, function, year, pay, non_pay, wte, at in session.execute(
        select(
            Organisation.code,
            CostLine.function_key,
            CostLine.financial_year,
            CostLine.pay_pence,
            CostLine.non_pay_pence,
            CostLine.wte,
            CostLine.updated_at,
        )
        .join(Organisation, CostLine.organisation_id == Organisation.id)
        .where(Organisation.footprint_id == footprint.id, CostLine.updated_at > exported_at)
        .order_by(Organisation.code, CostLine.function_key, CostLine.financial_year)
    ):
        now = f"pay {_money(pay)}, non-pay {_money(non_pay)}, WTE {Decimal(wte):.2f}"
        theirs = in_file.get((code, function, year))
        reverted = theirs is not None and theirs != (pay, non_pay, Decimal(wte).quantize(PENNY))
        file_has = (
            f"pay {_money(theirs[0])}, non-pay {_money(theirs[1])}, WTE {theirs[2]:.2f}"
            if theirs is not None
            else None
        )
        changes.append(
            {
                "organisation": code,
                "function": function,
                "financial_year": year,
                "changed_at": at,
                "now": now,
                "in_file": file_has,
                "reverted": reverted,
            }
        )
    names = {o.code: (o.name, str(o.kind)) for o in parsed.organisations}
    for organisation in session.scalars(
        select(Organisation)
        .where(Organisation.footprint_id == footprint.id, Organisation.updated_at > exported_at)
        .order_by(Organisation.code)
    ):
        theirs_org = names.get(organisation.code)
        now = f"{organisation.name} ({organisation.kind})"
        changes.append(
            {
                "organisation": organisation.code,
                "function": None,
                "financial_year": None,
                "changed_at": organisation.updated_at,
                "now": now,
                "in_file": None if theirs_org is None else f"{theirs_org[0]} ({theirs_org[1]})",
                "reverted": theirs_org is not None
                and theirs_org != (organisation.name, str(organisation.kind)),
            }
        )
    return changes


def _what(change: dict[str, Any]) -> str:
    if change["function"] is None:
        return f"organisation {change['organisation']}"
    return f"{change['organisation']} {change['function']} {change['financial_year']}"


def _stale(
    footprint: Footprint, parsed: ParsedWorkbook, changes: list[dict[str, Any]], cap: int
) -> ProblemError:
    listed = ", ".join(_what(c) for c in changes[:10]) + (
        f" and {len(changes) - 10} more" if len(changes) > 10 else ""
    )
    since = f" ({len(changes)} line(s) changed: {listed})" if changes else " (lines were deleted)"
    detail = (
        f"This workbook was exported from footprint {footprint.code} at data version {parsed.data_version}"
        f"{' on ' + parsed.exported_at if parsed.exported_at else ''}; the data has changed since "
        f"(it is now at version {footprint.data_version}){since}. Nothing was saved. Export the "
        "footprint again and make your edits on the new file, or upload this file with ?overwrite=true "
        "to put its figures back over those changes (the report then lists every line it reverted)."
    )
    errors = [
        {
            "sheet": None,
            "cell": None,
            "column": None,
            "value": _what(c),
            "message": f"{_what(c)} changed on {c['changed_at']:%d %B %Y %H:%M:%S} UTC: now {c['now']}"
            + (
                f"; this file would put back {c['in_file']}"
                if c["reverted"]
                else "; this file leaves it as it is"
            ),
        }
        for c in changes
    ]
    return ProblemError(
        409,
        detail,
        errors=_cap(errors, cap),
        errors_total=len(errors),
        data_version=footprint.data_version,
        workbook_data_version=parsed.data_version,
        kind="stale-workbook",
    )

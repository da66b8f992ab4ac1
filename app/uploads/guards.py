"""Checks made on an uploaded file's bytes BEFORE any spreadsheet parser sees them.

- size: more than `upload_max_bytes` -> 413;
- type: the content must be an Excel 2007+ workbook (.xlsx/.xlsm), an Excel 97-2003 workbook (.xls) or an
  OpenDocument spreadsheet (.ods), whatever the file is called -> otherwise 415;
- zip bombs (.xlsx/.xlsm/.ods are zip archives): the zip directory's total uncompressed size, number of
  entries and each entry's compression ratio are checked before anything is decompressed (413/422), then
  every entry is streamed once with the sizes enforced, so a directory that lies is caught too;
- XML entity tricks: any XML part with a DOCTYPE or ENTITY declaration is refused (422); no part of a
  spreadsheet needs one, and they are how "billion laughs" and external-entity attacks work;
- macros are noted (they are never run: nothing here executes anything) and reported as a warning.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from enum import StrEnum

from app.core.errors import ProblemError

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_CHUNK = 1 << 20
_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")
_DECLARATIONS_UTF16 = tuple(
    d.decode().encode(codec) for d in _DECLARATIONS for codec in ("utf-16-le", "utf-16-be")
)
_FORMULA_MARKS = (b"<f>", b"<f ", b"<f/>")
# Both questions about a worksheet in one pass over its XML (the biggest part by far): five separate
# substring searches cost twice the decompression itself.
_DECLARATION_OR_FORMULA = re.compile(rb"<(?:!DOCTYPE|!ENTITY|f(?:>| |/>))")
_BINARY_SUFFIXES = (".bin", ".png", ".jpeg", ".jpg", ".gif", ".emf", ".wmf", ".tif", ".tiff", ".bmp")


class FileKind(StrEnum):
    XLSX = "xlsx"  # also .xlsm: the same container, with a macro part that is ignored
    XLS = "xls"
    ODS = "ods"


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 25 * 1024 * 1024
    max_uncompressed_bytes: int = 500 * 1024 * 1024
    max_compression_ratio: int = 200
    max_zip_entries: int = 10_000


@dataclass
class Inspection:
    kind: FileKind
    has_macros: bool = False
    # zip member names of worksheets that contain formulas (their cached values are checked later)
    parts_with_formulas: set[str] = field(default_factory=set)


def too_large(size: int, limit: int) -> ProblemError:
    return ProblemError(
        413,
        f"The file is larger than the upload limit of {_mb(limit)} (STP_UPLOAD_MAX_BYTES); "
        "split it into smaller files or ask an administrator to raise the limit.",
        errors=[{"sheet": None, "cell": None, "column": None, "value": size, "message": "file too large"}],
    )


def not_a_spreadsheet(file_name: str, why: str) -> ProblemError:
    return ProblemError(
        415,
        f"{file_name or 'The file'} is not a spreadsheet this service reads ({why}). "
        "Upload an Excel workbook (.xlsx, .xlsm, .xls) or an OpenDocument spreadsheet (.ods).",
        errors=[{"sheet": None, "cell": None, "column": None, "value": file_name, "message": why}],
        kind="not-a-spreadsheet",
    )


def _refuse(detail: str, message: str, value: object = None, status: int = 422) -> ProblemError:
    return ProblemError(
        status,
        detail,
        errors=[{"sheet": None, "cell": None, "column": None, "value": value, "message": message}],
        kind="not-a-spreadsheet" if status == 422 else None,
    )


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def inspect(data: bytes, file_name: str, limits: Limits) -> Inspection:
    """Refuse what must not be parsed; otherwise say what kind of spreadsheet this is."""
    if len(data) > limits.max_bytes:
        raise too_large(len(data), limits.max_bytes)
    if not data:
        raise not_a_spreadsheet(file_name, "the file is empty")
    if data.startswith(OLE2_MAGIC):
        # An Excel 97-2003 workbook (or another OLE2 document, e.g. a .doc or a password-protected
        # .xlsx: the parser tells those apart and they are refused then). BIFF has no XML to attack.
        return Inspection(FileKind.XLS)
    if not data.startswith(ZIP_MAGIC):
        head = data[:512].lstrip().lower()
        if head.startswith((b"<?xml", b"<html", b"<!doctype", b"<table")):
            why = "it is an XML or HTML document, not a workbook"
        elif b"," in head or b"\t" in head:
            why = "it looks like CSV or plain text; save it as .xlsx"
        else:
            why = "its content is neither an Excel nor an OpenDocument workbook"
        raise not_a_spreadsheet(file_name, why)
    return _inspect_zip(data, file_name, limits)


def _inspect_zip(data: bytes, file_name: str, limits: Limits) -> Inspection:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise not_a_spreadsheet(file_name, "it is a damaged or incomplete zip archive") from exc
    with archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        _check_directory(infos, limits)
        if "xl/workbook.xml" in names:
            kind = FileKind.XLSX
        elif "mimetype" in names and archive.read("mimetype").strip() == ODS_MIMETYPE:
            kind = FileKind.ODS
        elif "xl/workbook.bin" in names:
            raise not_a_spreadsheet(file_name, "it is a binary .xlsb workbook; save it as .xlsx")
        elif "word/document.xml" in names or "ppt/presentation.xml" in names:
            raise not_a_spreadsheet(file_name, "it is a Word or PowerPoint document")
        else:
            raise not_a_spreadsheet(file_name, "it is a zip archive but not a workbook")
        inspection = Inspection(kind)
        for info in infos:
            lower = info.filename.lower()
            if lower.endswith("vbaproject.bin") or lower.startswith("basic/"):
                inspection.has_macros = True
            _scan_member(archive, info, inspection, limits)
    return inspection


def _check_directory(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Zip-bomb checks on what the archive's directory declares, before decompressing anything."""
    if len(infos) > limits.max_zip_entries:
        raise _refuse(
            f"The workbook has {len(infos)} parts; more than {limits.max_zip_entries} is not a spreadsheet "
            "a finance team makes (zip bomb guard).",
            "too many parts in the archive",
            len(infos),
        )
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed_bytes:
        raise _refuse(
            f"The workbook would unpack to {_mb(total)}, more than the limit of "
            f"{_mb(limits.max_uncompressed_bytes)} (zip bomb guard, STP_UPLOAD_MAX_UNCOMPRESSED_BYTES).",
            "unpacks to too much data",
            total,
            status=413,
        )
    for info in infos:
        if info.file_size > 1024 * 1024 and info.file_size > limits.max_compression_ratio * max(
            info.compress_size, 1
        ):
            ratio = info.file_size / max(info.compress_size, 1)
            raise _refuse(
                f"Part {info.filename} of the workbook is compressed {ratio:.0f} to 1, more than the "
                f"{limits.max_compression_ratio} to 1 a real spreadsheet reaches (zip bomb guard, "
                "STP_UPLOAD_MAX_COMPRESSION_RATIO).",
                "suspicious compression ratio",
                info.filename,
            )


def _marks(window: bytes, utf16: bool, formulas: bool) -> tuple[bool, bool]:
    """(a DOCTYPE/ENTITY declaration is in the window, a formula is), the latter only if asked."""
    if utf16:
        declared = any(mark in window for mark in _DECLARATIONS_UTF16)
        return declared, formulas and any(mark in window for mark in _FORMULA_MARKS)
    if not formulas:
        return any(mark in window for mark in _DECLARATIONS), False
    found = _DECLARATION_OR_FORMULA.search(window)
    if found is None:
        return False, False
    if found[0].startswith(b"<!"):
        return True, False
    return any(mark in window for mark in _DECLARATIONS), True


def _scan_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, inspection: Inspection, limits: Limits
) -> None:
    """Stream one part: enforce its declared size (CRC) and refuse DOCTYPE/ENTITY declarations."""
    lower = info.filename.lower()
    is_xml = not lower.endswith(_BINARY_SUFFIXES) and not lower.startswith(("xl/media/", "pictures/"))
    is_sheet = lower.startswith("xl/worksheets/") and lower.endswith(".xml")
    tail = b""
    utf16 = False
    seen = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                seen += len(chunk)
                if seen > info.file_size or seen > limits.max_uncompressed_bytes:
                    raise _refuse(
                        f"Part {info.filename} unpacks to more than its directory says (zip bomb guard).",
                        "part larger than declared",
                        info.filename,
                    )
                if not is_xml:
                    continue
                window = tail + chunk
                if seen == len(chunk):  # the first chunk: UTF-16 by its byte-order mark or its zero bytes
                    utf16 = window[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in window[:2]
                formulas = is_sheet and info.filename not in inspection.parts_with_formulas
                declared, formula = _marks(window, utf16, formulas)
                if declared:
                    raise _refuse(
                        f"Part {info.filename} of the workbook declares a DOCTYPE or XML entities. "
                        "Spreadsheets never need them and they are used for XML entity attacks, so the file "
                        "is refused; save it again from Excel or LibreOffice.",
                        "XML DOCTYPE/ENTITY declaration refused",
                        info.filename,
                    )
                if formula:
                    inspection.parts_with_formulas.add(info.filename)
                tail = window[-32:]
    except zipfile.BadZipFile as exc:
        raise _refuse(
            f"Part {info.filename} of the workbook is damaged ({exc}).", "damaged archive", info.filename
        ) from exc
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, OSError) as exc:
        raise _refuse(
            f"Part {info.filename} of the workbook cannot be read ({exc}).", "unreadable part", info.filename
        ) from exc

"""Reading and writing .xlsx and .csv tables (no Flask, no database).

Reading is defensive: the content decides what a file is, not its name; a file that is
not really a spreadsheet, a zip bomb, formulas and oversized cells are refused with a
reason key; hidden sheets are skipped and named.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format


class SpreadsheetError(ValueError):
    """The upload is not a readable spreadsheet; ``reason`` is a stable key."""

    def __init__(self, reason: str, **params):
        super().__init__(reason)
        self.reason = reason
        self.params = params


#: Largest total the parts of an .xlsx may unpack to, and the largest unpacking ratio
#: (a zip bomb unpacks kilobytes into gigabytes).
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_UNPACK_RATIO = 150
#: Longest text one cell may hold.
MAX_CELL_CHARS = 20_000


@dataclass
class Sheet:
    title: str
    #: (row number as Excel shows it, cell texts) for each non-empty row.
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    #: Hidden sheets are read but callers skip them (and say so).
    hidden: bool = False
    #: Merged ranges (e.g. "A2:A5"): every cell but the first of each reads empty.
    merged: list[str] = field(default_factory=list)


def cell_text(value) -> str:
    """A cell as the text a person sees in it (dates ISO, whole floats without '.0')."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_spreadsheet(filename: str, data: bytes, max_rows: int = 20000) -> list[Sheet]:
    """Read every sheet of an .xlsx file, or the one table of a .csv file."""
    if not data:
        raise SpreadsheetError("empty")
    if data.startswith(OLE_MAGIC):
        raise SpreadsheetError("old_xls")
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data, max_rows)
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise SpreadsheetError("not_spreadsheet")
    return [_read_csv(data, max_rows)]


def check_zip(data: bytes) -> zipfile.ZipFile:
    """Open the .xlsx container, refusing what would unpack into something huge."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise SpreadsheetError("not_spreadsheet") from exc
    unpacked = sum(info.file_size for info in archive.infolist())
    suspicious = unpacked > 20 * 1024 * 1024 and unpacked > MAX_UNPACK_RATIO * len(data)
    if unpacked > MAX_UNPACKED_BYTES or suspicious:
        raise SpreadsheetError("zip_bomb")
    return archive


def _merged_ranges(archive: zipfile.ZipFile, path: str | None) -> list[str]:
    if not path:
        return []
    try:
        xml = archive.read(path.lstrip("/"))
    except KeyError:
        return []
    return [m.decode() for m in re.findall(rb'<mergeCell ref="([A-Z0-9:]+)"', xml)]


def _read_xlsx(data: bytes, max_rows: int) -> list[Sheet]:
    archive = check_zip(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise SpreadsheetError("not_spreadsheet") from exc
    sheets = []
    try:
        for ws in workbook.worksheets:
            sheet = Sheet(
                ws.title,
                hidden=ws.sheet_state != "visible",
                merged=_merged_ranges(archive, getattr(ws, "_worksheet_path", None)),
            )
            for number, cells in enumerate(ws.iter_rows(), start=1):
                texts = []
                for cell in cells:
                    if getattr(cell, "data_type", None) == "f":
                        raise SpreadsheetError("formula", sheet=ws.title, cell=cell.coordinate)
                    text = cell_text(cell.value)
                    if len(text) > MAX_CELL_CHARS:
                        raise SpreadsheetError(
                            "cell_too_long",
                            sheet=ws.title,
                            cell=cell.coordinate,
                            limit=MAX_CELL_CHARS,
                        )
                    texts.append(text)
                if any(texts):
                    if len(sheet.rows) >= max_rows:
                        raise SpreadsheetError("too_many_rows", limit=max_rows)
                    sheet.rows.append((number, texts))
            sheets.append(sheet)
    except SpreadsheetError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise SpreadsheetError("not_spreadsheet") from exc
    finally:
        workbook.close()
    return sheets


def decode_text(data: bytes) -> str:
    """Decode a CSV file: UTF-8 (with or without BOM), else GB18030 as Excel saves it in China."""
    if b"\x00" in data[:4096]:
        raise SpreadsheetError("not_spreadsheet")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError("encoding")


def _read_csv(data: bytes, max_rows: int) -> Sheet:
    text = decode_text(data)
    sheet = Sheet("csv")
    try:
        for number, values in enumerate(csv.reader(io.StringIO(text)), start=1):
            texts = [v.strip() for v in values]
            if any(len(t) > MAX_CELL_CHARS for t in texts):
                raise SpreadsheetError(
                    "cell_too_long", sheet="csv", cell=f"row {number}", limit=MAX_CELL_CHARS
                )
            if any(texts):
                if len(sheet.rows) >= max_rows:
                    raise SpreadsheetError("too_many_rows", limit=max_rows)
                sheet.rows.append((number, texts))
    except csv.Error as exc:
        raise SpreadsheetError("not_spreadsheet") from exc
    if not sheet.rows:
        raise SpreadsheetError("empty")
    return sheet


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list]
    #: Column widths in characters (optional).
    widths: list[int] = field(default_factory=list)
    #: Lines of guidance written above nothing: a separate notes sheet when given.
    notes: list[str] = field(default_factory=list)
    #: 0-based indices of columns to format as text (identifiers).
    text_columns: list[int] = field(default_factory=list)
    #: How many empty rows below the header get the text format too (templates).
    text_rows: int = 0
    #: Lines written above the header (a report's title, the issuer, the date, the filters);
    #: the first is set large and bold.
    captions: list[str] = field(default_factory=list)
    #: Number formats by 0-based column, e.g. ``{3: PERCENT, 4: DECIMAL}``. A ``PERCENT``
    #: column holds fractions: 0.925 shows as 92.5%.
    number_formats: dict[int, str] = field(default_factory=dict)


#: Number formats for ``Table.number_formats``.
PERCENT = "0.0%"
DECIMAL = "0.0"
INTEGER = "#,##0"

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
# --- formula injection: the one policy, for what is typed in and for what is written out ----

#: Text starting with one of these is a formula (or becomes one) to a spreadsheet program
#: (OWASP, "CSV injection"). Free text that ends up in exports is refused at input when it
#: starts with one (``looks_like_formula``); every .xlsx and .csv written here neutralises
#: such text all the same, for data entered before the rule or by another way in.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: object) -> bool:
    """Whether ``value`` is text a spreadsheet would read as a formula. Numbers are not:
    a negative number written as a number is only a number."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value):
    """A value for a CSV cell: formula-like text behind an apostrophe, which spreadsheet
    programs read as "this is text" (CSV has no cell types); anything else as it is."""
    return "'" + value if looks_like_formula(value) else value


def _text_cell(cell) -> None:
    """Keep a worksheet cell holding formula-like text as text: a string (not a formula)
    carrying Excel's quote prefix, the mark Excel itself sets when one types an apostrophe
    first, so the text shows exactly as written and stays text when the cell is edited."""
    if looks_like_formula(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True


def _printable(value):
    """Text without the control characters a worksheet cannot hold (an imported name may carry
    one): each becomes a space."""
    return ILLEGAL_CHARACTERS_RE.sub(" ", value) if isinstance(value, str) else value


def write_xlsx(tables: list[Table]) -> bytes:
    """Write tables as sheets of one workbook: captions above, headers bold, columns sized and
    formatted, the header row frozen."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        ws = workbook.create_sheet(table.title)
        if table.notes:
            for number, line in enumerate(table.notes, start=1):
                ws.append([_printable(line)])
                _text_cell(ws.cell(row=number, column=1))
            ws.column_dimensions["A"].width = 100
            continue
        _write_captions(ws, table)
        header_row = len(table.captions) + (1 if table.captions else 0) + 1
        ws.append([_printable(header) for header in table.headers])
        for cell in ws[header_row]:
            _text_cell(cell)
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(vertical="center")
        for row_number, row in enumerate(table.rows, start=header_row + 1):
            ws.append([_printable(value) for value in row])
            for cell in ws[row_number]:
                _text_cell(cell)  # no formula injection, whatever the text holds

        for index, header in enumerate(table.headers, start=1):
            width = (
                table.widths[index - 1]
                if index <= len(table.widths)
                else max(10, len(header) * 2 + 4)
            )
            ws.column_dimensions[get_column_letter(index)].width = width
        last_row = max(header_row + len(table.rows), header_row + table.text_rows)
        # Identifier columns are formatted as text, or Excel turns an ID number into 3.7E+17.
        for index in table.text_columns:
            for row_number in range(header_row + 1, last_row + 1):
                ws.cell(row=row_number, column=index + 1).number_format = "@"
        for index, number_format in table.number_formats.items():
            for row_number in range(header_row + 1, header_row + len(table.rows) + 1):
                ws.cell(row=row_number, column=index + 1).number_format = number_format
        ws.freeze_panes = f"A{header_row + 1}"
        if table.captions:
            # A report prints with its header on every page, as wide as the paper.
            ws.print_title_rows = f"{header_row}:{header_row}"
            ws.page_setup.fitToWidth = 1
            ws.page_setup.fitToHeight = 0
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            if table.headers and table.rows:
                ws.auto_filter.ref = (
                    f"A{header_row}:{get_column_letter(len(table.headers))}"
                    f"{header_row + len(table.rows)}"
                )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _write_captions(ws, table: Table) -> None:
    """The caption lines, each merged across the table's width, then one empty row."""
    span = max(1, len(table.headers))
    for number, line in enumerate(table.captions, start=1):
        ws.append([_printable(line)])
        cell = ws.cell(row=number, column=1)
        cell.data_type = "s"  # a caption is text, even one starting with '='
        _text_cell(cell)
        cell.font = Font(bold=True, size=14) if number == 1 else Font(size=10, color="555555")
        cell.alignment = Alignment(
            horizontal="center" if number == 1 else "left", vertical="center"
        )
        if span > 1:
            ws.merge_cells(start_row=number, start_column=1, end_row=number, end_column=span)
    if table.captions:
        ws.row_dimensions[1].height = 24
        ws.append([])


def write_csv(table: Table) -> bytes:
    """Write a table as UTF-8 CSV with a BOM, which Excel opens correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(v) for v in table.headers])
    writer.writerows([csv_cell(v) for v in row] for row in table.rows)
    return out.getvalue().encode("utf-8-sig")

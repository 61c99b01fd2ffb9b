"""The spreadsheet peer of the tests: openpyxl, xlwt and odfpy write the workbooks iterable
must read, and openpyxl reads an xlsx as IterableData does (`iter_rows(values_only=True)`).

    spreadsheet_peer.py write DIR          write the peer's workbooks into DIR
    spreadsheet_peer.py kit DIR            write the format kit's workbooks (tests/data) into DIR
    spreadsheet_peer.py same-as-jsonl X J  the xlsx X's first sheet (as openpyxl reads it) is
                                           the JSON Lines J, by iterable's rules: the first
                                           row the names, every column in every record, whole
                                           numbers as integers, error cells null, rows of
                                           nothing but empty cells left out
    spreadsheet_peer.py dump X             the xlsx X as openpyxl finds it, as JSON on stdout:
                                           its sheets' names, and the first sheet's rows,
                                           each cell [type, value, number format] (null for
                                           an empty cell)

Exits 1 with the first difference on stderr when a check fails.
"""

import datetime
import decimal
import json

import jsonl_check
import openpyxl
import xlwt
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P

HEADER = ["id", "name", "score", "ok", "day", "at", "clock", "note"]


def rows(n):
    out = []
    for i in range(n):
        out.append([
            i,
            f"name {i} é",
            i / 4 if i % 3 else None,
            i % 2 == 0,
            datetime.date(2024, 1, 31) + datetime.timedelta(days=i),
            datetime.datetime(2024, 1, 31, 13, 45, 0, 250000) + datetime.timedelta(hours=i),
            datetime.time(13, 45, i % 60),
            None,
        ])
    return out


def write_xlsx(path, n):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "people"
    sheet.append(HEADER)
    for row in rows(n):
        sheet.append(row)
    # An error cell, and a row of nothing but empty cells between the records.
    sheet.cell(row=3, column=8).value = "#N/A"
    sheet.cell(row=3, column=8).data_type = "e"
    sheet.insert_rows(5)
    other = book.create_sheet("notes")
    other.append(["a", None, "a"])
    other.append([1, 2, 3, 4])
    # The header on row 3, below a title; a header cell missing.
    titled = book.create_sheet("titled")
    titled.append(["Report"])
    titled.append([])
    titled.append(["x", None, "z"])
    titled.append([1, 2, 3])
    book.save(path)


def write_xls(path, n=5, broken=False):
    """`n` rows; when `broken`, an error cell (#DIV/0!) in the sixth column of the fifth row."""
    book = xlwt.Workbook()
    sheet = book.add_sheet("people")
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for column, name in enumerate(["id", "name", "score", "ok", "day"] + (["note"] if broken else [])):
        sheet.write(0, column, name)
    for i in range(n):
        sheet.write(i + 1, 0, i)
        sheet.write(i + 1, 1, f"name {i}")
        sheet.write(i + 1, 2, i / 4)
        sheet.write(i + 1, 3, i % 2 == 0)
        sheet.write(i + 1, 4, datetime.date(2024, 1, 31) + datetime.timedelta(days=i), dates)
    if broken:
        sheet.row(4).set_cell_error(5, "#DIV/0!")
    book.save(path)


def write_ods(path, n=5):
    book = OpenDocumentSpreadsheet()
    table = Table(name="people")
    def row(cells):
        out = TableRow()
        for value in cells:
            if isinstance(value, bool):
                cell = TableCell(valuetype="boolean", booleanvalue=str(value).lower())
            elif isinstance(value, (int, float)):
                cell = TableCell(valuetype="float", value=value)
            elif isinstance(value, datetime.date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
            else:
                cell = TableCell(valuetype="string")
            cell.addElement(P(text=str(value)))
            out.addElement(cell)
        table.addElement(out)
    row(["id", "name", "score", "ok", "day"])
    for i in range(n):
        row([i, f"name {i}", i / 4, i % 2 == 0, datetime.date(2024, 1, 31) + datetime.timedelta(days=i)])
    book.spreadsheet.addElement(table)
    book.save(path)


def write_far_apart(path):
    """Two cells at the corners of a sheet: a used range of 17 billion cells."""
    book = openpyxl.Workbook()
    book.active["A1"] = "a"
    book.active["XFD1048576"] = "z"
    book.save(path)


def write_two_sheets(path):
    """A small sheet, then a big one: reading the first needs little of the file."""
    book = openpyxl.Workbook()
    small = book.active
    small.title = "small"
    small.append(["id", "name"])
    for i in range(10):
        small.append([i, f"name {i}"])
    big = book.create_sheet("big")
    big.append(["id", "text"])
    for i in range(20000):
        big.append([i, f"a longer text {i} " * 3])
    book.save(path)


def write(directory):
    write_xlsx(f"{directory}/people.xlsx", 40)
    write_two_sheets(f"{directory}/two-sheets.xlsx")
    write_far_apart(f"{directory}/far-apart.xlsx")
    write_xls(f"{directory}/people.xls")
    write_ods(f"{directory}/people.ods")


def kit(directory):
    """The kit's xlsx: every type a cell has, in a few rows; the bad one has an error cell in
    its fifth row (an error with `-o cell_errors=error`, the rows after it still read)."""
    for name, broken in [("kit.xlsx", False), ("kit-bad.xlsx", True)]:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(HEADER)
        for row in rows(6):
            sheet.append(row)
        if broken:
            sheet.cell(row=5, column=8).value = "#DIV/0!"
            sheet.cell(row=5, column=8).data_type = "e"
        book.save(f"{directory}/{name}")
    # xls: the same, its error cell written by xlwt.
    for name, broken in [("kit.xls", False), ("kit-bad.xls", True)]:
        write_xls(f"{directory}/{name}", 6, broken)
    # ods: the bad one cut short (calamine reads a sheet whole, so it fails whole: LibreOffice's
    # error cells read as their text, `#N/A`).
    write_ods(f"{directory}/kit.ods", 6)
    data = open(f"{directory}/kit.ods", "rb").read()
    open(f"{directory}/kit-bad.ods", "wb").write(data[: len(data) // 2])


def text_of(value):
    """A cell's value as iterable writes it in JSON."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        if float(value).is_integer() and abs(value) < 2**53:
            return int(value)
        return decimal.Decimal(repr(float(value)))
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        fraction = f".{value.microsecond // 1000:03d}".rstrip("0") if value.microsecond else ""
        return value.strftime("%Y-%m-%dT%H:%M:%S") + fraction.rstrip(".")
    if isinstance(value, datetime.time):
        fraction = f".{value.microsecond // 1000:03d}".rstrip("0") if value.microsecond else ""
        return value.strftime("%H:%M:%S") + fraction.rstrip(".")
    if isinstance(value, str) and value.startswith("#"):
        return None  # an error cell
    return value


def same_as_jsonl(path, jsonl):
    sheet = openpyxl.load_workbook(path, read_only=True, data_only=True).worksheets[0]
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    width = max(len(row) for row in table)
    header, body = table[0], table[1:]
    names = [str(name) if name is not None else f"column_{i + 1}" for i, name in enumerate(header)]
    names += [f"column_{i + 1}" for i in range(len(names), width)]
    expected = []
    for row in body:
        row = row + [None] * (width - len(row))
        if all(cell is None for cell in row):
            continue
        expected.append({name: text_of(cell) for name, cell in zip(names, row)})
    jsonl_check.same_as_jsonl(expected, jsonl, "openpyxl")


def dump(path):
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    rows = []
    for row in sheet.iter_rows():
        cells = []
        for cell in row:
            if cell.value is None:
                cells.append(None)
            else:
                value = cell.value
                if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
                    value = value.isoformat()
                cells.append([type(cell.value).__name__, value, cell.number_format])
        rows.append(cells)
    print(json.dumps({"sheets": book.sheetnames, "rows": rows}))


if __name__ == "__main__":
    jsonl_check.main({"write": write, "kit": kit, "same-as-jsonl": same_as_jsonl,
                      "dump": dump})

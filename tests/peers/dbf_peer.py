"""The DBF peer of the tests: the `dbf` package writes the tables iterable must read (dBase III
with a .dbt memo file, Visual FoxPro with a .fpt one, a cp1251 table), and reads them back.

    dbf_peer.py write DIR           write the peer's tables into DIR
    dbf_peer.py kit DIR             write the format kit's tables (tests/data) into DIR
    dbf_peer.py same-as-jsonl D J   the table D (as dbf reads it, deleted records left out)
                                    is the JSON Lines J, by iterable's rules: text trimmed
                                    (blank text null), numbers by the field's decimals,
                                    dates and date-times in ISO 8601

Exits 1 with the first difference on stderr when a check fails.
"""

import datetime
import decimal

import dbf
import jsonl_check

NAMES = ["Ada", "Grace", "Алан", "Edsger", "Barbara", "Donald", "Frances", "Ken"]


def people(path, n, dbf_type="db3", codepage="cp1252"):
    """A table of `n` rows with a memo field; every seventh deleted; the ninth row blank."""
    table = dbf.Table(path, "name C(20); age N(3,0); score N(10,3); born D; ok L; notes M",
                      dbf_type=dbf_type, codepage=codepage)
    table.open(dbf.READ_WRITE)
    for i in range(n):
        if i == 8:
            table.append(("", None, None, None, None, ""))
            continue
        name = NAMES[i % 8] if codepage != "cp1252" or i % 8 != 2 else "Alan"
        table.append((name, i % 100, i / 8 - 3, datetime.date(1990, 1, 1) + datetime.timedelta(days=i),
                       i % 3 == 0, f"memo {i} " + "x" * (i % 600)))
    for i in range(0, n, 7):
        dbf.delete(table[i])
    table.close()


def fox(path, n):
    table = dbf.Table(path, "id I; price Y; at T; ratio B; weight F(12,4); memo M", dbf_type="vfp")
    table.open(dbf.READ_WRITE)
    for i in range(n):
        table.append((i, decimal.Decimal(i) / 7 if i % 5 else decimal.Decimal("-12.3456"),
                      datetime.datetime(2024, 1, 31, 13, 45, 0) + datetime.timedelta(hours=i),
                      i / 3, i * 1.25, f"fox memo {i}"))
    table.close()


def write(directory):
    people(f"{directory}/people.dbf", 5000)
    people(f"{directory}/cyrillic.dbf", 20, codepage="cp1251")
    fox(f"{directory}/fox.dbf", 30)


def kit(directory):
    """The kit's table: no memo field (the kit copies one file); the bad one has letters in
    a number of its third record."""
    path = f"{directory}/kit.dbf"
    table = dbf.Table(path, "name C(12); n N(6,0); x N(8,2); day D; ok L", dbf_type="db3")
    table.open(dbf.READ_WRITE)
    for i in range(8):
        table.append((NAMES[i] if i != 2 else "Alan", i * 11, i / 4, datetime.date(2024, 1, i + 1),
                      i % 2 == 0))
    table.close()
    data = bytearray(open(path, "rb").read())
    header = int.from_bytes(data[8:10], "little")
    size = int.from_bytes(data[10:12], "little")
    # The third record's `n`: after its deletion flag and the 12 bytes of `name`.
    at = header + 2 * size + 1 + 12
    data[at:at + 6] = b"  abc "
    open(f"{directory}/kit-bad.dbf", "wb").write(bytes(data))


def value_of(table, name, value):
    info = table.field_info(name)
    kind, decimals = chr(info.field_type), info.decimal
    if value is None:
        return None
    if isinstance(value, str) and kind == "M":
        return value
    if isinstance(value, str):
        value = value.rstrip()
        return value or None
    if isinstance(value, bool):
        return value
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if kind == "Y":
        return decimal.Decimal(value).quantize(decimal.Decimal("0.0001"))
    if kind == "B":
        return decimal.Decimal(repr(float(value)))
    if kind in "NF" and decimals:
        return decimal.Decimal(f"{value:.{decimals}f}")
    if kind in "NF":
        return int(value)
    return value


def same_as_jsonl(path, jsonl):
    table = dbf.Table(path)
    table.open()
    names = table.field_names
    expected = [
        {name.upper(): value_of(table, name, record[name]) for name in names}
        for record in table
        if not dbf.is_deleted(record)
    ]
    table.close()
    jsonl_check.same_as_jsonl(expected, jsonl, "dbf")


if __name__ == "__main__":
    jsonl_check.main({"write": write, "kit": kit, "same-as-jsonl": same_as_jsonl})

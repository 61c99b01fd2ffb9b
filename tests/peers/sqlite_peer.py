"""The SQLite peer of the tests: Python's sqlite3 writes the databases iterable must read, and
reads them as IterableData does (a cursor over `SELECT *`).

    sqlite_peer.py write DIR            write the peer's databases into DIR
    sqlite_peer.py kit DIR              write the format kit's databases (tests/data) into DIR
    sqlite_peer.py same-as-jsonl D T J  table T of database D (as sqlite3 reads it, in rowid
                                        order) is the JSON Lines J (blobs as base64, floats
                                        by their digits)
    sqlite_peer.py dump D               database D as sqlite3 finds it, as JSON on stdout:
                                        its integrity check, and each table's declared
                                        columns and rows, each value as [typeof, value]

Exits 1 with the first difference on stderr when a check fails.
"""

import base64
import decimal
import json
import sqlite3

import jsonl_check


def people(db, n, name="people"):
    db.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, name TEXT, score REAL, "
               "photo BLOB, joined DATE, note)")
    db.executemany(
        f"INSERT INTO {name} VALUES (?, ?, ?, ?, ?, ?)",
        [(i, f"name {i} é", i / 4 if i % 3 else None, bytes([i % 256, 0, 255]) if i % 2 else None,
          f"2024-01-{i % 28 + 1:02d}", [i, "text", 1.5, None][i % 4]) for i in range(n)])


def write(directory):
    db = sqlite3.connect(f"{directory}/one.sqlite")
    people(db, 10000)
    db.commit()
    db.close()
    db = sqlite3.connect(f"{directory}/many.db")
    people(db, 5)
    db.execute("CREATE TABLE keyed (k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID")
    db.executemany("INSERT INTO keyed VALUES (?, ?)", [("b", 2), ("a", 1), ("c", 3)])
    db.execute('CREATE TABLE "odd name" (rowid TEXT, x INTEGER)')
    db.executemany('INSERT INTO "odd name" VALUES (?, ?)', [("r1", 1), ("r2", 2)])
    db.execute("CREATE VIEW adults AS SELECT id, name FROM people WHERE id >= 2")
    db.commit()
    db.close()


def kit(directory):
    """The kit's database: every storage class; the bad one cut in half."""
    path = f"{directory}/kit.sqlite"
    db = sqlite3.connect(path)
    db.execute("PRAGMA page_size = 512")
    people(db, 60)
    db.commit()
    db.close()
    data = open(path, "rb").read()
    open(f"{directory}/kit-bad.sqlite", "wb").write(data[: len(data) // 2])


def text_of(value):
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, float):
        return decimal.Decimal(repr(value))
    return value


def same_as_jsonl(path, table, jsonl):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    cursor = db.execute(f'SELECT * FROM "{table}"')
    names = [d[0] for d in cursor.description]
    expected = [{n: text_of(v) for n, v in zip(names, row)} for row in cursor]
    jsonl_check.same_as_jsonl(expected, jsonl, "sqlite3")


def dump(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    tables = {}
    names = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY rowid")]
    for name in names:
        columns = [[c[1], c[2]] for c in db.execute(f'PRAGMA table_info("{name}")')]
        selected = ", ".join(f'typeof("{c}"), "{c}"' for c, _ in columns)
        rows = []
        for row in db.execute(f'SELECT {selected} FROM "{name}"'):
            rows.append([[row[i], text_of(row[i + 1])] for i in range(0, len(row), 2)])
        tables[name] = {"columns": columns, "rows": rows}
    check = db.execute("PRAGMA integrity_check").fetchone()[0]
    print(json.dumps({"integrity": check, "tables": tables}, default=str))


if __name__ == "__main__":
    jsonl_check.main({"write": write, "kit": kit, "same-as-jsonl": same_as_jsonl,
                      "dump": dump})

"""The Avro peer of the tests: fastavro writes the files iterable must read.

    avro_peer.py write DIR          write the peer's files into DIR (one per codec)
    avro_peer.py kit DIR            write the format kit's files (tests/data) into DIR
    avro_peer.py same-as-jsonl A J  A's records (as fastavro reads them) are the JSON Lines J
                                    (as iterable writes typed values as text)
    avro_peer.py same-values A B    A and B hold the same records, as fastavro reads them, but
                                    for what iterable's schema writes as another type (a uuid
                                    as a string) and a map's keys, which iterable sorts

Exits 1 with the first difference on stderr when a check fails.
"""

import base64
import datetime
import decimal
import io
import uuid

import fastavro
import jsonl_check

UTC = datetime.timezone.utc

SCHEMA = {
    "type": "record", "name": "Row", "namespace": "test",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "small", "type": "int"},
        {"name": "name", "type": "string"},
        {"name": "score", "type": ["null", "double"]},
        {"name": "ratio", "type": "float"},
        {"name": "ok", "type": "boolean"},
        {"name": "blob", "type": "bytes"},
        {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 4}},
        {"name": "color", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attrs", "type": {"type": "map", "values": "long"}},
        {"name": "point", "type": ["null", {"type": "record", "name": "Point",
                                            "fields": [{"name": "x", "type": "int"},
                                                       {"name": "y", "type": "int"}]}]},
        {"name": "again", "type": ["null", "Point"]},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "at_ms", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "at_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "local_us", "type": {"type": "long", "logicalType": "local-timestamp-micros"}},
        {"name": "clock_ms", "type": {"type": "int", "logicalType": "time-millis"}},
        {"name": "clock_us", "type": {"type": "long", "logicalType": "time-micros"}},
        {"name": "price", "type": {"type": "bytes", "logicalType": "decimal",
                                   "precision": 10, "scale": 3}},
        {"name": "fixed_price", "type": {"type": "fixed", "name": "Price", "size": 8,
                                         "logicalType": "decimal", "precision": 12, "scale": 2}},
        {"name": "key", "type": {"type": "string", "logicalType": "uuid"}},
    ],
}


def records(n=3):
    out = []
    for i in range(n):
        out.append({
            "id": 2**40 + i, "small": -i, "name": f"name {i} é", "score": None if i % 2 else i / 4,
            "ratio": 0.5, "ok": i % 2 == 0, "blob": bytes([i % 256, 255]), "hash": b"\x00\x01\x02" + bytes([i % 256]),
            "color": "GREEN" if i % 2 else "RED", "tags": ["a", "b"][: i % 3],
            "attrs": {"z": i, "a": -i}, "point": {"x": i, "y": -i} if i % 2 == 0 else None,
            "again": None if i % 2 == 0 else {"x": 7, "y": 8},
            "day": datetime.date(2024, 1, 31) + datetime.timedelta(days=i),
            "at_ms": datetime.datetime(2024, 1, 31, 13, 45, 0, 250000, tzinfo=UTC),
            "at_us": datetime.datetime(2024, 1, 31, 13, 45, 0, 123456, tzinfo=UTC),
            "local_us": datetime.datetime(2024, 1, 31, 13, 45, 0, 5),
            "clock_ms": datetime.time(13, 45, 0, 250000),
            "clock_us": datetime.time(13, 45, 0, 123456),
            "price": decimal.Decimal("-123.450") + i, "fixed_price": decimal.Decimal("99.99"),
            "key": str(uuid.UUID(int=i)),
        })
    return out


CODECS = ["null", "deflate", "snappy", "zstandard", "bzip2", "xz"]


def container(rows, codec, block=2):
    out = io.BytesIO()
    fastavro.writer(out, SCHEMA, rows, codec=codec, sync_interval=block * 40)
    return out.getvalue()


def write(directory):
    for codec in CODECS:
        open(f"{directory}/rows-{codec}.avro", "wb").write(container(records(50), codec))
    open(f"{directory}/many.avro", "wb").write(container(records(5000), "deflate", block=500))
    # A schema that is not a record.
    out = io.BytesIO()
    fastavro.writer(out, {"type": "array", "items": "long"}, [[1, 2], []])
    open(f"{directory}/arrays.avro", "wb").write(out.getvalue())


def kit(directory):
    """The kit's files: every type in blocks of about two records; then the same with its
    second block's data broken (an error, and the blocks after it still read)."""
    good = container(records(6), "deflate")
    open(f"{directory}/kit.avro", "wb").write(good)
    reader = fastavro.block_reader(io.BytesIO(good))
    blocks = [(b.offset, b.size) for b in reader]
    offset, _ = blocks[1]
    bad = bytearray(good)
    # The block's count and size (a byte and two), then its data: break its deflate stream.
    at = offset + 5
    bad[at:at + 4] = b"\xff\xff\xff\xff"
    open(f"{directory}/kit-bad.avro", "wb").write(bytes(bad))


def load(path):
    with open(path, "rb") as f:
        return list(fastavro.reader(f))


def rfc3339(moment, zone=True):
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    fraction = f".{moment.microsecond:06d}".rstrip("0") if moment.microsecond else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + ("Z" if zone else "")


def text_of(value):
    """`value` as iterable writes it in JSON."""
    if isinstance(value, datetime.datetime):
        return rfc3339(value, value.tzinfo is not None)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        fraction = f".{value.microsecond:06d}".rstrip("0") if value.microsecond else ""
        return value.strftime("%H:%M:%S") + fraction
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, float):
        return decimal.Decimal(repr(value))
    if isinstance(value, dict):
        # A nested record's fields or a map's keys, sorted: iterable sorts a map's keys (the
        # records here have their fields in that order too).
        return {k: text_of(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [text_of(v) for v in value]
    return value


def same_as_jsonl(path, jsonl):
    rows = load(path)
    expected = []
    for row in rows:
        if isinstance(row, dict):
            expected.append({k: text_of(v) for k, v in row.items()})
        else:
            expected.append({"value": text_of(row)})
    jsonl_check.same_as_jsonl(expected, jsonl, "fastavro")


def plain(value):
    """`value` but for what a round trip through iterable changes by its documented rules."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def same_values(first, second):
    jsonl_check.same_values(load, lambda v: jsonl_check.strict(plain(v)), first, second)


if __name__ == "__main__":
    jsonl_check.main(
        {"write": write, "kit": kit, "same-as-jsonl": same_as_jsonl, "same-values": same_values}
    )

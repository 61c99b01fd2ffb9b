"""The BSON peer of the tests: pymongo's bson writes the files iterable must read, and reads
the files iterable writes.

    bson_peer.py write DIR          write the peer's files into DIR
    bson_peer.py kit DIR            write the format kit's files (tests/data) into DIR
    bson_peer.py same-as-jsonl B J  B's documents (as bson reads them) are the JSON Lines J
                                    (as iterable writes typed values as text)
    bson_peer.py same-values A B    A and B hold the same documents, as bson reads them

Exits 1 with the first difference on stderr when a check fails.
"""

import base64
import datetime
import decimal

import bson
import jsonl_check
from bson import Binary, Code, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp

UTC = datetime.timezone.utc


def records():
    """Every type pymongo writes but the deprecated ones."""
    return [
        {"_id": ObjectId("65ba4e2c9f1b2c3d4e5f6a7b"), "id": 1, "name": "Ada", "score": 1.5,
         "ok": True, "none": None, "tags": ["a", "b"], "point": {"x": 1, "y": -2}},
        {"id": Int64(2**63 - 1), "small64": Int64(5), "neg": -2**31, "name": "héllo 日本",
         "point": {"x": None, "y": [1, {"deep": True}]}},
        {"bytes": b"\x00\x01\xff", "empty": b"", "uuid": Binary(bytes(range(16)), 4),
         "at": datetime.datetime(2024, 1, 31, 13, 45, 0, 250000, tzinfo=UTC),
         "before": datetime.datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC),
         "price": Decimal128("-123.450"), "sci": Decimal128("1.05E+3"), "nan": Decimal128("NaN")},
        {"re": Regex("^a.*z$", "im"), "ts": Timestamp(1706708700, 3), "code": Code("x + 1"),
         "scoped": Code("y", {"y": 2}), "min": MinKey(), "max": MaxKey(),
         "huge float": 1e300, "subnormal": 5e-324},
    ]


def documents(values):
    return b"".join(bson.encode(v) for v in values)


def write(directory):
    open(f"{directory}/types.bson", "wb").write(documents(records()))
    many = [{"id": i, "name": f"name {i % 97}", "score": i * 0.5} for i in range(5000)]
    open(f"{directory}/many.bson", "wb").write(documents(many))


# A document of 13 bytes whose string claims 255.
BROKEN = b"\x0d\x00\x00\x00\x02a\x00\xff\x00\x00\x00x\x00"


def kit(directory):
    """The kit's files: the records above; then a broken document between two good ones (an
    error, and the document after it still read)."""
    open(f"{directory}/kit.bson", "wb").write(documents(records()))
    bad = bson.encode({"a": 1}) + BROKEN + bson.encode({"a": 2})
    open(f"{directory}/kit-bad.bson", "wb").write(bad)


def load(path):
    return bson.decode_all(open(path, "rb").read())


def rfc3339(moment):
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    fraction = f".{moment.microsecond:06d}".rstrip("0") if moment.microsecond else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


FLAGS = "ilmsux"


def options(regex):
    """The options text of a regex pymongo read (it keeps them as re flags)."""
    if isinstance(regex.flags, str):
        return regex.flags
    bits = [2, 4, 8, 16, 32, 64]
    return "".join(letter for letter, bit in zip(FLAGS, bits) if regex.flags & bit)


def text_of(value):
    """`value` as iterable writes it in JSON: MongoDB's Extended JSON for the BSON types."""
    if isinstance(value, datetime.datetime):
        return rfc3339(value)
    if isinstance(value, ObjectId):
        return {"$oid": str(value)}
    if isinstance(value, Binary) and value.subtype != 0:
        return {"$binary": {"base64": base64.b64encode(bytes(value)).decode(),
                            "subType": f"{value.subtype:02x}"}}
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Decimal128):
        number = value.to_decimal()
        return number if number.is_finite() else {"$numberDecimal": str(value)}
    if isinstance(value, Regex):
        return {"$regularExpression": {"pattern": value.pattern, "options": options(value)}}
    if isinstance(value, Timestamp):
        return {"$timestamp": {"t": value.time, "i": value.inc}}
    if isinstance(value, Code):
        if value.scope is None:
            return {"$code": str(value)}
        return {"$code": str(value), "$scope": text_of(value.scope)}
    if isinstance(value, MinKey):
        return {"$minKey": 1}
    if isinstance(value, MaxKey):
        return {"$maxKey": 1}
    if isinstance(value, float):
        return decimal.Decimal(repr(value))
    if isinstance(value, dict):
        return {k: text_of(v) for k, v in value.items()}
    if isinstance(value, list):
        return [text_of(v) for v in value]
    return value


def same_as_jsonl(path, jsonl):
    jsonl_check.same_as_jsonl([text_of(v) for v in load(path)], jsonl, "bson")


def typed(value):
    """`value` with its types spelled out (Python finds 1 == 1.0 == True); int32 and int64
    alike, as iterable writes an int64 that fits as int32."""
    if isinstance(value, dict):
        return ("document", [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("array", [typed(v) for v in value])
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", int(value))
    if isinstance(value, Binary):
        return ("binary", value.subtype, bytes(value))
    if isinstance(value, Decimal128):
        return ("decimal128", str(value))
    if isinstance(value, Regex):
        return ("regex", value.pattern, options(value))
    if isinstance(value, Code):
        return ("code", str(value), typed(value.scope))
    return (type(value).__name__, value)


def same_values(first, second):
    """The same documents, of the same BSON types (binary stays binary of its subtype, a
    datetime a datetime, a decimal128 the same digits and exponent)."""
    jsonl_check.same_values(load, typed, first, second)


if __name__ == "__main__":
    jsonl_check.main(
        {"write": write, "kit": kit, "same-as-jsonl": same_as_jsonl, "same-values": same_values}
    )

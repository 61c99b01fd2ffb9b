"""The CBOR peer of the tests: Python's cbor2 writes the files iterable must read, and reads
the files iterable writes.

    cbor_peer.py write DIR          write the peer's files into DIR
    cbor_peer.py kit DIR            write the format kit's files (tests/data) into DIR
    cbor_peer.py same-as-jsonl C J  C's maps (as cbor2 reads them) are the JSON Lines J
                                    (as iterable writes typed values as text)
    cbor_peer.py same-values A B    A and B hold the same maps, as cbor2 reads them

A file that holds one top-level array stands for its elements. Exits 1 with the first
difference on stderr when a check fails.
"""

import base64
import datetime
import decimal
import io
import json

import cbor2
import jsonl_check

UTC = datetime.timezone.utc


def records():
    """Every type cbor2 writes: integers to bignums, typed tags, other tags, simple values."""
    at = datetime.datetime(2024, 1, 31, 13, 45, 0, 250000, tzinfo=UTC)
    east = datetime.timezone(datetime.timedelta(hours=2))
    return [
        {"id": 1, "name": "Ada", "score": 1.5, "ok": True, "none": None,
         "tags": ["a", "b"], "point": {"x": 1, "y": -2}},
        {"id": 2**64 - 1, "neg": -2**64, "big": 2**70, "nbig": -2**70, "huge": 2**200,
         "name": "héllo 日本", "score": -0.25, "point": {"x": None, "y": [1, {"deep": True}]}},
        {"bytes": b"\x00\x01\xff", "empty": b"", "at": at,
         "east": datetime.datetime(2024, 1, 31, 13, 45, tzinfo=east),
         "day": datetime.date(2024, 1, 31), "price": decimal.Decimal("-123.450"),
         "tiny": decimal.Decimal("0.005"), "epoch": cbor2.CBORTag(1, 1706708700)},
        {"tag": cbor2.CBORTag(99, "x"), "simple": cbor2.CBORSimpleValue(99),
         "huge float": 1e300, "subnormal": 5e-324, "neg": -1},
        {1: "integer key", "2.5": "string key", "list": [None, 1, "x", [2.5]]},
    ]


def sequence(values):
    return b"".join(cbor2.dumps(v) for v in values)


# {_ "a": [_ 1, 2], "s": (_ "ab", "c"), "b": (_ h'01', h'02')}: indefinite lengths, which
# cbor2 does not write.
INDEFINITE = (b"\xbf" b"\x61a\x9f\x01\x02\xff" b"\x61s\x7f\x62ab\x61c\xff"
              b"\x61b\x5f\x41\x01\x41\x02\xff" b"\xff")


def write(directory):
    open(f"{directory}/types.cbor", "wb").write(sequence(records()))
    open(f"{directory}/array.cbor", "wb").write(cbor2.dumps(records()))
    many = [{"id": i, "name": f"name {i % 97}", "score": i * 0.5} for i in range(5000)]
    open(f"{directory}/many.cbor", "wb").write(sequence(many))


def kit(directory):
    """The kit's files: the records above and one of indefinite lengths; then one with a
    top-level integer between maps (an error, and the map after it still read)."""
    good = cbor2.dumps(records()[0]) + INDEFINITE + sequence(records()[1:])
    open(f"{directory}/kit.cbor", "wb").write(good)
    bad = cbor2.dumps({"a": 1}) + cbor2.dumps(7) + cbor2.dumps({"a": 2})
    open(f"{directory}/kit-bad.cbor", "wb").write(bad)


def load(path):
    data = open(path, "rb").read()
    stream = io.BytesIO(data)
    values = []
    while stream.tell() < len(data):
        values.append(cbor2.load(stream))
    if len(values) == 1 and isinstance(values[0], list):
        return values[0]
    return values


def rfc3339(moment):
    moment = moment.astimezone(UTC)
    fraction = f".{moment.microsecond:06d}".rstrip("0") if moment.microsecond else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def text_of(value):
    """`value` as iterable writes it in JSON."""
    if isinstance(value, datetime.datetime):
        return rfc3339(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, cbor2.CBORTag):
        return {"$tag": value.tag, "$value": text_of(value.value)}
    if isinstance(value, cbor2.CBORSimpleValue):
        return {"$simple": value.value}
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, float):
        return decimal.Decimal(repr(value))
    if isinstance(value, dict):
        return {key_text(k): text_of(v) for k, v in value.items()}
    if isinstance(value, list):
        return [text_of(v) for v in value]
    return value


def key_text(key):
    if isinstance(key, str):
        return key
    return json.dumps(key)


def same_as_jsonl(path, jsonl):
    jsonl_check.same_as_jsonl([text_of(v) for v in load(path)], jsonl, "cbor2")


def typed(value):
    """`value` with its types spelled out (Python finds 1 == 1.0 == True), map keys as the
    text iterable names them by."""
    if isinstance(value, dict):
        return ("map", [(key_text(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("array", [typed(v) for v in value])
    if isinstance(value, datetime.datetime):
        return ("instant", value.astimezone(UTC))
    if isinstance(value, cbor2.CBORTag):
        return ("tag", value.tag, typed(value.value))
    if isinstance(value, cbor2.CBORSimpleValue):
        return ("simple", value.value)
    if isinstance(value, decimal.Decimal):
        return ("decimal", str(value))
    return (type(value).__name__, value)


def same_values(first, second):
    """The same values, of the same CBOR types (bytes stay bytes, a date a date, an integer an
    integer), but for keys, which iterable writes as text."""
    jsonl_check.same_values(load, typed, first, second)


if __name__ == "__main__":
    jsonl_check.main(
        {"write": write, "kit": kit, "same-as-jsonl": same_as_jsonl, "same-values": same_values}
    )

"""The MessagePack peer of the tests: Python's msgpack writes the files iterable must read,
and reads the files iterable writes.

    msgpack_peer.py write DIR          write the peer's files into DIR
    msgpack_peer.py kit DIR            write the format kit's files (tests/data) into DIR
    msgpack_peer.py same-as-jsonl M J  M's maps (as msgpack reads them) are the JSON Lines J
                                       (as iterable writes typed values as text)
    msgpack_peer.py same-values A B    A and B hold the same maps, as msgpack reads them

Exits 1 with the first difference on stderr when a check fails.
"""

import base64
import datetime
import decimal
import json

import jsonl_check
import msgpack


def records():
    """Every type MessagePack has, nulls, nesting, integer and float edges."""
    return [
        {"id": 1, "name": "Ada", "score": 1.5, "ok": True, "none": None,
         "tags": ["a", "b"], "point": {"x": 1, "y": -2}},
        {"id": 2**64 - 1, "name": "héllo 日本", "score": -0.25, "ok": False, "none": None,
         "tags": [], "point": {"x": None, "y": [1, {"deep": True}]}},
        {"id": -2**63, "bytes": b"\x00\x01\xff", "empty": b"", "at": msgpack.Timestamp(1706708700, 123456789),
         "epoch": msgpack.Timestamp(0, 0), "before": msgpack.Timestamp(-1, 500000000)},
        {"ext": msgpack.ExtType(5, b"\x01\x02\x03"), "big": 1e300, "tiny": 5e-324, "neg": -1},
        {1: "integer key", "2.5": "string key", "list": [None, 1, "x", [2.5]]},
    ]


def pack(values, **options):
    return b"".join(msgpack.packb(v, **options) for v in values)


def write(directory):
    open(f"{directory}/types.msgpack", "wb").write(pack(records()))
    # The same with every float as float 32 where it is exact.
    floats = [{"f": 1.5, "g": -0.25, "h": 0.0}]
    open(f"{directory}/floats32.msgpack", "wb").write(pack(floats, use_single_float=True))
    many = [{"id": i, "name": f"name {i % 97}", "score": i * 0.5} for i in range(5000)]
    open(f"{directory}/many.msgpack", "wb").write(pack(many))


def kit(directory):
    """The kit's files: the records above; then one with a top-level integer between maps
    (an error, and the maps after it still read)."""
    open(f"{directory}/kit.msgpack", "wb").write(pack(records()))
    bad = msgpack.packb({"a": 1}) + msgpack.packb(7) + msgpack.packb({"a": 2})
    open(f"{directory}/kit-bad.msgpack", "wb").write(bad)


def unpack(path):
    with open(path, "rb") as f:
        return list(msgpack.Unpacker(f, raw=False, strict_map_key=False, timestamp=0))


def rfc3339(ts):
    seconds, nanos = ts.seconds, ts.nanoseconds
    moment = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=seconds)
    fraction = ("." + str(nanos).rjust(9, "0").rstrip("0")) if nanos else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def text_of(value):
    """`value` as iterable writes it in JSON."""
    if isinstance(value, msgpack.Timestamp):
        return rfc3339(value)
    if isinstance(value, msgpack.ExtType):
        return {"$ext": value.code, "$data": base64.b64encode(value.data).decode()}
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
    jsonl_check.same_as_jsonl([text_of(v) for v in unpack(path)], jsonl, "msgpack")


def typed(value):
    """`value` with its types spelled out (Python finds 1 == 1.0 == True), map keys as the
    text iterable names them by."""
    if isinstance(value, dict):
        return ("map", [(key_text(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("array", [typed(v) for v in value])
    if isinstance(value, msgpack.Timestamp):
        return ("timestamp", value.seconds, value.nanoseconds)
    if isinstance(value, msgpack.ExtType):
        return ("ext", value.code, value.data)
    return (type(value).__name__, value)


def same_values(first, second):
    """The same values, of the same MessagePack types (bin stays bin, a timestamp stays the
    extension, an integer an integer), but for keys, which iterable writes as text."""
    jsonl_check.same_values(unpack, typed, first, second)


if __name__ == "__main__":
    jsonl_check.main(
        {"write": write, "kit": kit, "same-as-jsonl": same_as_jsonl, "same-values": same_values}
    )

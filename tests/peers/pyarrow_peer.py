"""The Parquet, Arrow IPC and ORC peer of the tests: pyarrow writes the files iterable must
read, and checks the files iterable writes. A file is read as its extension says: `.parquet`,
`.arrow` / `.feather` (the IPC file format), `.arrows` (the IPC stream format), `.orc`.

    pyarrow_peer.py write DIR           write the peer's Parquet files into DIR
    pyarrow_peer.py write-ipc DIR       write the peer's Arrow IPC files into DIR
    pyarrow_peer.py write-orc DIR       write the peer's ORC files into DIR
    pyarrow_peer.py kit DIR             write the format kit's files (tests/data) into DIR
    pyarrow_peer.py same-as-jsonl P J   P's rows (as pyarrow reads them) are the JSON Lines J
                                        (as iterable writes typed values as text)
    pyarrow_peer.py same-tables A B     A and B hold the same rows (and B the types of A,
                                        but for the widenings Parquet makes)
    pyarrow_peer.py types P NAME:TYPE.. P's columns are of these types (pyarrow's names)

Exits 1 with the first difference on stderr when a check fails.
"""

import base64
import datetime
import decimal
import json
import sys

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.orc as orc
import pyarrow.parquet as pq

EPOCH = datetime.datetime(1970, 1, 1)
PER_SECOND = {"s": 1, "ms": 1000, "us": 10**6, "ns": 10**9}


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def build_types():
    """Every type iterable reads, nulls in each, a few rows a row group."""
    columns = {
        "i8": pa.array([1, -128, 127, None, 0, 5, -5], pa.int8()),
        "i16": pa.array([1, -32768, 32767, None, 0, 5, -5], pa.int16()),
        "i32": pa.array([1, -2**31, 2**31 - 1, None, 0, 5, -5], pa.int32()),
        "i64": pa.array([1, -2**63, 2**63 - 1, None, 0, 5, -5], pa.int64()),
        "u8": pa.array([1, 0, 255, None, 2, 3, 4], pa.uint8()),
        "u16": pa.array([1, 0, 65535, None, 2, 3, 4], pa.uint16()),
        "u32": pa.array([1, 0, 2**32 - 1, None, 2, 3, 4], pa.uint32()),
        "u64": pa.array([1, 0, 2**64 - 1, None, 2**63, 3, 4], pa.uint64()),
        "f32": pa.array([1.5, -0.25, 3.0e38, None, 0.0, 0.1, -2.0], pa.float32()),
        "f64": pa.array([1.5, -0.25, 1e300, None, 0.0, 0.1, 5e-324], pa.float64()),
        "bool": pa.array([True, False, None, True, False, True, False], pa.bool_()),
        "str": pa.array(["a", "héllo", "", None, "tab\there", "quote\"", "日本"], pa.string()),
        "large_str": pa.array(["a", None, "b", "c", "d", "e", "f"], pa.large_string()),
        "bin": pa.array([b"\x00\x01", b"", None, b"\xff", b"abc", b"x", b"y"], pa.binary()),
        "fixed": pa.array([b"abcd", b"\x00\x00\x00\x00", None, b"wxyz", b"1234", b"5678", b"9012"], pa.binary(4)),
        "date": pa.array([datetime.date(2024, 1, 31), datetime.date(1970, 1, 1), datetime.date(1900, 3, 1),
                          None, datetime.date(9999, 12, 31), datetime.date(1, 1, 1), datetime.date(2000, 2, 29)],
                         pa.date32()),
        "time_s": pa.array([0, 86399, None, 3600, 60, 1, 45296], pa.time32("s")),
        "time_ms": pa.array([0, 86399999, None, 250, 60000, 1, 45296500], pa.time32("ms")),
        "time_us": pa.array([0, 86399999999, None, 250000, 1, 10, 45296000001], pa.time64("us")),
        "time_ns": pa.array([0, 86399999999999, None, 1, 250000000, 100, 45296000000001], pa.time64("ns")),
        "ts_s": pa.array([0, -1, None, 1706708700, 253402300799, -62135596800, 951782400], pa.timestamp("s")),
        "ts_ms": pa.array([0, -1, None, 1706708700123, 1, -86400000, 951782400000], pa.timestamp("ms")),
        "ts_us": pa.array([0, -1, None, 1706708700123456, 1, 10, 951782400000001], pa.timestamp("us")),
        "ts_ns": pa.array([0, -1, None, 1706708700123456789, 1, 10, 951782400000000001], pa.timestamp("ns")),
        "ts_ms_utc": pa.array([0, -1, None, 1706708700123, 1, 2, 3], pa.timestamp("ms", tz="UTC")),
        "ts_us_paris": pa.array([0, -1, None, 1706708700123456, 1, 2, 3], pa.timestamp("us", tz="Europe/Paris")),
        "dur_s": pa.array([0, -1, None, 90, 86400, 1, 2], pa.duration("s")),
        "dur_ms": pa.array([0, -1, None, 90500, 1, 2, 3], pa.duration("ms")),
        "dur_us": pa.array([0, -1, None, 90500000, 1, 2, 3], pa.duration("us")),
        "dur_ns": pa.array([0, -1, None, 90500000001, 1, 2, 3], pa.duration("ns")),
        "dec_9_2": pa.array([decimal.Decimal(d) if d else None for d in
                             ["123.45", "-0.01", None, "0.00", "9999999.99", "-9999999.99", "1.50"]],
                            pa.decimal128(9, 2)),
        "dec_18_0": pa.array([decimal.Decimal(d) if d else None for d in
                              ["123456789012345678", "-1", None, "0", "5", "6", "7"]], pa.decimal128(18, 0)),
        "dec_38_10": pa.array([decimal.Decimal(d) if d else None for d in
                               ["1234567890123456789012345678.0123456789", "-0.0000000001", None, "0E-10",
                                "1.0000000000", "2.5000000000", "-3.0000000000"]], pa.decimal128(38, 10)),
        "dict": pa.array(["x", "y", "x", None, "z", "x", "y"]).dictionary_encode(),
        "list": pa.array([[1, 2], [], None, [None, 3], [4], [5, 6, 7], [8]], pa.list_(pa.int64())),
        "large_list": pa.array([["a"], [], None, ["b", None], ["c"], ["d"], ["e"]], pa.large_list(pa.string())),
        "fixed_list": pa.array([[1, 2], [3, 4], None, [5, None], [7, 8], [9, 10], [11, 12]],
                               pa.list_(pa.int32(), 2)),
        "struct": pa.array([{"x": 1, "y": "a"}, None, {"x": None, "y": "b"}, {"x": 3, "y": None},
                            {"x": 4, "y": "d"}, {"x": 5, "y": "e"}, {"x": 6, "y": "f"}],
                           pa.struct([("x", pa.int64()), ("y", pa.string())])),
        "map": pa.array([[("k", 1)], None, [], [("a", None), ("b", 2)], [("c", 3)], [("d", 4)], [("e", 5)]],
                        pa.map_(pa.string(), pa.int64())),
        "int_map": pa.array([[(1, "one")], None, [], [(2, None), (-3, "minus three")], [(4, "d")], [(5, "e")],
                             [(6, "f")]], pa.map_(pa.int32(), pa.string())),
        "nested": pa.array([[{"a": [1, None], "b": {"c": "x"}}], None, [], [None, {"a": None, "b": None}],
                            [{"a": [], "b": {"c": None}}], [{"a": [2], "b": {"c": "y"}}], [{"a": [3], "b": {"c": "z"}}]],
                           pa.list_(pa.struct([("a", pa.list_(pa.int64())), ("b", pa.struct([("c", pa.string())]))]))),
        "all_null": pa.array([None] * 7, pa.int64()),
    }
    columns["f16"] = pa.array([1.5, -0.25, 2.0, None, 0.0, 65504.0, -2.0], pa.float32()).cast(pa.float16())
    return pa.table(columns)


def plain_table(rows):
    """A simple table of `rows` rows for the codecs and encodings."""
    return pa.table({
        "id": pa.array(range(rows), pa.int64()),
        "name": pa.array([f"name {i % 97}" for i in range(rows)]),
        "score": pa.array([i * 0.5 if i % 10 else None for i in range(rows)], pa.float64()),
        "flag": pa.array([i % 3 == 0 for i in range(rows)]),
    })


def wide_table(rows):
    """A small column and a large one: reading the small one alone must fetch little."""
    return pa.table({
        "id": pa.array(range(rows), pa.int32()),
        "payload": pa.array([("%08d" % i) * 64 for i in range(rows)]),
    })


def write(directory):
    pq.write_table(build_types(), f"{directory}/types.parquet", row_group_size=3)
    table = plain_table(3000)
    for codec in ["none", "snappy", "gzip", "brotli", "lz4", "zstd"]:
        pq.write_table(table, f"{directory}/codec-{codec}.parquet", compression=codec, row_group_size=1000)
    pq.write_table(table, f"{directory}/page-v2.parquet", data_page_version="2.0", row_group_size=700,
                   data_page_size=1024)
    pq.write_table(table, f"{directory}/plain.parquet", use_dictionary=False, row_group_size=3000)
    pq.write_table(table.slice(0, 0), f"{directory}/empty.parquet")
    pq.write_table(wide_table(20000), f"{directory}/wide.parquet", row_group_size=5000, compression="none")


def orc_table():
    """Every type ORC has that pyarrow writes, nulls in each."""
    rows = 7
    base = build_types()
    names = ["i8", "i16", "i32", "i64", "f32", "f64", "bool", "str", "bin", "date"]
    columns = {name: base.column(name) for name in names}
    # Before 1970, whole seconds only: orc-rust 0.9 misreads the fractions of those, as the
    # C++ writer stores them (see iterable_formats::orc).
    columns["ts"] = pa.array([0, -86400 * 10**9, 1706708700123456789, None, 86400 * 10**9, 5, 2**62],
                             pa.timestamp("ns"))
    columns["dec"] = pa.array([decimal.Decimal("1.250"), decimal.Decimal("-99999.999"), None,
                               decimal.Decimal("0.000"), decimal.Decimal("12.5"), decimal.Decimal("1"),
                               decimal.Decimal("-0.001")], pa.decimal128(8, 3))
    columns["list"] = pa.array([[1, 2], [], None, [None, 3], [4], [5, 6, 7], [-1]], pa.list_(pa.int64()))
    columns["struct"] = pa.array([{"x": i, "y": f"y{i}"} if i != 2 else None for i in range(rows)],
                                 pa.struct([("x", pa.int32()), ("y", pa.string())]))
    columns["map"] = pa.array([[("a", i), ("b", -i)] if i != 3 else None for i in range(rows)],
                              pa.map_(pa.string(), pa.int64()))
    return pa.table(columns)


def write_orc(directory):
    """Every type in each compression; many rows in several stripes; a file of no rows."""
    table = orc_table()
    for codec in ["uncompressed", "zlib", "snappy", "zstd", "lz4"]:
        orc.write_table(table, f"{directory}/types-{codec}.orc", compression=codec)
    orc.write_table(plain_table(60000), f"{directory}/stripes.orc", stripe_size=1, batch_size=5000,
                    compression="zstd")
    orc.write_table(table.slice(0, 0), f"{directory}/empty.orc")


def orc_kit(directory):
    """The kit's ORC file: every type, a stripe a row or two; the bad one has its second
    stripe's data broken."""
    table = pa.concat_tables([orc_table()] * 3)
    good = f"{directory}/kit.orc"
    orc.write_table(table, good, stripe_size=1, batch_size=3, compression="uncompressed")
    data = bytearray(open(good, "rb").read())
    # The second stripe's footer, which every reader reads first, broken.
    offset, index, length, _ = stripes(good)[1]
    footer = offset + index + length
    data[footer:footer + 8] = b"\xff" * 8
    open(f"{directory}/kit-bad.orc", "wb").write(bytes(data))
    print(f"kit.orc: {orc.ORCFile(good).nstripes} stripes; the second at byte {offset}")


def stripes(path):
    """Each stripe of an ORC file as (offset, index length, data length, footer length), from
    its footer (which pyarrow does not expose), read by hand: an uncompressed file's."""
    data = open(path, "rb").read()
    ps_len = data[-1]
    footer_len = protobuf(data[-1 - ps_len:-1])[1][0]
    footer = data[-1 - ps_len - footer_len:-1 - ps_len]
    return [tuple(protobuf(s)[n][0] for n in (1, 2, 3, 4)) for s in protobuf(footer).get(3, [])]


def protobuf(data):
    """A protobuf message's fields: number to values (varints as ints, the rest as bytes)."""
    fields, at = {}, 0
    def varint():
        nonlocal at
        value, shift = 0, 0
        while True:
            byte = data[at]
            at += 1
            value |= (byte & 0x7f) << shift
            shift += 7
            if byte < 0x80:
                return value
    while at < len(data):
        key = varint()
        number, kind = key >> 3, key & 7
        if kind == 0:
            value = varint()
        elif kind == 2:
            length = varint()
            value = data[at:at + length]
            at += length
        elif kind == 1:
            value, at = data[at:at + 8], at + 8
        elif kind == 5:
            value, at = data[at:at + 4], at + 4
        else:
            fail(f"protobuf wire type {kind}")
        fields.setdefault(number, []).append(value)
    return fields


def read_table(path):
    """The table in `path`, read by pyarrow as its extension says."""
    if path.endswith(".orc"):
        return orc.read_table(path)
    if path.endswith(".arrow") or path.endswith(".feather"):
        with pa.ipc.open_file(path) as reader:
            return reader.read_all()
    if path.endswith(".arrows"):
        with pa.ipc.open_stream(path) as reader:
            return reader.read_all()
    return pq.read_table(path)


def read_schema(path):
    if path.endswith(".parquet"):
        return pq.read_schema(path)
    return read_table(path).schema


def write_ipc(directory):
    """Every type in batches of three rows: as an IPC file, as Feather v2 with its default
    compression (LZ4), with zstd, as a stream; a file with no rows; a large zstd batch."""
    table = build_types()
    batches = table.to_batches(max_chunksize=3)
    with pa.ipc.new_file(f"{directory}/types.arrow", table.schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
    feather.write_feather(table, f"{directory}/types-lz4.feather", chunksize=3)
    options = pa.ipc.IpcWriteOptions(compression="zstd")
    with pa.ipc.new_file(f"{directory}/types-zstd.arrow", table.schema, options=options) as writer:
        for batch in batches:
            writer.write_batch(batch)
    with pa.ipc.new_stream(f"{directory}/types.arrows", table.schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
    with pa.ipc.new_file(f"{directory}/empty.arrow", table.schema):
        pass
    # One batch of 200,000 rows, zstd: buffers of more than a MiB each, after empty validity
    # buffers (no nulls).
    big = pa.table({"n": pa.array(range(200_000), pa.int64()), "s": pa.array(["x" * 20] * 200_000)})
    with pa.ipc.new_file(f"{directory}/big-zstd.arrow", big.schema, options=options) as writer:
        writer.write_table(big, max_chunksize=200_000)


def message_offsets(data, start):
    """Where each IPC message of `data` from `start` on begins, and its type."""
    reader = pa.ipc.MessageReader.open_stream(pa.py_buffer(data[start:]))
    offsets, offset = [], start
    for message in reader:
        offsets.append((offset, message.type))
        offset += message.serialize().size
    return offsets


def ipc_kit(directory):
    """The kit's IPC files: every type in batches of three rows; the file with the message of
    its third batch broken, and the stream cut in its third batch (the records of the first
    two batches come out, then an error)."""
    table = build_types()
    good = f"{directory}/kit.arrow"
    with pa.ipc.new_file(good, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=3):
            writer.write_batch(batch)
    data = bytearray(open(good, "rb").read())
    third = [o for o, kind in message_offsets(bytes(data), 8) if kind == "record batch"][2]
    data[third + 8:third + 16] = b"\xff" * 8
    open(f"{directory}/kit-bad.arrow", "wb").write(bytes(data))
    stream = f"{directory}/kit.arrows"
    with pa.ipc.new_stream(stream, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=3):
            writer.write_batch(batch)
    data = open(stream, "rb").read()
    third = [o for o, kind in message_offsets(data, 0) if kind == "record batch"][2]
    open(f"{directory}/kit-bad.arrows", "wb").write(data[:third + 40])


def kit(directory):
    """The format kit's files: every type in three row groups, and the same file with the
    first page of its last row group broken (the records of the first two come out, then
    an error)."""
    good = f"{directory}/kit.parquet"
    pq.write_table(build_types(), good, row_group_size=3, compression="none", use_dictionary=False)
    meta = pq.ParquetFile(good).metadata
    last = meta.row_group(meta.num_row_groups - 1).column(0)
    offset = last.dictionary_page_offset or last.data_page_offset
    data = bytearray(open(good, "rb").read())
    data[offset:offset + 12] = b"\x15\xff\xff\xff\xff\x0f" * 2
    open(f"{directory}/kit-bad.parquet", "wb").write(bytes(data))
    ipc_kit(directory)
    orc_kit(directory)


def scaled(value, per):
    return divmod(value, per)


def fraction(rest, per):
    if rest == 0:
        return ""
    digits = len(str(per)) - 1
    return "." + str(rest).rjust(digits, "0").rstrip("0")


def clock(seconds):
    return "%02d:%02d:%02d" % (seconds // 3600, seconds // 60 % 60, seconds % 60)


def text_of(value, typ):
    """`value` (of Arrow type `typ`, as to_pylist gives it, or the raw integer for temporal
    types) as iterable writes it in JSON."""
    if value is None:
        return None
    if pa.types.is_dictionary(typ):
        return text_of(value, typ.value_type)
    if pa.types.is_boolean(typ) or pa.types.is_integer(typ) or pa.types.is_string(typ) \
            or pa.types.is_large_string(typ):
        return value
    if pa.types.is_floating(typ):
        return decimal.Decimal(repr(float(value)))
    if pa.types.is_decimal(typ):
        return value
    if pa.types.is_binary(typ) or pa.types.is_large_binary(typ) or pa.types.is_fixed_size_binary(typ):
        return base64.b64encode(value).decode()
    if pa.types.is_date(typ):
        return value.isoformat()
    if pa.types.is_time(typ):
        per = PER_SECOND[typ.unit]
        seconds, rest = scaled(value, per)
        return clock(seconds) + fraction(rest, per)
    if pa.types.is_timestamp(typ):
        per = PER_SECOND[typ.unit]
        seconds, rest = scaled(value, per)
        moment = EPOCH + datetime.timedelta(seconds=seconds)
        return "%04d-%02d-%02dT%s%s%s" % (moment.year, moment.month, moment.day, clock(
            moment.hour * 3600 + moment.minute * 60 + moment.second), fraction(rest, per),
            "Z" if typ.tz else "")
    if pa.types.is_duration(typ):
        per = PER_SECOND[typ.unit]
        sign = "-" if value < 0 else ""
        seconds, rest = scaled(abs(value), per)
        return f"{sign}PT{seconds}{fraction(rest, per)}S"
    if pa.types.is_map(typ):
        return {str(k): text_of(v, typ.item_type) for k, v in value}
    if pa.types.is_list(typ) or pa.types.is_large_list(typ) or pa.types.is_fixed_size_list(typ):
        return [text_of(v, typ.value_type) for v in value]
    if pa.types.is_struct(typ):
        return {typ.field(i).name: text_of(value[typ.field(i).name], typ.field(i).type)
                for i in range(typ.num_fields)}
    fail(f"the peer has no text for {typ}")


def raw(column):
    """The column's values, temporal ones as their integers (to_pylist would round
    nanoseconds and refuse years past 9999)."""
    typ = column.type
    if pa.types.is_time(typ) or pa.types.is_timestamp(typ) or pa.types.is_duration(typ):
        width = pa.int32() if pa.types.is_time32(typ) else pa.int64()
        return column.cast(width).to_pylist()
    return column.to_pylist()


def expected_rows(path):
    table = read_table(path)
    columns = [(name, table.column(name).type, raw(table.column(name))) for name in table.column_names]
    return [{name: text_of(values[row], typ) for name, typ, values in columns} for row in range(table.num_rows)]


def same_as_jsonl(parquet, jsonl):
    expected = expected_rows(parquet)
    with open(jsonl, encoding="utf-8") as lines:
        actual = [json.loads(line, parse_float=decimal.Decimal) for line in lines if line.strip()]
    if len(actual) != len(expected):
        fail(f"{jsonl}: {len(actual)} rows, pyarrow reads {len(expected)} from {parquet}")
    for index, (got, want) in enumerate(zip(actual, expected)):
        if list(got) != list(want):
            fail(f"row {index + 1}: columns {list(got)}, pyarrow has {list(want)}")
        for name in want:
            if got[name] != want[name]:
                fail(f"row {index + 1}, column {name}: {got[name]!r}, pyarrow has {want[name]!r}")


def same_tables(first, second):
    a, b = read_table(first), read_table(second)
    if a.column_names != b.column_names:
        fail(f"columns {b.column_names}, {first} has {a.column_names}")
    for name in a.column_names:
        x, y = a.column(name), b.column(name)
        if pa.types.is_dictionary(x.type):
            x = x.cast(x.type.value_type)
        if x.type != y.type and not widened(x.type, y.type):
            fail(f"column {name}: type {y.type}, {first} has {x.type}")
        if raw(x.cast(y.type)) != raw(y):
            fail(f"column {name}: values differ:\n{raw(y)[:10]}\n{raw(x.cast(y.type))[:10]}")


def widened(original, written):
    """The type changes a round trip through iterable's values may make, and no other."""
    pairs = [
        (pa.types.is_large_string, pa.types.is_string),
        (pa.types.is_large_binary, pa.types.is_binary),
        (pa.types.is_fixed_size_binary, pa.types.is_binary),
        (pa.types.is_date64, pa.types.is_date32),
        (pa.types.is_float16, pa.types.is_float32),
    ]
    if any(f(original) and g(written) for f, g in pairs):
        return True
    nested = [pa.types.is_list, pa.types.is_large_list, pa.types.is_fixed_size_list]
    if any(f(original) for f in nested) and pa.types.is_list(written):
        inner_a, inner_b = original.value_type, written.value_type
        return inner_a == inner_b or widened(inner_a, inner_b)
    if pa.types.is_struct(original) and pa.types.is_struct(written):
        return original.num_fields == written.num_fields and all(
            original.field(i).name == written.field(i).name and (
                original.field(i).type == written.field(i).type
                or widened(original.field(i).type, written.field(i).type))
            for i in range(original.num_fields))
    if pa.types.is_map(original) and pa.types.is_map(written):
        return original.key_type == written.key_type and (
            original.item_type == written.item_type or widened(original.item_type, written.item_type))
    return False


def types(path, pairs):
    schema = read_schema(path)
    for pair in pairs:
        name, typ = pair.split(":", 1)
        if str(schema.field(name).type) != typ:
            fail(f"column {name}: {schema.field(name).type}, expected {typ}")


def main():
    command, *args = sys.argv[1:]
    if command == "write":
        write(*args)
    elif command == "write-ipc":
        write_ipc(*args)
    elif command == "write-orc":
        write_orc(*args)
    elif command == "kit":
        kit(*args)
    elif command == "same-as-jsonl":
        same_as_jsonl(*args)
    elif command == "same-tables":
        same_tables(*args)
    elif command == "types":
        types(args[0], args[1:])
    else:
        fail(f"unknown command {command}")


if __name__ == "__main__":
    main()

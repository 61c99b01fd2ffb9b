"""What the peers share: records iterable wrote as JSON Lines compared with what a reference
library read, value by value and type by type; two files' values compared; the command line."""

import decimal
import json
import sys


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def strict(value):
    """`value` with its JSON type spelled out (Python finds True == 1 == Decimal("1.0")); a
    decimal by its digits, but one with a positive exponent (`1.05E+3`, as iterable writes
    `1050`) as the integer it is."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, decimal.Decimal):
        if value.is_finite() and value.as_tuple().exponent > 0:
            return ("int", int(value))
        return ("decimal", str(value))
    if isinstance(value, float):
        return ("float", repr(value))
    if isinstance(value, dict):
        return ("object", [(k, strict(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("array", [strict(v) for v in value])
    return (type(value).__name__, value)


def same_as_jsonl(expected, jsonl, peer):
    """The JSON Lines file `jsonl` holds the records `expected` (as iterable writes them),
    numbers read as decimals to keep their digits."""
    with open(jsonl, encoding="utf-8") as lines:
        actual = [json.loads(line, parse_float=decimal.Decimal) for line in lines if line.strip()]
    if len(actual) != len(expected):
        fail(f"{jsonl}: {len(actual)} records, {peer} reads {len(expected)}")
    for index, (got, want) in enumerate(zip(actual, expected)):
        if strict(got) != strict(want):
            fail(f"record {index + 1}: {strict(got)!r}, {peer} has {strict(want)!r}")


def same_values(load, typed, first, second):
    """The files `first` and `second` hold the same values, as `load` reads them and `typed`
    spells out their types."""
    a, b = load(first), load(second)
    if len(a) != len(b):
        fail(f"{len(b)} values in {second}, {len(a)} in {first}")
    for index, (x, y) in enumerate(zip(a, b)):
        if typed(x) != typed(y):
            fail(f"value {index + 1}: {typed(y)!r} in {second}, {typed(x)!r} in {first}")


def main(commands):
    """Runs the command that the first argument names, of `commands` (name: function), with
    the other arguments."""
    command, *args = sys.argv[1:]
    if command not in commands:
        fail(f"unknown command {command}; known: {', '.join(commands)}")
    commands[command](*args)

//! Fuzzes the DBF decoder (a dBase or FoxPro table, read whole, and its memo file): no panic,
//! and the same whatever the records at a time. The input's first byte is 0 for a table
//! alone; otherwise the next two (little-endian) give the table's length, the rest is its
//! memo file: a `.fpt` when the first byte is odd, a `.dbt` when even.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let format = iterable_formats::Format::from_name("dbf").unwrap();
    match data {
        [] => {}
        [0, table @ ..] => iterable_fuzz::decode_ranges(format, table),
        [kind, low, high, rest @ ..] => {
            let at = usize::from(u16::from_le_bytes([*low, *high])).min(rest.len());
            let (table, memo) = rest.split_at(at);
            let extension = if kind % 2 == 1 { "fpt" } else { "dbt" };
            iterable_fuzz::decode_ranges_beside(format, table, Some((extension, memo)));
        }
        _ => {}
    }
});

//! Fuzzes the DBF decoder (a dBase or FoxPro table, read whole): no panic, and the
//! same whatever the records at a time.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iterable_fuzz::decode_ranges(iterable_formats::Format::from_name("dbf").unwrap(), data);
});

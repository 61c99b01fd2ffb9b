//! Fuzzes the SQLite decoder (a database opened from memory, read only): no panic, and the
//! same whatever the rows at a time.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iterable_fuzz::decode_ranges(iterable_formats::Format::from_name("sqlite").unwrap(), data);
});

//! Fuzzes the binary COPY (pgcopy) decoder: no panic, and the same records and errors whatever the
//! cuts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let format = iterable_formats::Format::from_name("pgcopy").expect("built in");
    iterable_fuzz::decode(format, data);
});

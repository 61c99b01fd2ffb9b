//! Fuzzes the Arrow IPC file decoder: no panic, and the same whatever the rows at a time.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let format = iterable_formats::Format::from_name("arrow").expect("built with arrow");
    iterable_fuzz::decode_ranges(format, data);
});

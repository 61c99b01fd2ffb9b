//! Fuzzes the yaml decoder: no panic, and the same whatever the cuts.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iterable_fuzz::decode(iterable_formats::Format::YAML, data);
});

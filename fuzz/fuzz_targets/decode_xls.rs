//! Fuzzes the spreadsheet decoder as `xls` (calamine tells the formats apart by content, so
//! this is decode_xlsx's decoder too): no panic, and the same whatever the rows at a time.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    iterable_fuzz::decode_ranges(iterable_formats::Format::from_name("xls").unwrap(), data);
});

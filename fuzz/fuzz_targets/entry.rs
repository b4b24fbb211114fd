#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| margin_fuzz::entry(data));

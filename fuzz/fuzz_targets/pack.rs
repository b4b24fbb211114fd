#![no_main]

libfuzzer_sys::fuzz_target!(init: margin_fuzz::init(), |data: &[u8]| margin_fuzz::pack(data));

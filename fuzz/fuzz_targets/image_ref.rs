//! Fuzz target for the image reference parser:
//! `cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run image_ref -- -max_total_time=60`.
//!
//! Invariants: `parse` never panics; a parsed reference prints back exactly as written;
//! an error's `offset` is a character boundary inside the string.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match pachhook::image_ref::parse(s) {
        Ok(r) => assert_eq!(r.to_string(), s),
        Err(e) => {
            assert!(e.offset <= s.len() && s.is_char_boundary(e.offset));
            assert!(e.position >= 1);
        }
    }
});

//! Fuzzes the spec reader on arbitrary bytes: it must return specs or a ReadError, never
//! panic, overflow the stack or hang.
//!
//! Run from the repository root (needs nightly features; RUSTC_BOOTSTRAP lets a stable
//! toolchain build them):
//!     RUSTC_BOOTSTRAP=1 cargo fuzz run read -- -max_total_time=60
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(specs) = pachhook::spec::read::read(data) {
        // Every position a finding could point at is a real place in the text.
        for spec in &specs {
            assert!(spec.span.start.line >= 1 && spec.span.start.column >= 1);
        }
    }
});

//! A node whose clock the test moves on while it runs: the node is started with
//! libfaketime preloaded, reading its offset from a file the test rewrites. Both the
//! wall clock and the monotonic clock move, so the node's timers fire as if the time had
//! passed. Where libfaketime is missing (Debian's `faketime` package) a test using it is
//! skipped with a message, unless `MARGIN_REQUIRE_FAKETIME=1` (as CI sets) makes that a
//! failure.

use std::path::{Path, PathBuf};

use super::say_skipped;

/// Where Debian and others install libfaketime (its thread-safe build).
const LIBRARIES: [&str; 3] = [
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
    "/usr/lib/faketime/libfaketimeMT.so.1",
];

/// The offset file of one node's clock.
pub struct ShiftedClock {
    library: PathBuf,
    dir: tempfile::TempDir,
}

impl ShiftedClock {
    /// A clock at the true time, or `None` after saying that `test` skipped (where
    /// libfaketime is missing and not required).
    pub fn new(test: &str) -> Option<ShiftedClock> {
        let Some(library) = LIBRARIES.iter().map(Path::new).find(|p| p.exists()) else {
            let why = "libfaketime is missing (Debian's faketime package)";
            assert!(
                std::env::var_os("MARGIN_REQUIRE_FAKETIME").is_none(),
                "{test}: {why}, and MARGIN_REQUIRE_FAKETIME is set"
            );
            say_skipped(
                test,
                &format!("{why}; set MARGIN_REQUIRE_FAKETIME=1 to make this a failure"),
            );
            return None;
        };
        let clock = ShiftedClock {
            library: library.to_path_buf(),
            dir: tempfile::tempdir().expect("a folder for the clock's offset"),
        };
        clock.shift("+0");
        Some(clock)
    }

    fn file(&self) -> PathBuf {
        self.dir.path().join("offset")
    }

    /// Sets the offset from the true time, in libfaketime's notation (`+2h`, `-30m`).
    /// A node reads it again within a second.
    pub fn shift(&self, offset: &str) {
        std::fs::write(self.file(), format!("{offset}\n")).expect("write the clock's offset");
    }

    /// The environment that gives a node this clock.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("LD_PRELOAD".into(), self.library.display().to_string()),
            (
                "FAKETIME_TIMESTAMP_FILE".into(),
                self.file().display().to_string(),
            ),
            ("FAKETIME_CACHE_DURATION".into(), "1".into()),
        ]
    }
}

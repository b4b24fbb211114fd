//! Size limits. Every length read from untrusted bytes is checked against these before
//! anything is allocated, so a hostile peer cannot make a node allocate more than it sent.

/// The largest encoded entry of any kind (a draft import of a long document).
pub const MAX_ENTRY_BYTES: usize = 4 * 1024 * 1024;
/// The largest encoded entry that is not a draft change.
pub const MAX_SMALL_ENTRY_BYTES: usize = 64 * 1024;
/// Causal predecessors one entry may name.
pub const MAX_REFS: usize = 64;
/// Longest comment, reply, suggestion or note, in bytes.
pub const MAX_TEXT_BYTES: usize = 32 * 1024;
/// Longest name, title, affiliation, group, region or tag, in bytes.
pub const MAX_LABEL_BYTES: usize = 512;

/// How far an entry may be dated after the entries it refers to, and how far into the
/// future a node accepts an entry's date before holding it until it is due: five
/// minutes, enough for honest clocks that drift, too little for one wrong clock to
/// close a comment period for others.
pub const CLOCK_SKEW_MS: u64 = 5 * 60 * 1000;

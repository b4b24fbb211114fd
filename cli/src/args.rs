//! The command line, declared in one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use margin_core::ParaId;
use margin_core::body::{CommentKind, DispositionValue, Policy, Role, StanceValue};

/// Margin: review draft documents together, with signed comments, stances and
/// dispositions, peer to peer.
#[derive(Parser, Debug)]
#[command(name = "margin", version, about, long_about = None)]
pub struct Cli {
    /// The node's home directory (key, profile, database).
    #[arg(long, global = true, env = "MARGIN_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Read passphrases from the first line of this file instead of asking at the
    /// terminal (services, scripts).
    #[arg(
        long,
        global = true,
        env = "MARGIN_PASSPHRASE_FILE",
        value_name = "FILE"
    )]
    pub passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create this home's key and self-signed profile.
    Init(InitArgs),
    /// Show who this home's participant is.
    Whoami,
    /// Protect this home's key with a passphrase, or move the participant to another
    /// home (an encrypted identity file).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Link this participant's other devices (a laptop, an office node, a browser) to
    /// one identity, list them, and unlink a lost one.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Create, inspect and govern review spaces.
    #[command(subcommand)]
    Space(SpaceCommand),
    /// Attest a participant's stakeholder group (registrars only).
    Register {
        space: String,
        /// The participant's key (did:key:z6Mk…).
        key: String,
        #[arg(long)]
        stakeholder: String,
        #[arg(long, default_value = "")]
        region: String,
    },
    /// Import, revise, tag, show and compare drafts.
    #[command(subcommand)]
    Draft(DraftCommand),
    /// Comment on a draft, a paragraph or a passage; or edit, retract, re-attach one.
    Comment(CommentArgs),
    /// List a draft's comments with their anchors in the current version.
    Comments {
        draft: String,
        /// Only comments on this paragraph.
        #[arg(long)]
        para: Option<ParaId>,
    },
    /// Take a stance on a paragraph, or on an alternative wording proposed for it
    /// (your latest stance counts).
    Stance {
        draft: String,
        #[arg(long)]
        para: ParaId,
        value: StanceValue,
        #[arg(long)]
        reason: Option<String>,
        /// The comment whose alternative wording the stance is on.
        #[arg(long, value_name = "COMMENT")]
        alternative: Option<String>,
    },
    /// List stances with tallies per paragraph.
    Stances { draft: String },
    /// Answer a comment (editors only).
    Dispose {
        comment: String,
        value: DispositionValue,
        #[arg(long, default_value = "")]
        note: String,
        /// The revision that carried the comment out.
        #[arg(long)]
        revision: Option<String>,
    },
    /// Exchange a space's entries as a file.
    #[command(subcommand)]
    Bundle(BundleCommand),
    /// Maintain the local database.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Search comments and draft text.
    Search {
        query: String,
        #[arg(long)]
        space: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Run this node: sync spaces with peers and serve the web UI and API.
    Node(NodeArgs),
    /// The running node's peers: addresses, shared spaces, penalties.
    Peers,
    /// The running node's sync state.
    #[command(subcommand)]
    Sync(SyncCommand),
    /// Replicate spaces for others (mirrors).
    #[command(subcommand)]
    Mirror(MirrorCommand),
    /// Refuse a key's entries or a peer's connections.
    Block {
        what: BlockTarget,
        value: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Lift a block.
    Unblock { what: BlockTarget, value: String },
    /// List the keys and peers this node refuses, and the keys it mutes.
    Blocked,
    /// Stop showing a participant's comments here (they are still kept and passed on;
    /// nobody else is affected).
    Mute {
        /// The participant's key (did:key:z6Mk…).
        key: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Show a muted participant's comments again.
    Unmute { key: String },
    /// Hide an entry from every participant's view, with a reason they all see where it
    /// was (conveners only). It stays stored, verifiable and counted as hidden.
    Hide {
        /// The entry (a comment), by id or prefix.
        entry: String,
        #[arg(long)]
        reason: String,
    },
    /// Show a hidden entry again, with a reason (conveners only).
    Unhide {
        entry: String,
        #[arg(long)]
        reason: String,
    },
    /// Load a sample review space (a Best Practice Forum draft with comments from
    /// several participants) into this home, and print how to explore it.
    Demo,
    /// Sign on to someone else's comment, for yourself or for a coalition you are a
    /// member of.
    Cosign {
        comment: String,
        /// Sign for this coalition (its key, did:key:z6Mk…), which has admitted you.
        #[arg(long, value_name = "KEY")]
        coalition: Option<String>,
        /// Take your signature back.
        #[arg(long)]
        withdraw: bool,
    },
    /// As a coalition (this home's key), admit or remove the members who sign for it.
    #[command(subcommand)]
    Coalition(CoalitionCommand),
    /// The objection register: every objection to a draft and its state.
    Objections {
        draft: String,
        #[command(flatten)]
        count: CountArgs,
    },
    /// Each paragraph's status and tallies by group, convergence across stakeholder and
    /// opinion groups.
    Consensus {
        draft: String,
        #[command(flatten)]
        count: CountArgs,
    },
    /// Alternative wordings side by side with the current text and their support by
    /// group.
    Alternatives {
        draft: String,
        #[command(flatten)]
        count: CountArgs,
    },
    /// Bracketed variants of one passage ("[one wording] [another]") in a draft; `offer`
    /// makes them alternatives to choose between.
    Brackets(BracketsArgs),
    /// Accept an alternative wording into a revision and answer its comment (editors
    /// only).
    Accept {
        comment: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Participation by stakeholder group and region: whose voice is missing.
    Balance {
        space: String,
        /// Only this draft.
        #[arg(long)]
        draft: Option<String>,
        #[command(flatten)]
        count: CountArgs,
    },
    /// What is new for you since you last looked: replies to and dispositions of your
    /// comments, new revisions (and what changed since you last read each draft), new
    /// comments and objections where you commented or took a stance, comment periods
    /// closing within a week.
    News {
        /// Entries made since this date (YYYY-MM-DD or RFC 3339), read or not, instead of
        /// those that arrived since you last marked the news read.
        #[arg(long)]
        since: Option<String>,
        /// Mark everything read after showing it (on this node only).
        #[arg(long)]
        mark_read: bool,
    },
    /// Export a draft's comment-resolution matrix, report, chair's summary, annotations
    /// or Automerge file, naming the entries it was made from.
    Export {
        draft: String,
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Write to this file (needed for automerge); else print.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        count: CountArgs,
    },
    /// Check an exported file against the signed entries this node holds.
    Verify { file: PathBuf },
}

/// Who the figures count.
#[derive(Args, Debug, Clone, Copy)]
pub struct CountArgs {
    /// Count registered participants only (the default under `--policy registered`).
    #[arg(long, conflicts_with = "everyone")]
    pub registered_only: bool,
    /// Count every participant, registered or not.
    #[arg(long)]
    pub everyone: bool,
}

#[derive(Subcommand, Debug)]
pub enum CoalitionCommand {
    /// Admit a member: their sign-ons for this coalition count as its own.
    Add { space: String, member: String },
    /// Remove a member.
    Remove { space: String, member: String },
    /// List a coalition's members (this home's, or the coalition given).
    Members {
        space: String,
        #[arg(long, value_name = "KEY")]
        coalition: Option<String>,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ExportFormat {
    /// Comment-resolution matrix, CSV.
    Csv,
    /// Report, Markdown.
    Md,
    /// Report, HTML.
    Html,
    /// Chair's summary skeleton, Markdown.
    Summary,
    /// W3C Web Annotations, JSON-LD.
    Annotations,
    /// The draft as an Automerge document file.
    Automerge,
}

#[derive(Args, Debug)]
pub struct NodeArgs {
    /// Address to listen on for peers (repeatable), e.g. /ip4/0.0.0.0/tcp/4242.
    /// Default: TCP and QUIC on port 4242 on every interface.
    #[arg(long, value_name = "MULTIADDR")]
    pub listen: Vec<String>,
    /// A peer to connect to at start (repeatable), e.g. /ip4/203.0.113.7/tcp/4242/p2p/12D3….
    #[arg(long, value_name = "MULTIADDR")]
    pub bootstrap: Vec<String>,
    /// Do not look for peers on the local network with mDNS.
    #[arg(long)]
    pub no_mdns: bool,
    /// Where to serve the local web UI and API.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7420")]
    pub http: std::net::SocketAddr,
    /// Also serve a public read-only view of the spaces here (for mirrors).
    #[arg(long, value_name = "ADDR")]
    pub public: Option<std::net::SocketAddr>,
    /// On the public address, let visitors take part with keys held in their browsers
    /// (`/participate`): the node takes the entries their browsers sign, judged as a
    /// peer's. Needs `--public`.
    #[arg(long, requires = "public")]
    pub public_participation: bool,
    /// Run a circuit relay server so that peers behind NAT can reach each other (mirrors).
    #[arg(long)]
    pub relay_server: bool,
    /// An address at which others reach this node (repeatable), when it differs from
    /// what it listens on or should be announced as confirmed: a public address, a
    /// forwarded port. A relay server serves only at a confirmed address; without this,
    /// `--relay-server` takes its listen addresses as confirmed.
    #[arg(long, value_name = "MULTIADDR")]
    pub external: Vec<String>,
    /// A relay to be reachable through (repeatable), e.g. a mirror's /ip4/…/tcp/4242/p2p/12D3….
    #[arg(long, value_name = "MULTIADDR")]
    pub relay: Vec<String>,
    /// Replicate and serve every space a peer offers (a mirror), not only your own and
    /// those on the mirror list.
    #[arg(long)]
    pub mirror_all: bool,
}

#[derive(Subcommand, Debug)]
pub enum SyncCommand {
    /// Show, per space and peer, whether they are in sync, what is pending, and when
    /// they last synced.
    Status { space: Option<String> },
    /// Reconcile a space with every connected peer and return once the node is in sync.
    Wait {
        space: String,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
        /// Also wait until at least this many peers hold the space.
        #[arg(long, default_value_t = 0)]
        min_peers: usize,
    },
}

#[derive(Subcommand, Debug)]
pub enum MirrorCommand {
    /// Replicate and serve a space (by id, or a prefix of a space this node holds).
    Add { space: String },
    /// Stop replicating a space (what is stored stays).
    Remove { space: String },
    /// The spaces on the mirror list.
    List,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum BlockTarget {
    /// A participant's key (did:key:z6Mk…): their entries are not stored.
    Key,
    /// A node's peer id (12D3Koo…): its connections are refused.
    Peer,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    #[arg(long)]
    pub name: String,
    #[arg(long, default_value = "")]
    pub affiliation: String,
    /// Stakeholder group, e.g. civil-society, government, private-sector,
    /// technical-community, academia, intergovernmental.
    #[arg(long, default_value = "")]
    pub stakeholder: String,
    #[arg(long, default_value = "")]
    pub region: String,
    /// Protect the key with a passphrase (asked twice, or read from --passphrase-file):
    /// it is never written in the clear.
    #[arg(long)]
    pub passphrase: bool,
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Protect the key with a passphrase (or change the passphrase it has): every
    /// command that signs asks for it, once.
    Protect {
        /// Read the new passphrase from this file when the key already has one (the
        /// current one comes from --passphrase-file).
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Store the key in the clear again (readable by you only), after its passphrase.
    Unprotect,
    /// Write this participant (key and profile) to an identity file, encrypted with a
    /// passphrase of its own, to import in another home or keep as a backup.
    Export {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Replace this home's key with a new one, linked from the old: what the old key
    /// signed stays yours; what it signs from now on counts for nothing (a key that may
    /// have leaked). Roles the old key holds are granted to the new one first.
    Rotate,
    /// Make this home the participant of an identity file (from `margin key export`).
    Import {
        file: PathBuf,
        /// Replace the participant this home already has (their key is lost unless
        /// exported first).
        #[arg(long)]
        replace: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum DeviceCommand {
    /// On a new device: print a one-time code (good for a day) to give to
    /// `margin device add` on the home that holds the identity. Creates this home's key
    /// if it has none.
    Link {
        /// This device's own name, shown only until the link arrives.
        #[arg(long, default_value = "New device")]
        name: String,
    },
    /// On the home that holds the identity: link the device whose code is given; what
    /// it signs counts as yours once the link reaches the spaces (sync).
    Add {
        code: String,
        #[arg(long, default_value = "device")]
        name: String,
    },
    /// The devices linked to this identity.
    List,
    /// Unlink a device (lost, stolen, retired): what it signs from now on counts for
    /// nothing.
    Revoke {
        /// The device's key (did:key:z6Mk…, from `margin device list`).
        key: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum SpaceCommand {
    /// Create a space; you become its convener, editor and registrar.
    Create {
        title: String,
        #[arg(long, value_enum, default_value_t = Policy::Open)]
        policy: Policy,
        /// When the comment period opens (YYYY-MM-DD or RFC 3339; a date means 00:00 UTC).
        #[arg(long)]
        opens: Option<String>,
        /// When it closes (a date means the end of that day, UTC).
        #[arg(long)]
        closes: Option<String>,
    },
    /// Attest that a new key replaces a participant's lost key in this space
    /// (conveners only): the new key speaks as that participant, and what the lost key
    /// signs from now on counts for nothing here.
    ReplaceKey {
        space: String,
        /// The lost key (did:key:z6Mk…).
        lost: String,
        /// The participant's new key.
        key: String,
        /// Why, for the record (e.g. how the participant proved who they are).
        #[arg(long)]
        reason: String,
    },
    /// Give a role to a key (conveners only).
    Grant {
        space: String,
        role: Role,
        key: String,
    },
    /// Take a role from a key (conveners only).
    Revoke {
        space: String,
        role: Role,
        key: String,
    },
    /// Change the title, policy or comment period (conveners only).
    Amend {
        space: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long, value_enum)]
        policy: Option<Policy>,
        /// New opening date, or "none".
        #[arg(long)]
        opens: Option<String>,
        /// New closing date, or "none".
        #[arg(long)]
        closes: Option<String>,
    },
    /// Show a space's charter, roles and drafts.
    Show { space: String },
    /// Print an invite: the space's id and this node's addresses (the node must run).
    Invite { space: String },
    /// Join a space from an invite: connect to the inviting node and fetch the space.
    Join {
        invite: String,
        /// Return at once instead of waiting for the space to arrive.
        #[arg(long)]
        no_wait: bool,
        /// Give up waiting after this many seconds (fetching goes on in the node).
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
    /// List the spaces this node holds.
    List,
}

#[derive(Subcommand, Debug)]
pub enum DraftCommand {
    /// Import a Markdown file as a new draft (editors only).
    Import {
        space: String,
        file: PathBuf,
        #[arg(long)]
        title: Option<String>,
        #[arg(long, default_value = "Imported")]
        message: String,
    },
    /// Show a draft: sections and numbered paragraphs with their ids.
    Show {
        draft: String,
        /// A named version instead of the current one.
        #[arg(long)]
        version: Option<String>,
        /// Print the Markdown file exactly as it reads at that version.
        #[arg(long)]
        markdown: bool,
    },
    /// Record a new version of the file as one signed revision (editors only).
    Update {
        draft: String,
        file: PathBuf,
        #[arg(long, default_value = "Revised")]
        message: String,
    },
    /// Name the current version, e.g. "v1" (editors only).
    Tag { draft: String, name: String },
    /// List revisions and named versions.
    Log { draft: String },
    /// Show what changed between two versions (names, "current", or "@HEADS" as `margin
    /// news` gives them).
    Diff {
        draft: String,
        from: String,
        to: String,
    },
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct CommentArgs {
    #[command(subcommand)]
    pub action: Option<CommentAction>,
    /// The draft to comment on.
    #[arg(required = true)]
    pub draft: Option<String>,
    /// The paragraph (id from `margin draft show`); without it the comment is on the
    /// whole draft.
    #[arg(long)]
    pub para: Option<ParaId>,
    /// The passage of the paragraph the comment is about.
    #[arg(long)]
    pub quote: Option<String>,
    #[arg(long, required = true)]
    pub body: Option<String>,
    #[arg(long, value_enum, default_value_t = CommentKind::Comment)]
    pub kind: CommentKind,
    /// Alternative wording for the passage (makes the comment a suggestion).
    #[arg(long)]
    pub suggest: Option<String>,
    /// Reply to this comment.
    #[arg(long)]
    pub reply: Option<String>,
    /// Comment on a named version instead of the current one.
    #[arg(long)]
    pub version: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum CommentAction {
    /// Change the wording of your comment.
    Edit {
        comment: String,
        #[arg(long)]
        body: String,
        #[arg(long)]
        suggest: Option<String>,
    },
    /// Withdraw your comment.
    Retract {
        comment: String,
        /// Also ask every node to erase its text and the text of its edits; nodes keep
        /// only signed stubs, so replies and answers still hold together.
        #[arg(long)]
        erase: bool,
    },
    /// Anchor a comment to a passage of the current draft (editors only).
    Reattach {
        comment: String,
        #[arg(long)]
        para: ParaId,
        #[arg(long)]
        quote: Option<String>,
    },
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct BracketsArgs {
    #[command(subcommand)]
    pub action: Option<BracketsAction>,
    /// The draft whose paragraphs with bracketed variants to list.
    #[arg(required = true)]
    pub draft: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum BracketsAction {
    /// Offer a paragraph's bracketed variants as alternatives to choose between: one
    /// suggestion per variant, proposing its wording without brackets for the bracketed
    /// passage (variants already proposed are left as they are).
    Offer {
        draft: String,
        /// The paragraph (id from `margin draft show` or `margin brackets`).
        #[arg(long)]
        para: ParaId,
    },
}

#[derive(Subcommand, Debug)]
pub enum BundleCommand {
    /// Write every entry of a space to a file.
    Create {
        space: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Check and import the entries of a bundle.
    Import { file: PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum StoreCommand {
    /// Recreate every index from the stored entries, first moving any entry the store
    /// keeps in the wrong place (accepted, waiting or refused) to where it belongs.
    Rebuild,
    /// Check the database file (SQLite's integrity check), and that the stored entries,
    /// the waiting set, the indexes and the search rows agree with each other and with
    /// the state the entries make; exits non-zero with a report when they do not.
    /// Changes nothing, unless `--repair`.
    Check {
        /// Repair what the check finds (as `margin store rebuild` does), then check
        /// again; exits non-zero only if something is still wrong.
        #[arg(long)]
        repair: bool,
    },
}

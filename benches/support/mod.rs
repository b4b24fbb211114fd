//! What the benchmarks share: realistic review spaces made from fixed seeds, a sync link
//! between two real nodes driven in memory, and a printed table of figures.
//!
//! A generated space is signed and checked exactly as the CLI would write it: every
//! entry names the charter heads, the draft revisions of the version it was made on, its
//! thread parent or target comment; a participant's profile precedes their first entry;
//! each entry is applied to a [`Space`] as it is made, so a refused one stops the run.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use margin_core::body::*;
use margin_core::entry::{Entry, Kind};
use margin_core::id::{DraftId, EntryId, SpaceId};
use margin_core::key::SigningKey;
use margin_core::{ParaId, Timestamp};
use margin_draft::Draft;
use margin_node::Node;
use margin_node::node::Outcome;
use margin_space::{Space, Verdict};
use margin_sync::message::Message;
use margin_sync::service::{Config, Output, Service, Verdict as SyncVerdict};

pub mod process;

/// 2026-01-01T00:00:00Z, the first entry's time.
pub const T0: u64 = 1_767_225_600_000;

/// The draft every generated space reviews.
pub const FIXTURE_DRAFT: &str = include_str!("../../tests/fixtures/bpf-draft-v1.md");

/// A small deterministic generator (SplitMix64): the same seed gives the same space.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const GROUPS: [&str; 6] = [
    "government",
    "civil-society",
    "private-sector",
    "technical-community",
    "academia",
    "intergovernmental",
];
const REGIONS: [&str; 5] = [
    "Africa",
    "Asia-Pacific",
    "Eastern Europe",
    "Latin America and Caribbean",
    "Western European and Others",
];

/// A participant of a generated space.
struct Person {
    key: SigningKey,
    profile: Profile,
    in_space: bool,
}

/// What an entry made on the current version of the draft names and quotes.
struct Version {
    heads: Vec<ChangeHash>,
    /// The draft's creation entry and the revisions carrying `heads`.
    refs: Vec<EntryId>,
    /// Paragraph ids and texts.
    paragraphs: Vec<(ParaId, String)>,
    /// Anchors made so far on each paragraph at this version; comments on the same
    /// passage are common, so a few are made per paragraph and reused.
    anchors: HashMap<ParaId, Vec<Anchor>>,
}

/// A generated space: its entries in acceptance order (causes before effects).
pub struct Generated {
    pub space: SpaceId,
    pub draft: DraftId,
    pub entries: Vec<Entry>,
}

impl Generated {
    /// The entries' bytes, as a peer or a bundle hands them over.
    pub fn raw(&self) -> Vec<Vec<u8>> {
        self.entries.iter().map(|e| e.bytes().to_vec()).collect()
    }

    /// The sum of the entries' sizes.
    pub fn bytes(&self) -> usize {
        self.entries.iter().map(|e| e.bytes().len()).sum()
    }

    /// "12 000 comments, 6 000 stances, …": what the space is made of.
    pub fn summary(&self) -> String {
        let mut counts: BTreeMap<Kind, usize> = BTreeMap::new();
        for e in &self.entries {
            *counts.entry(e.kind()).or_default() += 1;
        }
        let parts: Vec<String> = counts
            .iter()
            .map(|(k, n)| format!("{} {}", thousands(*n as u64), k.name()))
            .collect();
        format!(
            "{} entries, {} ({} bytes)",
            thousands(self.entries.len() as u64),
            parts.join(", "),
            thousands(self.bytes() as u64)
        )
    }
}

/// Makes a review space one signed entry at a time.
pub struct Generator {
    rng: Rng,
    space: Space,
    entries: Vec<Entry>,
    time: u64,
    editor: SigningKey,
    device: [u8; 4],
    people: Vec<Person>,
    draft: Option<DraftId>,
    version: Option<Version>,
    /// Comments and the participant who wrote each.
    comments: Vec<(EntryId, usize)>,
    words: Vec<&'static str>,
}

impl Generator {
    /// A space whose convener, editor and registrar is one editor, with `participants`
    /// other people who comment and take stances (their profiles are published before
    /// their first entry).
    pub fn new(seed: u64, participants: usize) -> Generator {
        let mut rng = Rng::new(seed);
        let mut seed_bytes = [0u8; 32];
        seed_bytes[..8].copy_from_slice(&rng.next().to_le_bytes());
        let editor = SigningKey::from_seed(seed_bytes);
        let me = editor.public();
        let charter = Charter {
            title: "BPF on Cybersecurity 2026: output report".into(),
            policy: Policy::Open,
            opens: None,
            closes: None,
            conveners: vec![me],
            editors: vec![me],
            registrars: vec![me],
            stakeholder_groups: vec![],
            nonce: rng.next(),
        };
        let genesis = Entry::sign(
            &editor,
            None,
            Timestamp::from_millis(T0),
            vec![],
            &Body::Charter(charter),
        )
        .expect("the charter signs");
        let space = Space::new(genesis.clone()).expect("the charter starts a space");
        let people = (0..participants)
            .map(|i| {
                let mut seed = [0u8; 32];
                seed[..8].copy_from_slice(&rng.next().to_le_bytes());
                seed[8..16].copy_from_slice(&(i as u64).to_le_bytes());
                Person {
                    key: SigningKey::from_seed(seed),
                    profile: Profile {
                        name: format!("Participant {i}"),
                        affiliation: format!("Organisation {}", i % 97),
                        stakeholder: GROUPS[i % GROUPS.len()].into(),
                        region: REGIONS[(i / GROUPS.len()) % REGIONS.len()].into(),
                    },
                    in_space: false,
                }
            })
            .collect();
        let words = FIXTURE_DRAFT
            .split(|c: char| !c.is_alphanumeric() && c != '-')
            .filter(|w| w.len() > 1)
            .collect();
        let mut generator = Generator {
            rng,
            space,
            entries: vec![genesis],
            time: T0,
            editor,
            device: [0, 0, 0, 1],
            people,
            draft: None,
            version: None,
            comments: vec![],
            words,
        };
        let profile = Profile {
            name: "Maria Okafor".into(),
            affiliation: "BPF Cybersecurity co-facilitator".into(),
            stakeholder: "technical-community".into(),
            region: "Africa".into(),
        };
        let editor = generator.editor.clone();
        generator.push(&editor, vec![], Body::Profile(profile));
        generator
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn finish(self) -> Generated {
        Generated {
            space: self.space.id(),
            draft: self.draft.expect("a draft was imported"),
            entries: self.entries,
        }
    }

    /// Signs, checks against the space and keeps one entry; the charter heads are added
    /// to `refs`, and the time moves on by about a second.
    fn push(&mut self, key: &SigningKey, mut refs: Vec<EntryId>, body: Body) -> EntryId {
        refs.extend(self.space.charter_heads());
        self.time += 500 + self.rng.below(1000) as u64;
        let entry = Entry::sign(
            key,
            Some(self.space.id()),
            Timestamp::from_millis(self.time),
            refs,
            &body,
        )
        .expect("a generated entry signs");
        let id = entry.id();
        for (decided, verdict) in self.space.apply(entry.clone()) {
            assert_eq!(
                verdict,
                Verdict::Accepted,
                "generated {} {} refused",
                decided.kind().name(),
                decided.id()
            );
        }
        self.entries.push(entry);
        id
    }

    fn actor(&self) -> automerge::ActorId {
        let mut bytes = self.editor.public().as_bytes().to_vec();
        bytes.extend_from_slice(&self.device);
        automerge::ActorId::from(bytes)
    }

    /// The editor imports the fixture draft.
    pub fn import_draft(&mut self) {
        self.import(FIXTURE_DRAFT);
    }

    /// The editor imports a Markdown draft.
    pub fn import(&mut self, markdown: &str) {
        let (_, change) = Draft::import(
            self.actor(),
            markdown,
            None,
            Timestamp::from_millis(self.time),
            "First draft for public comment",
        )
        .expect("the fixture imports");
        let body = Body::DraftChange(DraftChange {
            draft: None,
            changes: vec![serde_bytes::ByteBuf::from(change)],
            message: "First draft for public comment".into(),
        });
        let editor = self.editor.clone();
        let id = self.push(&editor, vec![], body);
        self.draft = Some(id);
        self.read_version();
    }

    /// The current version of the draft, as a commenter reads it.
    fn read_version(&mut self) {
        let draft = self.draft.expect("a draft was imported");
        let state = self.space.draft(&draft).expect("the draft is in the space");
        let heads = state.doc.heads();
        let mut refs = vec![draft];
        refs.extend(state.entries_carrying(&heads));
        let view = state.doc.view(None).expect("the draft reads");
        let paragraphs = view
            .sections
            .into_iter()
            .flat_map(|s| s.paragraphs)
            .map(|p| (p.id, p.text))
            .collect();
        self.version = Some(Version {
            heads,
            refs,
            paragraphs,
            anchors: HashMap::new(),
        });
    }

    fn sentence(&mut self, min: usize, max: usize) -> String {
        let n = self.rng.between(min, max);
        let mut out = String::new();
        for i in 0..n {
            let w = *self.rng.pick(&self.words);
            if i == 0 {
                let mut c = w.chars();
                if let Some(first) = c.next() {
                    out.extend(first.to_uppercase());
                    out.push_str(c.as_str());
                }
            } else {
                out.push(' ');
                out.push_str(&w.to_lowercase());
            }
        }
        out.push('.');
        out
    }

    fn text(&mut self, sentences: (usize, usize)) -> String {
        let n = self.rng.between(sentences.0, sentences.1);
        (0..n)
            .map(|_| self.sentence(6, 24))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// One small revision by the editor: a word replaced, inserted or removed in one
    /// paragraph, now and then a new paragraph.
    pub fn revise(&mut self) {
        let draft = self.draft.expect("a draft was imported");
        let state = self.space.draft(&draft).expect("the draft is in the space");
        let markdown = state.doc.render_markdown(None).expect("the draft renders");
        let mut blocks: Vec<String> = markdown.split("\n\n").map(str::to_owned).collect();
        let editable: Vec<usize> = blocks
            .iter()
            .enumerate()
            .filter(|(_, b)| !b.starts_with('#') && b.split_whitespace().count() > 4)
            .map(|(i, _)| i)
            .collect();
        let at = *self.rng.pick(&editable);
        let mut words: Vec<String> = blocks[at].split(' ').map(str::to_owned).collect();
        let w = self.rng.between(1, words.len() - 2);
        let message;
        match self.rng.below(10) {
            0..=5 => {
                words[w] = self.rng.pick(&self.words).to_lowercase();
                message = "Wording";
            }
            6 | 7 => {
                let phrase = self.sentence(2, 6).to_lowercase();
                words.insert(w, phrase.trim_end_matches('.').to_owned());
                message = "Clarification";
            }
            8 => {
                words.remove(w);
                message = "Shorter";
            }
            _ => {
                let paragraph = self.text((1, 3));
                blocks.insert(at + 1, paragraph);
                message = "New paragraph after comments";
            }
        }
        blocks[at] = words.join(" ");
        let markdown = blocks.join("\n\n");
        let state = self.space.draft(&draft).expect("the draft is in the space");
        let heads = state.doc.heads();
        let mut refs = vec![draft];
        refs.extend(state.entries_carrying(&heads));
        let mut doc = state.doc.clone();
        let message = format!("{message} (revision {})", self.entries.len());
        let Some(change) = doc
            .update(
                self.actor(),
                &markdown,
                Timestamp::from_millis(self.time),
                &message,
            )
            .expect("the revision applies")
        else {
            return;
        };
        let body = Body::DraftChange(DraftChange {
            draft: Some(draft),
            changes: vec![serde_bytes::ByteBuf::from(change)],
            message,
        });
        let editor = self.editor.clone();
        self.push(&editor, refs, body);
        self.read_version();
    }

    /// A participant who has or gets a profile in the space.
    fn someone(&mut self) -> usize {
        let who = self.rng.below(self.people.len());
        if !self.people[who].in_space {
            self.people[who].in_space = true;
            let key = self.people[who].key.clone();
            let profile = self.people[who].profile.clone();
            self.push(&key, vec![], Body::Profile(profile));
        }
        who
    }

    /// An anchor on a passage of a random paragraph of the current version.
    fn anchor(&mut self) -> Option<Anchor> {
        let version = self.version.as_ref().expect("a draft was imported");
        let (pid, text) = self.rng.pick(&version.paragraphs).clone();
        let made = version.anchors.get(&pid).map_or(0, Vec::len);
        if made >= 3 {
            let i = self.rng.below(made);
            return Some(version.anchors[&pid][i].clone());
        }
        let words: Vec<&str> = text.split(' ').collect();
        let quote = if self.rng.chance(0.8) && words.len() > 3 {
            let start = self.rng.below(words.len() - 2);
            let len = self.rng.between(2, 6).min(words.len() - start);
            Some(words[start..start + len].join(" "))
        } else {
            None
        };
        let draft = self.draft.expect("a draft was imported");
        let state = self.space.draft(&draft).expect("the draft is in the space");
        let heads = version.heads.clone();
        let anchor = state
            .doc
            .anchor(&pid, quote.as_deref(), &heads)
            .or_else(|_| state.doc.anchor(&pid, None, &heads))
            .expect("a paragraph of this version anchors");
        let anchor = margin_space::view::wire_anchor(&anchor);
        let version = self.version.as_mut().expect("a draft was imported");
        version.anchors.entry(pid).or_default().push(anchor.clone());
        Some(anchor)
    }

    /// A comment on a passage, a paragraph or the whole draft; or a reply in a thread.
    pub fn comment(&mut self, reply: bool) {
        let who = self.someone();
        let parent = if reply && !self.comments.is_empty() {
            // Replies go to recent comments mostly.
            let recent = self.comments.len().min(300);
            let i = self.comments.len() - 1 - self.rng.below(recent);
            Some(self.comments[i].0)
        } else {
            None
        };
        let anchor = if parent.is_none() && self.rng.chance(0.85) {
            self.anchor()
        } else {
            None
        };
        let kind = match self.rng.below(20) {
            0..=9 => CommentKind::Comment,
            10..=13 => CommentKind::Question,
            14..=16 => CommentKind::Suggestion,
            _ => CommentKind::Objection,
        };
        let suggestion = (kind == CommentKind::Suggestion).then(|| self.text((1, 2)));
        let text = self.text((1, 4));
        let version = self.version.as_ref().expect("a draft was imported");
        let mut refs = version.refs.clone();
        refs.extend(parent);
        let body = Body::Comment(Comment {
            draft: self.draft.expect("a draft was imported"),
            heads: version.heads.clone(),
            anchor,
            kind,
            text,
            suggestion,
            parent,
        });
        let key = self.people[who].key.clone();
        let id = self.push(&key, refs, body);
        self.comments.push((id, who));
    }

    /// A participant's stance on a paragraph.
    pub fn stance(&mut self) {
        let who = self.someone();
        let version = self.version.as_ref().expect("a draft was imported");
        let (para, _) = self.rng.pick(&version.paragraphs).clone();
        let value = *self.rng.pick(&[
            StanceValue::Support,
            StanceValue::Support,
            StanceValue::Accept,
            StanceValue::Object,
            StanceValue::Abstain,
        ]);
        let reason = self.rng.chance(0.3).then(|| self.sentence(5, 20));
        let version = self.version.as_ref().expect("a draft was imported");
        let refs = version.refs.clone();
        let body = Body::Stance(Stance {
            draft: self.draft.expect("a draft was imported"),
            para,
            heads: version.heads.clone(),
            value,
            reason,
        });
        let key = self.people[who].key.clone();
        self.push(&key, refs, body);
    }

    /// The editor's answer to a comment.
    pub fn disposition(&mut self) {
        let Some(&(comment, _)) = self
            .comments
            .get(self.rng.below(self.comments.len().max(1)))
        else {
            return;
        };
        let value = *self.rng.pick(&[
            DispositionValue::Accepted,
            DispositionValue::Partly,
            DispositionValue::Declined,
            DispositionValue::Noted,
        ]);
        let note = self.sentence(6, 30);
        let body = Body::Disposition(Disposition {
            comment,
            value,
            note,
            revision: None,
        });
        let editor = self.editor.clone();
        self.push(&editor, vec![comment], body);
    }

    /// An author rewords one of their comments.
    pub fn edit(&mut self) {
        let Some(&(comment, who)) = self
            .comments
            .get(self.rng.below(self.comments.len().max(1)))
        else {
            return;
        };
        let text = self.text((1, 3));
        let body = Body::CommentEdit(CommentEdit {
            comment,
            text,
            suggestion: None,
        });
        let key = self.people[who].key.clone();
        self.push(&key, vec![comment], body);
    }
}

/// A realistic review space of `n` entries: one draft revised about once per thousand
/// entries; comments on passages (with replies), stances, dispositions, a few edits;
/// one participant for every 40 entries.
pub fn realistic_space(seed: u64, n: usize) -> Generated {
    let mut g = Generator::new(seed, (n / 40).max(5));
    g.import_draft();
    while g.len() < n {
        match g.rng.below(1000) {
            0 => g.revise(),
            1..=400 => g.comment(false),
            401..=550 => g.comment(true),
            551..=880 => g.stance(),
            881..=970 => g.disposition(),
            _ => g.edit(),
        }
    }
    g.entries.truncate(n);
    g.finish()
}

/// A space whose one draft, `markdown`, has `revisions` signed revisions (the import and
/// then small edits by its editor), and nothing else but the charter and the editor's
/// profile.
pub fn draft_with_revisions(seed: u64, markdown: &str, revisions: usize) -> Generated {
    let mut g = Generator::new(seed, 0);
    g.import(markdown);
    let mut made = 1;
    while made < revisions {
        let before = g.len();
        g.revise();
        made += g.len() - before;
    }
    g.finish()
}

/// A report of about `bytes` bytes of Markdown: the fixture draft followed by generated
/// sections of findings, as a full output report would have.
pub fn long_draft(seed: u64, bytes: usize) -> String {
    let mut g = Generator::new(seed, 0);
    let mut out = FIXTURE_DRAFT.trim_end().to_owned();
    let mut section = 1;
    while out.len() < bytes {
        out.push_str(&format!(
            "\n\n## {}. {}\n",
            4 + section / 5,
            g.sentence(2, 5)
        ));
        for _ in 0..g.rng.between(2, 5) {
            out.push('\n');
            out.push_str(&g.text((2, 5)));
            out.push('\n');
        }
        section += 1;
    }
    out.push('\n');
    out
}

// ---- two real nodes, synced in memory --------------------------------------------------

/// The sync service's view of a node: its store, and its drafts to pack revisions from,
/// as the daemon's engine gives it.
pub struct Stored<'a>(pub &'a Node, pub Packing);

/// Whether a node packs draft revisions it serves (as every node does), or sends every
/// entry whole (as nodes did before protocol 3), for comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packing {
    On,
    Off,
}

impl margin_sync::service::Store for Stored<'_> {
    fn items(&self, space: &SpaceId) -> Vec<(Timestamp, EntryId)> {
        self.0
            .store()
            .space_items(space)
            .expect("the store lists a space")
    }

    fn entries(&self, space: &SpaceId, ids: &[EntryId]) -> Vec<Vec<u8>> {
        self.0
            .store()
            .entry_bytes(space, ids)
            .expect("the store reads entries")
    }

    fn reading(
        &self,
        space: &SpaceId,
        after: Option<margin_sync::message::Place>,
        limit: usize,
    ) -> Option<Vec<margin_sync::message::Place>> {
        let after = after.map(|place| {
            let (part, time) = place.part_and_time();
            (part, time, place.id())
        });
        let page = self
            .0
            .store()
            .reading_page(space, after, limit)
            .expect("the store reads a page");
        Some(
            page.into_iter()
                .map(|(part, time, id)| margin_sync::message::Place::new(part, time, id))
                .collect(),
        )
    }

    fn pack(&self, space: &SpaceId, entries: &[Vec<u8>]) -> Option<Vec<u8>> {
        match self.1 {
            Packing::On => self.0.pack_entries(space, entries),
            Packing::Off => None,
        }
    }

    fn unpack(
        &self,
        pack: &[u8],
        max_entries: usize,
        max_bytes: usize,
    ) -> Result<Vec<Vec<u8>>, String> {
        margin_draft::pack::unpack(pack, max_entries, max_bytes).map_err(|e| e.to_string())
    }
}

/// Frames and bytes one side sent, by message kind.
#[derive(Clone, Debug, Default)]
pub struct Sent {
    pub frames: u64,
    /// Frame bytes as the transport sends them: compressed as one zstd stream per
    /// direction, with the 4-byte length prefix of each frame.
    pub bytes: u64,
    pub by_kind: BTreeMap<&'static str, (u64, u64)>,
}

/// Two nodes (real stores, real verification) running the real sync service, with the
/// frames between them carried in memory: no loss, no latency. The same loop as the
/// daemon's engine, minus the sockets.
pub struct Link {
    pub services: [Service<u8>; 2],
    pub nodes: [Node; 2],
    pub sent: [Sent; 2],
    /// The longest chain of messages each caused by the one before: one-way trips on
    /// the critical path.
    pub hops: u32,
    /// Entries handed to each node's `receive_entries`, and time spent there.
    pub delivered: [usize; 2],
    pub receive_time: Duration,
    pub refused: Vec<String>,
    /// Each direction's stream compression, as the transport does it.
    compressors: [margin_net::framing::FrameCompressor; 2],
    /// The link's rate in bytes per millisecond each way and its one-way latency in
    /// milliseconds; none for an instant link, where everything happens at one time.
    pub shape: Option<(f64, f64)>,
    /// When each direction's link is free again (ms).
    free: [f64; 2],
    /// Whether the nodes pack revisions they serve.
    pub packing: Packing,
    /// The time of the last message handled (ms).
    pub clock: f64,
}

/// An output due at a time (µs), in the order it was queued, from a node, on a chain of
/// `hop` messages.
struct Due(u64, u64, u8, Output<u8>, u32);

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        (self.0, self.1) == (other.0, other.1)
    }
}
impl Eq for Due {}
impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Due {
    /// Reversed: the heap pops the earliest first.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.0, other.1).cmp(&(self.0, self.1))
    }
}

pub fn kind_of(message: &Message) -> &'static str {
    match message {
        Message::Hello { .. } => "Hello",
        Message::Reconcile { .. } => "Reconcile",
        Message::ReconcileReply { .. } => "ReconcileReply",
        Message::Done { .. } => "Done",
        Message::Have { .. } => "Have",
        Message::Want { .. } => "Want",
        Message::Entries { .. } => "Entries",
        Message::WantRange { .. } => "WantRange",
        Message::Packed { .. } => "Packed",
    }
}

impl Link {
    /// Both nodes replicate `space` (whatever each holds of it).
    pub fn new(nodes: [Node; 2], space: SpaceId) -> Link {
        let config = Config {
            retry_interval: Duration::from_secs(1),
            ..Config::default()
        };
        let mut services = [Service::new(0u8, config.clone()), Service::new(1u8, config)];
        for (service, node) in services.iter_mut().zip(&nodes) {
            let outputs = service.join(Timestamp::EPOCH, space, &Stored(node, Packing::On));
            assert!(outputs.is_empty(), "joining alone says nothing");
        }
        Link {
            services,
            nodes,
            sent: Default::default(),
            hops: 0,
            delivered: [0; 2],
            receive_time: Duration::ZERO,
            refused: vec![],
            compressors: [0, 1]
                .map(|_| margin_net::framing::FrameCompressor::new().expect("a stream compressor")),
            shape: None,
            free: [0.0; 2],
            packing: Packing::On,
            clock: 0.0,
        }
    }

    /// The same link, carrying `bytes_per_ms` each way after `latency_ms`: requests are
    /// then sized by the rate the nodes see, as on a real link.
    pub fn shaped(mut self, bytes_per_ms: f64, latency_ms: f64) -> Link {
        self.shape = Some((bytes_per_ms, latency_ms));
        self
    }

    /// The nodes connect at `now` and talk until both are quiet.
    pub fn connect(&mut self, now: u64) {
        let mut work = VecDeque::new();
        for at in 0..2u8 {
            let outputs = self.services[at as usize].connected(Timestamp::from_millis(now), 1 - at);
            work.extend(outputs.into_iter().map(|o| (at, o, 1)));
        }
        self.run(now, work);
    }

    /// Time passes to `now`: timers fire (the confirming reconciliation).
    pub fn tick(&mut self, now: u64) {
        let mut work = VecDeque::new();
        for at in 0..2u8 {
            let outputs = self.services[at as usize].tick(Timestamp::from_millis(now));
            work.extend(outputs.into_iter().map(|o| (at, o, 1)));
        }
        self.run(now, work);
    }

    fn run(&mut self, now: u64, work: VecDeque<(u8, Output<u8>, u32)>) {
        // What is due, earliest first (time in microseconds, then order of queuing).
        let mut due = std::collections::BinaryHeap::new();
        let mut order = 0u64;
        let start = (now as f64).max(self.clock);
        for (at, output, hop) in work {
            due.push(Due((start * 1000.0) as u64, order, at, output, hop));
            order += 1;
        }
        while let Some(Due(micros, _, at, output, hop)) = due.pop() {
            let time = micros as f64 / 1000.0;
            self.clock = self.clock.max(time);
            let now = Timestamp::from_millis(time as u64);
            let a = at as usize;
            let mut queue = |due: &mut std::collections::BinaryHeap<Due>,
                             when: f64,
                             to: u8,
                             o: Output<u8>,
                             hop: u32| {
                due.push(Due((when * 1000.0) as u64, order, to, o, hop));
                order += 1;
            };
            match output {
                Output::Send(to, message) => {
                    let frame = message.encode();
                    let wire = self.compressors[a]
                        .compress(&frame)
                        .expect("compressing into memory cannot fail");
                    let len = wire.len() as u64 + 4;
                    let sent = &mut self.sent[a];
                    sent.frames += 1;
                    sent.bytes += len;
                    let kind = sent.by_kind.entry(kind_of(&message)).or_default();
                    kind.0 += 1;
                    kind.1 += len;
                    self.hops = self.hops.max(hop);
                    let arrives = match self.shape {
                        None => time,
                        Some((rate, latency)) => {
                            let done = self.free[a].max(time) + len as f64 / rate;
                            self.free[a] = done;
                            done + latency
                        }
                    };
                    let t = to as usize;
                    let next = self.services[t].received(
                        Timestamp::from_millis(arrives as u64),
                        &at,
                        &frame,
                        &Stored(&self.nodes[t], self.packing),
                    );
                    for o in next {
                        queue(&mut due, arrives, to, o, hop + 1);
                    }
                }
                Output::Deliver {
                    from,
                    space,
                    entries,
                } => {
                    self.delivered[a] += entries.len();
                    let started = Instant::now();
                    let outcomes = self.nodes[a]
                        .receive_entries(entries)
                        .expect("the node stores what it receives");
                    self.receive_time += started.elapsed();
                    let verdicts: Vec<(EntryId, SyncVerdict)> = outcomes
                        .into_iter()
                        .map(|(id, outcome)| {
                            if let Outcome::Rejected(reason) | Outcome::Failed(reason) = &outcome {
                                self.refused.push(reason.clone());
                            }
                            (id, outcome.sync_verdict())
                        })
                        .collect();
                    let next = self.services[a].verdicts(now, &from, &space, &verdicts);
                    for o in next {
                        queue(&mut due, time, at, o, hop);
                    }
                }
                Output::Penalize(peer, penalty) => {
                    self.refused
                        .push(format!("node {at} penalized node {peer}: {penalty:?}"));
                }
                Output::Disconnect(peer, reason) => {
                    self.refused
                        .push(format!("node {at} disconnected node {peer}: {reason:?}"));
                }
                Output::Offered(..) => {}
            }
        }
    }

    pub fn frames(&self) -> u64 {
        self.sent[0].frames + self.sent[1].frames
    }

    pub fn bytes(&self) -> u64 {
        self.sent[0].bytes + self.sent[1].bytes
    }

    /// Frames and bytes per message kind, both ways.
    pub fn by_kind(&self) -> BTreeMap<&'static str, (u64, u64)> {
        let mut all: BTreeMap<&'static str, (u64, u64)> = BTreeMap::new();
        for sent in &self.sent {
            for (kind, (frames, bytes)) in &sent.by_kind {
                let e = all.entry(kind).or_default();
                e.0 += frames;
                e.1 += bytes;
            }
        }
        all
    }
}

/// A node in a fresh temporary home.
pub fn fresh_node() -> (tempfile::TempDir, Node) {
    let dir = tempfile::tempdir().expect("a temporary home");
    let node = Node::open(margin_node::Home::at(dir.path())).expect("a node opens");
    (dir, node)
}

/// Writes verified entries straight into a node's store (no state, no indexes): enough
/// for what the sync service reads.
pub fn store_raw(node: &mut Node, space: SpaceId, entries: &[Entry]) {
    for chunk in entries.chunks(2048) {
        let batch = margin_store::Batch {
            space: Some(space),
            accepted: chunk.iter().collect(),
            ..Default::default()
        };
        node.store_mut().write(&batch).expect("the store writes");
    }
}

// ---- printing --------------------------------------------------------------------------

/// 1234567 → "1 234 567".
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Bytes in B, KiB or MiB, as a reader wants to see them.
pub fn size(bytes: u64) -> String {
    if bytes < 10 * 1024 {
        format!("{} B", thousands(bytes))
    } else if bytes < 10 * 1024 * 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    }
}

pub fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "MISS" }
}

/// A plain table: a header row and rows of cells, columns padded to fit.
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table {
            rows: vec![header.iter().map(|s| s.to_string()).collect()],
        }
    }

    pub fn row(&mut self, cells: &[String]) {
        self.rows.push(cells.to_vec());
    }

    pub fn print(&self) {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|s| s.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for (i, row) in self.rows.iter().enumerate() {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(c, s)| format!("{s:<w$}", w = widths[c]))
                .collect();
            println!("| {} |", cells.join(" | "));
            if i == 0 {
                let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
                println!("|-{}-|", rule.join("-|-"));
            }
        }
    }
}

/// A count the benchmark can be asked to shrink for a quick run:
/// `MARGIN_BENCH_SCALE=0.1` makes every size a tenth.
pub fn scaled(n: usize) -> usize {
    let scale: f64 = std::env::var("MARGIN_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    ((n as f64 * scale).round() as usize).max(1)
}

/// The machine, for the record: CPU model and count, memory, and how busy it is (other
/// work on the machine slows every timing).
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(str::trim)
        .unwrap_or("unknown CPU")
        .to_owned();
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kb: u64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "{model}, {cpus} cores, {:.0} GiB; load average {}",
        mem_kb as f64 / (1024.0 * 1024.0),
        load.join(" ")
    )
}

//! Web Annotations that other tools accept: every annotation Margin exports, in every
//! state a comment can be in, passes every MUST assertion of the W3C Web Annotation test
//! suite, and so do the collection and the page that hold them.
//!
//! The assertions are the suite's own JSON schemas, copied unchanged into
//! `tests/fixtures/web-annotation-tests` (its README says from where): every assertion
//! that the suite's `annotationMusts`, `collectionMusts` and `pageMusts` tests list. Each
//! annotation is checked as a tool finds it in the export, on its own: the items of the
//! page, not a copy the test has touched. (A participant muted on one node is a local
//! choice of that node and never reaches an export, so it is not a state here.)

use std::collections::BTreeMap;
use std::fs;

use boon::{Compiler, SchemaIndex, Schemas};
use margin_consensus::Options;
use margin_consensus::test::Fixture;
use margin_core::prelude::*;
use margin_report::{Export, Format};
use margin_space::view::{AnchorView, CommentView, wire_anchor};
use serde_json::{Value, json};

const SUITE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/web-annotation-tests"
);

/// The suite knows a schema by its `id`, a bare file name, and resolves the `$ref`s
/// between schemas (`annotations.json#/definitions/…`) against it: one flat space of
/// names. This base gives the names somewhere to live; nothing is fetched from it (the
/// `.invalid` domain never resolves, and the validator has no HTTP client).
const BASE: &str = "https://web-annotation-tests.invalid/";

/// What an assertion is about, as the suite's three MUST tests divide them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Subject {
    Annotation,
    Collection,
    Page,
}

const MUST_TESTS: [(Subject, &str); 3] = [
    (Subject::Annotation, "annotations/annotationMusts.test"),
    (Subject::Collection, "collections/collectionMusts.test"),
    (Subject::Page, "collections/pages/pageMusts.test"),
];

struct Assertion {
    subject: Subject,
    /// Its path in the suite, e.g. `annotations/3.1-annotationContextValidated.json`.
    path: String,
    /// The suite's own words when it fails.
    error_message: String,
    index: SchemaIndex,
}

/// The suite's MUST assertions, compiled.
struct Suite {
    schemas: Schemas,
    assertions: Vec<Assertion>,
}

/// One assertion an instance fails.
struct Failure {
    assertion: String,
    error_message: String,
    detail: String,
}

fn read_json(path: &str) -> Value {
    let file = format!("{SUITE}/{path}");
    let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

impl Suite {
    fn load() -> Suite {
        let mut compiler = Compiler::new();
        // As the suite's harness did: `created` must be a date-time, an id a URI.
        compiler.enable_format_assertions();
        let mut definitions: Vec<String> = fs::read_dir(format!("{SUITE}/definitions"))
            .expect("the suite's definitions")
            .map(|e| e.expect("a directory entry").file_name())
            .map(|name| name.to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".json"))
            .collect();
        definitions.sort();
        assert_eq!(
            definitions,
            [
                "annotations.json",
                "bodyTarget.json",
                "choiceSet.json",
                "collections.json",
                "id.json",
                "otherProperties.json",
                "specificResource.json"
            ]
        );
        for name in &definitions {
            let schema = read_json(&format!("definitions/{name}"));
            assert_eq!(
                schema["id"],
                name.as_str(),
                "definitions/{name} is known by its name"
            );
            compiler
                .add_resource(&format!("{BASE}{name}"), schema)
                .expect("a valid URL");
        }
        let mut listed = vec![];
        for (subject, test) in MUST_TESTS {
            let test = read_json(test);
            let paths = test["assertions"].as_array().expect("a list of assertions");
            for path in paths {
                let path = path.as_str().expect("a path").to_owned();
                let schema = read_json(&path);
                assert_eq!(schema["assertionType"], "must", "{path}");
                assert_eq!(schema["expectedResult"], "valid", "{path}");
                let url = format!("{BASE}{}", schema["id"].as_str().expect("an id"));
                let error_message = schema["errorMessage"].as_str().unwrap_or("").to_owned();
                compiler.add_resource(&url, schema).expect("a valid URL");
                listed.push((subject, path, url, error_message));
            }
        }
        let mut schemas = Schemas::new();
        let assertions = listed
            .into_iter()
            .map(|(subject, path, url, error_message)| {
                let index = compiler
                    .compile(&url, &mut schemas)
                    .unwrap_or_else(|e| panic!("{path} does not compile: {e:#}"));
                Assertion {
                    subject,
                    path,
                    error_message,
                    index,
                }
            })
            .collect();
        Suite {
            schemas,
            assertions,
        }
    }

    fn count(&self, subject: Subject) -> usize {
        self.assertions
            .iter()
            .filter(|a| a.subject == subject)
            .count()
    }

    /// The MUST assertions about `subject` that `instance` fails.
    fn check(&self, subject: Subject, instance: &Value) -> Vec<Failure> {
        self.assertions
            .iter()
            .filter(|a| a.subject == subject)
            .filter_map(|a| {
                let e = self.schemas.validate(instance, a.index).err()?;
                Some(Failure {
                    assertion: a.path.clone(),
                    error_message: a.error_message.clone(),
                    detail: e.to_string(),
                })
            })
            .collect()
    }
}

const DRAFT: &str = "# Report on cyber capacity

## Shared responsibility

Capacity building is a shared responsibility of all stakeholders.

Strategies are a national prerogative, agreed in each country.

Funding should follow needs measured in each region.

Regional centres train the trainers who train the staff.

Certification schemes are to be recognised across borders.

A registry of experts will be kept by the secretariat.

يجب أن تكون المسؤولية مشتركة بين جميع أصحاب المصلحة.
";

/// Paragraph 5's passage and paragraph 6 are deleted, paragraph 3 is reworded.
const REVISED: &str = "# Report on cyber capacity

## Shared responsibility

Capacity building is a shared responsibility of all stakeholders.

Strategies are a national prerogative, agreed in each country.

Funding should follow needs, measured region by region.

Regional centres train the trainers who train the staff.

Certification schemes are welcome.

يجب أن تكون المسؤولية مشتركة بين جميع أصحاب المصلحة.
";

/// What the test sees of a comment: Margin's own view of it (none once erased) and its
/// exported annotation (none when the export leaves it out).
struct Seen<'a> {
    view: Option<&'a CommentView>,
    views: &'a [CommentView],
    annotation: Option<&'a Value>,
}

impl Seen<'_> {
    fn view(&self) -> &CommentView {
        self.view.expect("Margin shows the comment")
    }

    fn parent(&self) -> Option<&CommentView> {
        let parent = self.view().parent.as_deref()?;
        self.views.iter().find(|v| v.id == parent)
    }

    fn creators(&self) -> usize {
        let creator = &self.annotation.expect("an annotation")["creator"];
        creator.as_array().map_or(1, Vec::len)
    }
}

/// A comment in one state: whether the export carries it as an annotation, and how the
/// test knows the comment really is in that state.
struct Case {
    id: EntryId,
    state: &'static str,
    exported: bool,
    holds: fn(&Seen) -> bool,
}

fn anchored(s: &Seen) -> bool {
    matches!(s.view().anchor, AnchorView::Anchored { .. })
}

fn disposed(s: &Seen, value: &str) -> bool {
    s.view().disposition.as_ref().map(|d| d.value) == Some(value)
}

/// The draft and the revisions carrying its current version: what a comment, or an
/// editor's re-attachment, names.
fn reading_refs(f: &Fixture) -> (Vec<[u8; 32]>, Vec<EntryId>) {
    let state = f.space.draft(&f.draft).expect("the draft");
    let heads = state.doc.heads();
    let mut refs = vec![f.draft];
    refs.extend(state.entries_carrying(&heads));
    (heads, refs)
}

fn heading(f: &Fixture) -> ParaId {
    let state = f.space.draft(&f.draft).expect("the draft");
    let view = state.doc.view(None).expect("the draft reads");
    view.sections
        .into_iter()
        .find_map(|s| s.heading.filter(|h| h.text == "Shared responsibility"))
        .expect("the section heading")
        .id
}

/// `who` comments on block `para` (a heading here), on the passage `quote`.
fn comment_on(f: &mut Fixture, who: usize, para: &ParaId, quote: &str, text: &str) -> EntryId {
    let (heads, refs) = reading_refs(f);
    let state = f.space.draft(&f.draft).expect("the draft");
    let anchor = state
        .doc
        .anchor(para, Some(quote), &heads)
        .expect("a passage");
    let body = Body::Comment(Comment {
        draft: f.draft,
        heads,
        anchor: Some(wire_anchor(&anchor)),
        kind: CommentKind::Comment,
        text: text.into(),
        suggestion: None,
        parent: None,
    });
    let key = f.people[who].clone();
    f.publish(&key, refs, body)
}

/// The editor re-anchors `comment` on the passage `quote` of paragraph `n` now.
fn reattach(f: &mut Fixture, comment: EntryId, n: usize, quote: &str) -> EntryId {
    let (heads, mut refs) = reading_refs(f);
    refs.push(comment);
    let state = f.space.draft(&f.draft).expect("the draft");
    let anchor = state
        .doc
        .anchor(&f.para(n), Some(quote), &heads)
        .expect("a passage");
    let body = Body::Reattach(Reattach {
        comment,
        heads,
        anchor: wire_anchor(&anchor),
    });
    let convener = f.convener.clone();
    f.publish(&convener, refs, body)
}

fn erase(f: &mut Fixture, who: usize, comment: EntryId) -> EntryId {
    let key = f.people[who].clone();
    f.publish(&key, vec![], Body::Erasure(Erasure { comment }))
}

fn show_again(f: &mut Fixture, comment: EntryId) -> EntryId {
    let body = Body::Moderation(Moderation {
        target: comment,
        hidden: false,
        reason: "Reviewed: within the rules.".into(),
    });
    let convener = f.convener.clone();
    f.publish(&convener, vec![comment], body)
}

/// How many of the review's comments the export carries, one annotation each.
const EXPORTED: usize = 30;

/// A review with a comment in every state a comment can be in.
fn review() -> (Fixture, Vec<Case>) {
    use CommentKind::{Comment, Question};
    let mut f = Fixture::new(Policy::Open, DRAFT);
    let amina = f.join("Amina", "civil-society", "Africa");
    let rahul = f.join("Rahul", "private-sector", "Asia-Pacific");
    let gabriela = f.join("Gabriela", "government", "Latin America");
    let chidi = f.join("Chidi", "technical-community", "Africa");
    let coalition = f.join("Open Networks Coalition", "civil-society", "Global");
    let mut cases = vec![];
    let mut case = |id, state, exported, holds: fn(&Seen) -> bool| {
        cases.push(Case {
            id,
            state,
            exported,
            holds,
        })
    };

    let open = f.comment(
        amina,
        1,
        Comment,
        Some("shared responsibility"),
        "Shared how?",
    );
    case(open, "open, on a passage", true, |s| {
        anchored(s) && s.view().disposition.is_none() && !s.view().edited
    });
    let question = f.comment(rahul, 2, Question, None, "Which country decides?");
    case(question, "a question on a whole paragraph", true, |s| {
        anchored(s) && s.view().kind == "question" && s.view().quote.is_none()
    });
    let on_draft = f.draft_objection(gabriela, "The report overreaches its mandate.");
    case(on_draft, "an objection to the whole draft", true, |s| {
        s.view().anchor == AnchorView::Draft
    });
    let heading = heading(&f);
    let on_heading = comment_on(&mut f, chidi, &heading, "Shared", "Say who shares it.");
    case(on_heading, "a comment on a heading", true, anchored);
    let rtl = f.comment(
        gabriela,
        7,
        Comment,
        Some("المسؤولية"),
        "«مشتركة» — with \"quotes\",\nline breaks\tand tabs, <b>not markup</b>.",
    );
    case(
        rtl,
        "right-to-left text with quotes, line breaks and markup",
        true,
        anchored,
    );

    let replied = f.comment(chidi, 3, Comment, Some("needs"), "Whose needs?");
    case(replied, "replied to", true, |s| {
        s.views
            .iter()
            .any(|v| v.parent.as_deref() == Some(&s.view().id))
    });
    let reply = f.reply(amina, replied, Comment, "Those of the least served.");
    case(reply, "a reply", true, |s| s.view().parent.is_some());
    let reply_to_reply = f.reply(chidi, reply, Question, "Measured by whom?");
    case(reply_to_reply, "a reply to a reply", true, |s| {
        s.parent().is_some_and(|p| p.parent.is_some())
    });

    let edited = f.comment(rahul, 4, Comment, Some("trainers"), "Who trains them?");
    f.edit(
        rahul,
        edited,
        "Who trains the trainers, and who pays?",
        None,
    );
    case(edited, "edited", true, |s| s.view().edited);

    let suggestion = f.suggest(
        amina,
        4,
        Some("the staff"),
        "Be concrete.",
        "staff of CERTs",
    );
    case(
        suggestion,
        "a suggestion with an alternative wording",
        true,
        |s| s.view().suggestion.as_deref() == Some("staff of CERTs"),
    );
    f.alternative_stance(rahul, suggestion, StanceValue::Support, Some("Clearer."));
    f.alternative_stance(gabriela, suggestion, StanceValue::Object, None);
    let reworded = f.suggest(chidi, 1, Some("all stakeholders"), "Name them.", "everyone");
    f.edit(
        chidi,
        reworded,
        "Name them all.",
        Some("governments, companies and civil society"),
    );
    case(
        reworded,
        "a suggestion whose wording was edited",
        true,
        |s| {
            s.view().edited
                && s.view()
                    .suggestion
                    .as_deref()
                    .is_some_and(|t| t.contains("civil"))
        },
    );
    let dropped = f.suggest(rahul, 2, Some("national"), "Too strong.", "shared");
    f.edit(rahul, dropped, "Too strong, I think.", None);
    case(
        dropped,
        "a suggestion whose alternative an edit withdrew",
        true,
        |s| s.view().kind == "suggestion" && s.view().suggestion.is_none(),
    );

    let cosigned = f.objection(amina, 2, "A prerogative is not a strategy.");
    f.cosign(chidi, cosigned, None);
    f.membership(coalition, gabriela, true);
    f.cosign(gabriela, cosigned, Some(coalition));
    case(
        cosigned,
        "co-signed, by a participant and for a coalition",
        true,
        |s| s.creators() >= 3,
    );
    let campaign = f.comment(rahul, 3, Comment, Some("each region"), "Fund by need.");
    let member = f.comment(gabriela, 3, Comment, Some("each region"), "Fund by need.");
    let third = f.comment(chidi, 3, Comment, Some("each region"), "Fund  by need.");
    case(
        campaign,
        "a campaign: the same comment by three participants",
        true,
        |s| s.creators() == 3,
    );
    case(
        member,
        "a campaign member, in its campaign's annotation",
        false,
        |s| s.view().body == "Fund by need.",
    );
    case(
        third,
        "a campaign member, in its campaign's annotation",
        false,
        |s| s.view().body.contains("need"),
    );
    let to_member = f.reply(amina, member, Comment, "Agreed.");
    case(to_member, "a reply to a campaign member", true, |s| {
        s.parent().is_some()
    });

    // The editor's answers, each disposition value.
    let accepted = f.objection(chidi, 5, "Recognition needs a mechanism.");
    let partly = f.comment(
        gabriela,
        4,
        Comment,
        Some("Regional centres"),
        "And national?",
    );
    let declined = f.comment(
        rahul,
        1,
        Comment,
        Some("Capacity building"),
        "Use 'development'.",
    );
    let noted = f.comment(amina, 2, Question, Some("agreed"), "Agreed by whom?");
    let changed = f.comment(chidi, 2, Comment, Some("Strategies"), "Plural?");

    let retracted = f.comment(gabriela, 1, Comment, Some("building"), "Withdrawn later.");
    let reply_to_retracted = f.reply(amina, retracted, Comment, "Why withdraw it?");
    f.retract(gabriela, retracted);
    case(retracted, "retracted", false, |s| s.view().retracted);
    case(
        reply_to_retracted,
        "a reply to a retracted comment",
        true,
        |s| s.parent().is_some_and(|p| p.retracted),
    );
    let erased = f.comment(rahul, 2, Comment, Some("prerogative"), "I said too much.");
    let reply_to_erased = f.reply(chidi, erased, Comment, "What did you mean?");
    f.retract(rahul, erased);
    erase(&mut f, rahul, erased);
    case(erased, "retracted and erased", false, |s| s.view.is_none());
    case(reply_to_erased, "a reply to an erased comment", true, |s| {
        s.view().parent_erased
    });
    let erased_only = f.comment(amina, 4, Comment, Some("train"), "Posted in error.");
    erase(&mut f, amina, erased_only);
    case(erased_only, "erased", false, |s| s.view.is_none());
    let hidden = f.comment(chidi, 1, Comment, Some("all"), "An insult.");
    let reply_to_hidden = f.reply(rahul, hidden, Comment, "Uncalled for.");
    f.hide(hidden, "Personal attack.");
    case(hidden, "hidden by a convener", false, |s| {
        s.view().hidden.is_some()
    });
    case(reply_to_hidden, "a reply to a hidden comment", true, |s| {
        s.parent().is_some_and(|p| p.hidden.is_some())
    });
    let shown = f.comment(amina, 3, Comment, Some("Funding"), "Blunt, but fair.");
    f.hide(shown, "Checking.");
    show_again(&mut f, shown);
    case(shown, "hidden by a convener, then shown again", true, |s| {
        s.view().hidden.is_none() && !s.view().body.is_empty()
    });

    let orphan = f.comment(rahul, 5, Comment, Some("across borders"), "Which borders?");
    let orphan_para = f.objection(gabriela, 6, "No registry.");
    let to_reattach = f.comment(amina, 5, Comment, Some("to be recognised"), "By whom?");
    let older = f.comment(chidi, 3, Comment, Some("follow"), "Follow, or lead?");

    let revision = f.revise(REVISED);
    f.dispose(accepted, DispositionValue::Accepted, "Cut.", Some(revision));
    f.dispose(partly, DispositionValue::Partly, "Regional only.", None);
    f.dispose(
        declined,
        DispositionValue::Declined,
        "Established term.",
        None,
    );
    f.dispose(noted, DispositionValue::Noted, "For the next round.", None);
    f.dispose(changed, DispositionValue::Declined, "No.", None);
    f.dispose(
        changed,
        DispositionValue::Accepted,
        "On reflection, yes.",
        None,
    );
    case(
        accepted,
        "accepted, with the revision that carried it out",
        true,
        |s| disposed(s, "accepted") && s.view().disposition.as_ref().unwrap().revision.is_some(),
    );
    case(partly, "partly accepted", true, |s| disposed(s, "partly"));
    case(declined, "declined", true, |s| disposed(s, "declined"));
    case(noted, "noted", true, |s| disposed(s, "noted"));
    case(changed, "declined, then accepted", true, |s| {
        disposed(s, "accepted")
    });

    case(
        orphan,
        "orphaned: a revision deleted its passage",
        true,
        |s| s.view().anchor == AnchorView::Orphaned && s.view().quote.is_some(),
    );
    case(
        orphan_para,
        "orphaned: a revision deleted its whole paragraph",
        true,
        |s| s.view().anchor == AnchorView::Orphaned && s.view().quote.is_none(),
    );
    reattach(&mut f, to_reattach, 5, "are welcome");
    case(
        to_reattach,
        "re-attached by the editor after its passage was deleted",
        true,
        |s| s.view().reattached && anchored(s),
    );
    case(
        older,
        "made on an earlier version, its paragraph since reworded",
        true,
        anchored,
    );
    let newer = f.suggest(
        gabriela,
        3,
        Some("region by region"),
        "Better.",
        "in every region",
    );
    case(newer, "made on the revised version", true, anchored);
    let late_objection = f.objection(rahul, 5, "Welcome is too weak.");
    case(
        late_objection,
        "an objection to a revised paragraph",
        true,
        anchored,
    );
    (f, cases)
}

/// The review's Web Annotations exactly as Margin exports them, and the state of the
/// comment each annotation is, once the test has made sure every comment is in its state
/// and exactly the comments that should be annotations are, once each.
fn exported() -> (Value, BTreeMap<String, &'static str>) {
    let (f, cases) = review();
    let export = Export::new(&f.space, &f.draft, Options::default()).expect("the export");
    let bytes = export.render(Format::Annotations).expect("the annotations");
    let document: Value = serde_json::from_slice(&bytes).expect("JSON");
    let items = document["first"]["items"]
        .as_array()
        .expect("the page's items");
    let annotations: BTreeMap<String, &Value> = items
        .iter()
        .map(|a| (a["id"].as_str().expect("an id").to_owned(), a))
        .collect();
    assert_eq!(annotations.len(), items.len(), "one annotation per comment");
    let views = f.space.comment_views(&f.draft, None);
    let urn = |id: &EntryId| format!("urn:margin:entry:{id}");
    let mut state_of = BTreeMap::new();
    for c in &cases {
        let seen = Seen {
            view: views.iter().find(|v| v.id == c.id.to_string()),
            views: &views,
            annotation: annotations.get(&urn(&c.id)).copied(),
        };
        let carried = if c.exported {
            "the export leaves it out"
        } else {
            "the export carries it"
        };
        assert_eq!(
            seen.annotation.is_some(),
            c.exported,
            "the comment {} ({}): {carried}",
            c.id,
            c.state
        );
        assert!((c.holds)(&seen), "the comment {} is not {}", c.id, c.state);
        if c.exported {
            state_of.insert(urn(&c.id), c.state);
        }
    }
    let unknown: Vec<&String> = annotations
        .keys()
        .filter(|id| !state_of.contains_key(*id))
        .collect();
    assert!(
        unknown.is_empty(),
        "annotations of no known state: {unknown:?}"
    );
    assert_eq!(state_of.len(), EXPORTED, "annotations to check");
    (document, state_of)
}

/// Checks every annotation of `document`, the collection and its page against the
/// suite; returns how many checks ran, and a line for each failed one that names the
/// annotation, the state of its comment, the assertion and what the suite says of it.
fn failures(
    suite: &Suite,
    document: &Value,
    state_of: &BTreeMap<String, &str>,
) -> (usize, Vec<String>) {
    let mut out = vec![];
    let mut checks = 0;
    let explain = |f: Failure| {
        format!(
            "MUST assertion {}: {}\n    {}",
            f.assertion,
            f.error_message,
            f.detail.trim_end().replace('\n', "\n    ")
        )
    };
    let items = document["first"]["items"]
        .as_array()
        .expect("the page's items");
    for annotation in items {
        let id = annotation["id"].as_str().unwrap_or("(without an id)");
        let state = state_of.get(id).copied().unwrap_or("of no known state");
        for f in suite.check(Subject::Annotation, annotation) {
            out.push(format!("annotation {id} ({state}) fails {}", explain(f)));
        }
        checks += suite.count(Subject::Annotation);
    }
    for (subject, name) in [
        (Subject::Collection, "the collection"),
        (Subject::Page, "the collection's page"),
    ] {
        for f in suite.check(subject, document) {
            out.push(format!("{name} fails {}", explain(f)));
        }
        checks += suite.count(subject);
    }
    (checks, out)
}

#[test]
fn every_exported_annotation_in_every_state_passes_the_w3c_must_assertions() {
    let suite = Suite::load();
    // Every MUST assertion the suite lists, no fewer.
    assert_eq!(suite.count(Subject::Annotation), 54);
    assert_eq!(suite.count(Subject::Collection), 10);
    assert_eq!(suite.count(Subject::Page), 15);

    let (document, state_of) = exported();
    let (checks, failed) = failures(&suite, &document, &state_of);
    assert_eq!(checks, EXPORTED * 54 + 10 + 15);
    assert!(
        failed.is_empty(),
        "{} of {checks} checks fail:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

#[test]
fn the_suite_refuses_a_broken_annotation_and_names_it() {
    let suite = Suite::load();
    let (document, state_of) = exported();

    // One annotation without its @context: the failure names it, its state and the
    // assertion, and nothing else fails.
    let mut broken = document.clone();
    let victim = broken["first"]["items"]
        .as_array_mut()
        .and_then(|items| {
            items
                .iter_mut()
                .find(|a| a["target"]["selector"][1]["type"] == "TextPositionSelector")
        })
        .expect("an annotation with both selectors");
    let id = victim["id"].as_str().expect("an id").to_owned();
    let good = victim.clone();
    victim
        .as_object_mut()
        .expect("an object")
        .remove("@context");
    let (_, failed) = failures(&suite, &broken, &state_of);
    assert_eq!(failed.len(), 1, "{failed:#?}");
    let expected = format!(
        "annotation {id} ({}) fails MUST assertion annotations/3.1-annotationContextValidated.json: ERROR: Annotation is missing @context key",
        state_of[&id]
    );
    assert!(failed[0].starts_with(&expected), "{}", failed[0]);

    // Other breakages, each caught by the assertion made for it.
    let failed = |broken: &Value| -> Vec<String> {
        suite
            .check(Subject::Annotation, broken)
            .into_iter()
            .map(|f| f.assertion)
            .collect()
    };
    assert!(failed(&good).is_empty());
    let mut no_target = good.clone();
    no_target
        .as_object_mut()
        .expect("an object")
        .remove("target");
    assert!(failed(&no_target).contains(&"annotations/3.1-targetKeyFound.json".to_owned()));
    let mut bad_date = good.clone();
    bad_date["created"] = json!("yesterday");
    assert_eq!(
        failed(&bad_date),
        ["annotations/3.3.1-annotationCreatedValidated.json"]
    );
    let mut no_exact = good.clone();
    no_exact["target"]["selector"][0]
        .as_object_mut()
        .expect("a selector")
        .remove("exact");
    assert!(
        failed(&no_exact)
            .contains(&"annotations/specificResource/4.2.4-textQuoteSelectorValid.json".to_owned())
    );
    let mut two_bodies = good.clone();
    two_bodies["bodyValue"] = json!("A second body.");
    assert!(failed(&two_bodies).contains(&"annotations/3.2.5-notBodyBodyValue.json".to_owned()));

    let mut bad_total = document.clone();
    bad_total["total"] = json!(-1);
    let collection: Vec<String> = suite
        .check(Subject::Collection, &bad_total)
        .into_iter()
        .map(|f| f.assertion)
        .collect();
    assert_eq!(
        collection,
        ["collections/5.1-collectionTotalValidated.json"]
    );
}

#[test]
fn an_orphaned_comment_on_a_whole_paragraph_quotes_the_paragraph_as_it_read() {
    let (document, state_of) = exported();
    let items = document["first"]["items"]
        .as_array()
        .expect("the page's items");
    let orphan = items
        .iter()
        .find(|a| {
            a["id"]
                .as_str()
                .and_then(|id| state_of.get(id))
                .is_some_and(|s| s.ends_with("deleted its whole paragraph"))
        })
        .expect("the orphaned comment's annotation");
    assert_eq!(orphan["target"]["orphaned"], true);
    assert_eq!(
        orphan["target"]["selector"],
        json!([{
            "type": "TextQuoteSelector",
            "exact": "A registry of experts will be kept by the secretariat.",
            "prefix": "",
            "suffix": "",
        }])
    );
}

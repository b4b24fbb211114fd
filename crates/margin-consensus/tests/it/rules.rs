//! Each rule of `docs/consensus.md` on its own, in small spaces built from signed
//! entries.

use margin_consensus::objection::{Accommodation, Source};
use margin_consensus::test::Fixture;
use margin_consensus::{
    Error, ObjectionState, Options, People, Status, balance, convergence, objections, report,
    statuses, tallies,
};
use margin_core::prelude::*;

const DRAFT: &str = "# Report\n\nTwelve contributions described a policy in force.\n\nThe forum met four times.\n\nA third paragraph on funding.\n";
const REVISED_1: &str = "# Report\n\nFourteen contributions described a policy in force.\n\nThe forum met four times.\n\nA third paragraph on funding.\n";

fn space() -> (Fixture, usize, usize) {
    let mut f = Fixture::new(Policy::Open, DRAFT);
    let a = f.join("Amina", "civil-society", "Africa");
    let b = f.join("Bruno", "government", "Europe");
    (f, a, b)
}

fn state_of(f: &Fixture, id: EntryId) -> ObjectionState {
    objections(&f.space, &f.draft, &Options::default())
        .unwrap()
        .objections
        .into_iter()
        .find(|o| o.id == id.to_string())
        .expect("the objection is listed")
        .state
}

fn status_of(f: &Fixture, n: usize) -> Status {
    statuses(&f.space, &f.draft, &Options::default()).unwrap()[n - 1].status
}

#[test]
fn an_unanswered_objection_is_open_and_contests_its_paragraph() {
    let (mut f, a, b) = space();
    let o = f.objection(a, 1, "No.");
    f.stance(b, 1, StanceValue::Support, None);
    assert_eq!(state_of(&f, o), ObjectionState::Open);
    assert_eq!(status_of(&f, 1), Status::Contested);
}

#[test]
fn a_stance_taken_before_the_objection_does_not_withdraw_it() {
    let (mut f, a, _) = space();
    f.stance(a, 1, StanceValue::Support, None);
    let o = f.objection(a, 1, "On reflection, no.");
    assert_eq!(state_of(&f, o), ObjectionState::Open);
    f.stance(a, 1, StanceValue::Object, None);
    assert_eq!(
        state_of(&f, o),
        ObjectionState::Open,
        "objecting again keeps it open"
    );
    f.stance(a, 1, StanceValue::Accept, None);
    assert_eq!(state_of(&f, o), ObjectionState::CanLiveWithIt);
}

#[test]
fn a_stance_on_another_paragraph_does_not_withdraw_it() {
    let (mut f, a, _) = space();
    let o = f.objection(a, 1, "No.");
    f.stance(a, 2, StanceValue::Support, None);
    assert_eq!(state_of(&f, o), ObjectionState::Open);
}

#[test]
fn accepted_without_a_revision_is_a_promise_and_stays_open() {
    let (mut f, a, _) = space();
    let o = f.objection(a, 1, "No.");
    f.dispose(o, DispositionValue::Accepted, "Will fix.", None);
    assert_eq!(state_of(&f, o), ObjectionState::Open);
    // The text then changes: accommodated, and the revision is found.
    let rev = f.revise(REVISED_1);
    assert!(matches!(
        state_of(&f, o),
        ObjectionState::Accommodated { by: Accommodation::TextChanged, revision: Some(r), .. }
            if r == rev.to_string()
    ));
}

#[test]
fn partly_accepted_with_a_revision_is_accommodated() {
    let (mut f, a, _) = space();
    let o = f.objection(a, 1, "No.");
    let rev = f.revise(REVISED_1);
    f.dispose(o, DispositionValue::Partly, "", Some(rev));
    assert!(matches!(
        state_of(&f, o),
        ObjectionState::Accommodated { by: Accommodation::Disposition, revision: Some(r), .. }
            if r == rev.to_string()
    ));
}

#[test]
fn declined_needs_a_reason_to_address() {
    let (mut f, a, _) = space();
    let o = f.objection(a, 1, "No.");
    f.dispose(o, DispositionValue::Declined, "  ", None);
    assert_eq!(state_of(&f, o), ObjectionState::Open);
    f.dispose(o, DispositionValue::Noted, "Recorded in the annex.", None);
    assert!(matches!(
        state_of(&f, o),
        ObjectionState::Addressed { disposition: "noted", ref reason, .. } if reason == "Recorded in the annex."
    ));
    assert_eq!(
        status_of(&f, 1),
        Status::Divided,
        "Amina's group only objected"
    );
}

#[test]
fn a_written_answer_comes_before_an_unrelated_edit() {
    let (mut f, a, _) = space();
    let o = f.objection(a, 1, "No.");
    f.dispose(o, DispositionValue::Declined, "Out of scope.", None);
    f.revise(REVISED_1);
    assert!(matches!(state_of(&f, o), ObjectionState::Addressed { .. }));
}

#[test]
fn an_edit_elsewhere_in_the_paragraph_leaves_a_passage_objection_open() {
    let (mut f, a, _) = space();
    let o = f.comment(
        a,
        1,
        CommentKind::Objection,
        Some("policy in force"),
        "Which policy?",
    );
    f.revise(REVISED_1); // "Twelve" → "Fourteen", outside the passage
    assert_eq!(state_of(&f, o), ObjectionState::Open);
    // A whole-paragraph objection made at the same version is accommodated.
    let (mut g, a, _) = space();
    let o = g.objection(a, 1, "Numbers are wrong.");
    g.revise(REVISED_1);
    assert!(matches!(
        state_of(&g, o),
        ObjectionState::Accommodated { was: Some(w), now: Some(n), .. }
            if w.starts_with("Twelve") && n.starts_with("Fourteen")
    ));
}

#[test]
fn an_objection_to_a_removed_paragraph_is_accommodated() {
    let (mut f, a, _) = space();
    let stance = f.stance(a, 3, StanceValue::Object, Some("Funding is out of scope."));
    let comment = f.objection(a, 3, "Remove this.");
    let rev = f.revise("# Report\n\nTwelve contributions described a policy in force.\n\nThe forum met four times.\n");
    let register = objections(&f.space, &f.draft, &Options::default()).unwrap();
    for id in [stance, comment] {
        let o = register
            .objections
            .iter()
            .find(|o| o.id == id.to_string())
            .unwrap();
        assert_eq!(o.n, None);
        assert_eq!(
            o.state,
            ObjectionState::Accommodated {
                by: Accommodation::TextChanged,
                revision: Some(rev.to_string()),
                was: Some("A third paragraph on funding.".into()),
                now: None,
            }
        );
    }
    // Removed paragraphs come last in the register; the draft's figures no longer
    // include them.
    assert_eq!(
        tallies(&f.space, &f.draft, &Options::default())
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn object_stances_are_objections_only_with_a_reason() {
    let (mut f, a, b) = space();
    f.stance(a, 1, StanceValue::Object, None);
    f.stance(b, 1, StanceValue::Object, Some("   "));
    let register = objections(&f.space, &f.draft, &Options::default()).unwrap();
    assert!(register.objections.is_empty());
    // Votes without reasons: both groups in the rough, nothing to address.
    assert_eq!(status_of(&f, 1), Status::Divided);

    let s = f.stance(a, 2, StanceValue::Object, Some("Five times."));
    assert_eq!(state_of(&f, s), ObjectionState::Open);
    assert_eq!(status_of(&f, 2), Status::Contested);
    // A new stance replaces it: the objection is no longer held, nor listed.
    f.stance(a, 2, StanceValue::Accept, None);
    assert!(
        objections(&f.space, &f.draft, &Options::default())
            .unwrap()
            .objections
            .is_empty()
    );
    assert_eq!(status_of(&f, 2), Status::RoughConsensus);
}

#[test]
fn a_reply_objection_belongs_to_its_thread_paragraph() {
    let (mut f, a, b) = space();
    let root = f.comment(a, 2, CommentKind::Question, None, "How many?");
    let reply = f.reply(b, root, CommentKind::Objection, "Three, not four.");
    let register = objections(&f.space, &f.draft, &Options::default()).unwrap();
    assert_eq!(register.objections.len(), 1);
    assert_eq!(register.objections[0].id, reply.to_string());
    assert_eq!(register.objections[0].n, Some(2));
    assert_eq!(register.objections[0].source, Source::Comment);
    assert_eq!(status_of(&f, 2), Status::Contested);
}

#[test]
fn whole_draft_objections_are_listed_but_change_no_paragraph() {
    let (mut f, a, b) = space();
    f.draft_objection(a, "The whole approach is wrong.");
    f.stance(b, 1, StanceValue::Support, None);
    let register = objections(&f.space, &f.draft, &Options::default()).unwrap();
    assert_eq!(register.objections[0].para, None);
    let r = report(&f.space, &f.draft, &Options::default()).unwrap();
    assert_eq!(r.open_draft_objections, 1);
    assert_eq!(r.paragraphs[0].status, Status::RoughConsensus);
    assert!(
        r.render()
            .contains("1 open objection(s) to the whole draft")
    );
}

#[test]
fn hiding_an_objection_withholds_its_text_but_does_not_close_it() {
    let (mut f, a, _) = space();
    let o = f.objection(a, 1, "Abusive words.");
    f.hide(o, "abusive");
    let register = objections(&f.space, &f.draft, &Options::default()).unwrap();
    let item = &register.objections[0];
    assert_eq!(item.text, "");
    assert_eq!(item.hidden.as_deref(), Some("abusive"));
    assert_eq!(item.state, ObjectionState::Open);
}

#[test]
fn unregistered_objections_do_not_contest_under_registered_only() {
    let (mut f, a, b) = space();
    f.register(b, "government", "Europe");
    f.objection(a, 1, "No.");
    f.stance(b, 1, StanceValue::Support, None);
    let registered = Options {
        registered_only: true,
        ..Options::default()
    };
    assert_eq!(
        statuses(&f.space, &f.draft, &registered).unwrap()[0].status,
        Status::RoughConsensus
    );
    assert_eq!(status_of(&f, 1), Status::Contested);
}

#[test]
fn no_declared_group_counts_as_unspecified() {
    let mut f = Fixture::new(Policy::Open, DRAFT);
    let x = f.join("Xiu", "", "");
    f.stance(x, 1, StanceValue::Support, None);
    let t = tallies(&f.space, &f.draft, &Options::default()).unwrap();
    assert_eq!(t[0].by_group["unspecified"].support, 1);
    assert_eq!(t[0].by_region["unspecified"].support, 1);
    let b = balance(&f.space, None, &Options::default());
    assert_eq!(b.by_group["unspecified"].participants, 1);
}

#[test]
fn abstaining_is_not_engagement() {
    let (mut f, a, b) = space();
    f.stance(a, 1, StanceValue::Abstain, None);
    assert_eq!(status_of(&f, 1), Status::NoEngagement);
    f.stance(b, 1, StanceValue::Accept, None);
    assert_eq!(status_of(&f, 1), Status::RoughConsensus);
}

#[test]
fn the_latest_stance_wins() {
    let (mut f, a, _) = space();
    f.stance(a, 1, StanceValue::Object, None);
    f.stance(a, 1, StanceValue::Support, None);
    let t = tallies(&f.space, &f.draft, &Options::default()).unwrap();
    assert_eq!((t[0].total.support, t[0].total.object), (1, 0));
}

#[test]
fn fewer_than_four_participants_make_one_opinion_group() {
    let (mut f, a, b) = space();
    let c = f.join("Chen", "academia", "Asia-Pacific");
    f.stance(a, 1, StanceValue::Support, None);
    f.stance(b, 1, StanceValue::Object, None);
    f.stance(c, 2, StanceValue::Accept, None);
    let conv = convergence(&f.space, &f.draft, &Options::default()).unwrap();
    assert_eq!(conv.opinion_groups.len(), 1);
    assert_eq!(conv.opinion_groups[0].members.len(), 3);
    assert_eq!(conv.silhouette, None);
    // ¶1 in the one opinion group: 1 agree of 2 votes → 2/4.
    assert!((conv.paragraphs[0].opinion_consensus - 0.5).abs() < 1e-12);
    // Over stakeholder groups (academia, civil-society, government):
    // 1/2 (no vote) · 2/3 · 1/3.
    assert!((conv.paragraphs[0].stakeholder_consensus - 1.0 / 9.0).abs() < 1e-12);
}

#[test]
fn an_unknown_draft_is_a_clear_error() {
    let (f, _, _) = space();
    let err = report(&f.space, &EntryId([9; 32]), &Options::default()).unwrap_err();
    assert!(matches!(err, Error::UnknownDraft(_)));
    assert!(err.is_not_found());
    assert!(err.to_string().contains("margin space show"));
}

#[test]
fn balance_names_silent_regions_and_faint_voices_against_the_people_so_far() {
    let mut f = Fixture::new(Policy::Open, DRAFT);
    let amina = f.join("Amina", "civil-society", "Africa");
    let kofi = f.join("Kofi", "civil-society", "Africa");
    let bruno = f.join("Bruno", "government", "Europe");
    let mei = f.join("Mei", "academia", "Asia-Pacific");
    for n in 1..=3 {
        f.stance(amina, n, StanceValue::Support, None);
        f.stance(kofi, n, StanceValue::Support, None);
        f.comment(amina, n, CommentKind::Comment, None, "Name who decides.");
        f.comment(kofi, n, CommentKind::Comment, None, "And when.");
    }
    f.stance(bruno, 1, StanceValue::Object, None);
    // Mei published her profile and said nothing.
    let _ = mei;
    let b = balance(&f.space, None, &Options::default());
    assert_eq!(b.people, People::SoFar);
    // The people so far: the four participants and the convener who made the space.
    let people = b.total.people;
    assert!(people >= 4, "{people}");
    assert_eq!(b.by_region["Asia-Pacific"].people, 1);
    assert_eq!(b.by_region["Asia-Pacific"].participants, 0);
    assert_eq!(b.missing_regions, ["Asia-Pacific"]);
    assert!(b.missing_groups.contains(&"academia".to_owned()));
    let africa = b.by_region["Africa"];
    assert_eq!(africa.share_of_comments, 1.0);
    assert!((africa.share_of_stances - 6.0 / 7.0).abs() < 1e-9);
    assert!((africa.share_of_people - 2.0 / people as f64).abs() < 1e-9);
    // Bruno: one stance of thirteen things said, a quarter or a fifth of the people.
    assert_eq!(b.faint_groups, ["government"]);
    assert_eq!(b.faint_regions, ["Europe"]);
    let text = b.render();
    assert!(
        text.contains("no voice from the regions: Asia-Pacific"),
        "{text}"
    );
    assert!(
        text.contains("faint (under half their share of the people): government, Europe"),
        "{text}"
    );
}

#[test]
fn balance_in_a_registered_space_counts_shares_among_the_registered() {
    let mut f = Fixture::new(Policy::Registered, DRAFT);
    let amina = f.join("Amina", "civil-society", "Africa");
    let bruno = f.join("Bruno", "government", "Europe");
    f.register(amina, "civil-society", "Africa");
    f.register(bruno, "government", "Europe");
    f.stance(amina, 1, StanceValue::Support, None);
    let b = balance(&f.space, None, &Options::default());
    assert_eq!(b.people, People::Registered);
    assert_eq!(b.total.people, 2);
    assert_eq!(b.by_region["Europe"].people, 1);
    assert_eq!(b.missing_regions, ["Europe"]);
    assert_eq!(b.by_group["civil-society"].share_of_people, 0.5);
}

//! Sign-ons, coalitions, campaigns and alternative wordings in the figures, with values
//! computed by hand.

use margin_consensus::signatory::How;
use margin_consensus::test::Fixture;
use margin_consensus::{
    ObjectionState, Options, Status, alternatives, balance, campaigns, objections, statuses, views,
};
use margin_core::prelude::*;

const DRAFT: &str = "# Report\n\nTwelve contributions described a policy in force.\n\nThe forum met four times.\n\nA third paragraph on funding.\n";

/// Amina (civil society), Bruno (government), Carla (private sector), Dan (technical
/// community), and a coalition with a key of its own (civil society).
fn space() -> Fixture {
    let mut f = Fixture::new(Policy::Open, DRAFT);
    f.join("Amina", "civil-society", "Africa");
    f.join("Bruno", "government", "Europe");
    f.join("Carla", "private-sector", "Latin America");
    f.join("Dan", "technical-community", "Asia-Pacific");
    f.join("Digital Rights Coalition", "civil-society", "Global");
    f
}
const AMINA: usize = 0;
const BRUNO: usize = 1;
const CARLA: usize = 2;
const DAN: usize = 3;
const COALITION: usize = 4;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn a_co_signed_objection_is_held_by_the_signers_group_too() {
    let mut f = space();
    let o = f.objection(AMINA, 1, "No.");
    f.cosign(BRUNO, o, None);
    f.stance(CARLA, 1, StanceValue::Support, None);
    let register = objections(&f.space, &f.draft, &Options::default()).unwrap();
    assert_eq!(register.objections.len(), 1);
    let item = &register.objections[0];
    assert_eq!(item.signatories.len(), 1);
    assert_eq!(item.signatories[0].participant.name, "Bruno");
    assert_eq!(item.signatories[0].how, How::Signed);
    let s = &statuses(&f.space, &f.draft, &Options::default()).unwrap()[0];
    assert_eq!(s.status, Status::Contested);
    assert_eq!(s.open_objections, 1, "one objection, however many hold it");
    assert_eq!(s.groups["civil-society"].open_objections, 1);
    assert_eq!(s.groups["government"].open_objections, 1);
    assert_eq!(s.in_the_rough, ["civil-society", "government"]);

    // Answered with a reason: both groups still took part, and are in the rough.
    f.dispose(o, DispositionValue::Declined, "Out of scope.", None);
    let s = &statuses(&f.space, &f.draft, &Options::default()).unwrap()[0];
    assert_eq!(s.status, Status::Divided);
    assert_eq!(s.in_the_rough, ["civil-society", "government"]);

    // Bruno takes his signature back: his group no longer holds it.
    f.withdraw_sign_on(BRUNO, o);
    let s = &statuses(&f.space, &f.draft, &Options::default()).unwrap()[0];
    assert!(!s.groups.contains_key("government"));
    assert_eq!(s.in_the_rough, ["civil-society"]);
}

#[test]
fn a_registered_signer_makes_an_unregistered_objection_count() {
    let mut f = space();
    f.register(BRUNO, "government", "Europe");
    let o = f.objection(AMINA, 1, "No.");
    let registered = Options {
        registered_only: true,
        ..Options::default()
    };
    assert_eq!(
        statuses(&f.space, &f.draft, &registered).unwrap()[0].status,
        Status::NoEngagement
    );
    f.cosign(BRUNO, o, None);
    let s = &statuses(&f.space, &f.draft, &registered).unwrap()[0];
    assert_eq!(s.status, Status::Contested);
    assert_eq!(
        s.took_part,
        ["government"],
        "Amina is not counted, Bruno is"
    );
    let register = objections(&f.space, &f.draft, &registered).unwrap();
    assert!(register.objections[0].counted);
}

#[test]
fn members_sign_on_for_their_coalition() {
    let mut f = space();
    let o = f.objection(AMINA, 1, "No.");
    f.membership(COALITION, BRUNO, true);
    f.membership(COALITION, CARLA, true);
    f.cosign(BRUNO, o, Some(COALITION));
    f.cosign(CARLA, o, Some(COALITION));
    let register = objections(&f.space, &f.draft, &Options::default()).unwrap();
    let signatories = &register.objections[0].signatories;
    assert_eq!(signatories.len(), 1, "{signatories:#?}");
    let coalition = &signatories[0];
    assert_eq!(coalition.participant.name, "Digital Rights Coalition");
    assert_eq!(coalition.how, How::Coalition);
    assert_eq!(coalition.group, "civil-society");
    let mut via: Vec<&str> = coalition.via.iter().map(|p| p.name.as_str()).collect();
    via.sort();
    assert_eq!(via, ["Bruno", "Carla"]);
    // The coalition's group holds the objection; the members' groups do not.
    let s = &statuses(&f.space, &f.draft, &Options::default()).unwrap()[0];
    assert_eq!(s.took_part, ["civil-society"]);

    // Once the coalition removes Carla, her sign-on is hers alone.
    f.membership(COALITION, CARLA, false);
    let register = objections(&f.space, &f.draft, &Options::default()).unwrap();
    let got: Vec<(String, How, usize)> = register.objections[0]
        .signatories
        .iter()
        .map(|s| (s.participant.name.clone(), s.how, s.via.len()))
        .collect();
    let mut got = got;
    got.sort();
    assert_eq!(
        got,
        [
            ("Carla".to_owned(), How::Signed, 0),
            ("Digital Rights Coalition".to_owned(), How::Coalition, 1),
        ]
    );
    let b = balance(&f.space, Some(&f.draft), &Options::default());
    assert_eq!(b.by_group["government"].sign_ons, 1);
    assert_eq!(b.by_group["private-sector"].sign_ons, 1);
    assert_eq!(b.total.sign_ons, 2);
    assert_eq!(b.total.participants, 3, "Amina, Bruno and Carla");
}

#[test]
fn identical_objections_from_many_keys_are_one_campaign() {
    let mut f = space();
    let first = f.objection(AMINA, 2, "Remove this paragraph.");
    let second = f.objection(BRUNO, 2, "Remove  this paragraph. ");
    let third = f.objection(CARLA, 2, "Remove this paragraph.");
    f.objection(DAN, 2, "Remove this paragraph, please.");
    let groups = campaigns(&f.space, &f.draft);
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0], [first, second, third]);

    let register = objections(&f.space, &f.draft, &Options::default()).unwrap();
    assert_eq!(register.objections.len(), 2);
    let campaign = &register.objections[0];
    assert_eq!(campaign.id, first.to_string());
    let names: Vec<(&str, How)> = campaign
        .signatories
        .iter()
        .map(|s| (s.participant.name.as_str(), s.how))
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, [("Bruno", How::Author), ("Carla", How::Author)]);
    let s = &statuses(&f.space, &f.draft, &Options::default()).unwrap()[1];
    assert_eq!(s.open_objections, 2, "the campaign and Dan's own objection");
    assert_eq!(s.took_part.len(), 4);

    // One answer to the first comment answers the campaign.
    f.dispose(
        first,
        DispositionValue::Declined,
        "The paragraph records a fact.",
        None,
    );
    let register = objections(&f.space, &f.draft, &Options::default()).unwrap();
    assert!(matches!(
        register.objections[0].state,
        ObjectionState::Addressed { .. }
    ));
    assert_eq!(register.objections[0].signatories.len(), 2);
    // A member answered differently is split off.
    f.dispose(
        third,
        DispositionValue::Noted,
        "Recorded in the annex.",
        None,
    );
    let groups = campaigns(&f.space, &f.draft);
    assert_eq!(groups.len(), 3);
    assert!(groups.contains(&vec![first, second]));
    assert!(groups.contains(&vec![third]));
}

#[test]
fn alternatives_are_tallied_side_by_side_with_the_current_text() {
    let mut f = space();
    f.stance(BRUNO, 1, StanceValue::Support, None);
    f.stance(CARLA, 1, StanceValue::Object, Some("Which policy?"));
    let s = f.suggest(
        AMINA,
        1,
        Some("a policy in force"),
        "More precise.",
        "a policy adopted in 2024",
    );
    f.alternative_stance(BRUNO, s, StanceValue::Support, None);
    f.alternative_stance(CARLA, s, StanceValue::Accept, None);
    f.alternative_stance(DAN, s, StanceValue::Object, None);
    // The author rewords it: stances on the earlier wording no longer count.
    f.edit(AMINA, s, "More precise.", Some("a policy adopted in 2023"));
    f.alternative_stance(CARLA, s, StanceValue::Support, None);
    f.alternative_stance(DAN, s, StanceValue::Accept, None);

    let alts = alternatives(&f.space, &f.draft, &Options::default()).unwrap();
    assert_eq!(alts.paragraphs.len(), 1);
    let p = &alts.paragraphs[0];
    assert_eq!(p.n, 1);
    // Groups with a counted stance on the text or on the alternative's current wording.
    assert_eq!(
        p.groups,
        ["government", "private-sector", "technical-community"]
    );
    // Current text: government 1 of 1 → 2/3, private sector 0 of 1 → 1/3, technical
    // community no vote → 1/2.
    assert!(close(p.current.consensus, 1.0 / 9.0));
    let a = &p.alternatives[0];
    assert_eq!(a.text, "a policy adopted in 2023");
    assert_eq!(a.replaces.as_deref(), Some("a policy in force"));
    assert_eq!((a.support.tally.support, a.support.tally.accept), (1, 1));
    assert_eq!(
        a.earlier_wording, 1,
        "Bruno's stance was on the first wording"
    );
    // Alternative: government no vote → 1/2, private sector 2/3, technical community 2/3.
    assert!(close(a.support.consensus, 2.0 / 9.0));
    assert!(alts.render().contains("\"a policy adopted in 2023\""));

    // Accepted into a revision: the alternative shows the disposition and its revision;
    // once the passage is replaced, it has nothing left to replace.
    let rev = f.revise("# Report\n\nTwelve contributions described a policy adopted in 2023.\n\nThe forum met four times.\n\nA third paragraph on funding.\n");
    f.dispose(s, DispositionValue::Accepted, "", Some(rev));
    let alts = alternatives(&f.space, &f.draft, &Options::default()).unwrap();
    let a = alts
        .paragraphs
        .iter()
        .flat_map(|p| &p.alternatives)
        .chain(&alts.unplaced)
        .next()
        .unwrap();
    let d = a.disposition.as_ref().unwrap();
    assert_eq!(
        (d.value, d.revision.clone()),
        ("accepted", Some(rev.to_string()))
    );
}

#[test]
fn divergent_views_are_listed_by_who_holds_them() {
    let mut f = space();
    f.stance(AMINA, 1, StanceValue::Support, None);
    f.stance(BRUNO, 1, StanceValue::Object, Some("Too vague."));
    f.stance(CARLA, 1, StanceValue::Accept, None);
    f.stance(DAN, 2, StanceValue::Support, None);
    let v = views(&f.space, &f.draft, &Options::default()).unwrap();
    assert!(v[0].divergent);
    assert!(!v[1].divergent);
    let stances: Vec<&str> = v[0].views.iter().map(|v| v.stance).collect();
    assert_eq!(stances, ["support", "accept", "object"]);
    let object = &v[0].views[2];
    assert_eq!(object.holders[0].participant.name, "Bruno");
    assert_eq!(object.holders[0].reason.as_deref(), Some("Too vague."));
    assert_eq!(object.groups["government"], 1);
}

//! The reference review of `docs/consensus.md`: twelve participants in four stakeholder
//! groups with known stances give known tallies, objection states, statuses,
//! group-informed consensus values and opinion groups, all computed by hand.

use std::collections::BTreeSet;

use margin_consensus::objection::{Accommodation, Source, Withdrawal};
use margin_consensus::test::{Bpf, bpf, who::*};
use margin_consensus::{
    ObjectionState, Options, Status, Tally, balance, convergence, objections, report, statuses,
    tallies,
};
use margin_core::prelude::*;

fn all() -> Options {
    Options::default()
}

fn registered() -> Options {
    Options {
        registered_only: true,
        ..Options::default()
    }
}

fn tally(support: usize, accept: usize, object: usize, abstain: usize) -> Tally {
    Tally {
        support,
        accept,
        object,
        abstain,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn tallies_count_each_latest_stance_once_by_group_and_region() {
    let Bpf { fixture: f, .. } = bpf();
    let t = tallies(&f.space, &f.draft, &all()).unwrap();
    assert_eq!(t.len(), 6);
    assert_eq!(
        t.iter().map(|p| p.n).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6]
    );
    // ¶2: bloc A (5) and C (3) support, bloc B (4) objects.
    assert_eq!(t[1].total, tally(8, 0, 4, 0));
    assert_eq!(t[1].by_group["government"], tally(3, 0, 0, 0));
    assert_eq!(t[1].by_group["civil-society"], tally(3, 0, 0, 0));
    assert_eq!(t[1].by_group["private-sector"], tally(0, 0, 3, 0));
    // T2's registration (technical community) overrides the profile (academia).
    assert_eq!(t[1].by_group["technical-community"], tally(2, 0, 1, 0));
    assert!(!t[1].by_group.contains_key("academia"));
    assert_eq!(t[1].by_region["Africa"], tally(3, 0, 0, 0)); // Grace, Chidi, Tariq
    assert_eq!(t[1].by_region["Asia-Pacific"], tally(1, 0, 2, 0)); // Chen; Rahul, Tomoko
    assert_eq!(t[1].by_region["Europe"], tally(2, 0, 1, 0)); // Gunnar, Clara; Rosa
    assert_eq!(t[1].by_region["Latin America"], tally(2, 0, 0, 0)); // Gabriela, Tiago
    assert_eq!(t[1].by_region["North America"], tally(0, 0, 1, 0)); // Ryan
    // ¶1: accept from bloc B; ¶6: three abstentions only.
    assert_eq!(t[0].total, tally(8, 4, 0, 0));
    assert_eq!(t[5].total, tally(0, 0, 0, 3));
    for p in &t {
        let by_group: usize = p.by_group.values().map(Tally::participants).sum();
        let by_region: usize = p.by_region.values().map(Tally::participants).sum();
        assert_eq!(by_group, p.total.participants());
        assert_eq!(by_region, p.total.participants());
    }
}

#[test]
fn registered_only_leaves_out_the_unregistered() {
    let Bpf { fixture: f, .. } = bpf();
    let t = tallies(&f.space, &f.draft, &registered()).unwrap();
    // C3, R3 and T3 are not registered.
    assert_eq!(t[1].total, tally(6, 0, 3, 0));
    assert_eq!(t[1].by_group["civil-society"], tally(2, 0, 0, 0));
    assert_eq!(t[1].by_group["private-sector"], tally(0, 0, 2, 0));
    assert_eq!(t[1].by_group["technical-community"], tally(1, 0, 1, 0));
    assert_eq!(t[5].total, tally(0, 0, 0, 2));
}

#[test]
fn the_registered_policy_counts_registered_participants_by_default() {
    let open = bpf().fixture.space;
    assert!(!Options::for_charter(open.charter()).registered_only);

    let mut f = margin_consensus::test::Fixture::new(Policy::Registered, "# R\n\nOne.\n");
    let options = Options::for_charter(f.space.charter());
    assert!(options.registered_only);
    assert_eq!(options.stakeholder_groups.len(), 6, "the IGF groups");
    let a = f.join("Amina", "civil-society", "Africa");
    f.register(a, "civil-society", "Africa");
    f.stance(a, 1, StanceValue::Support, None);
    let t = tallies(&f.space, &f.draft, &options).unwrap();
    assert_eq!(t[0].by_group["civil-society"], tally(1, 0, 0, 0));
}

#[test]
fn every_objection_has_its_state() {
    let b = bpf();
    let f = &b.fixture;
    let register = objections(&f.space, &f.draft, &all()).unwrap();
    let s = register.summary;
    assert_eq!(
        (
            s.open,
            s.accommodated,
            s.addressed,
            s.withdrawn,
            s.can_live_with_it
        ),
        (2, 2, 1, 2, 1)
    );
    assert_eq!(register.objections.len(), 8);
    let state = |id: EntryId| {
        let o = register
            .objections
            .iter()
            .find(|o| o.id == id.to_string())
            .expect("listed");
        (o.source, o.n, o.state.clone())
    };
    assert_eq!(
        state(b.r3_on_1),
        (Source::Comment, Some(1), ObjectionState::CanLiveWithIt)
    );
    assert_eq!(
        state(b.g3_on_2),
        (
            Source::Comment,
            Some(2),
            ObjectionState::Withdrawn {
                how: Withdrawal::Supports
            }
        )
    );
    assert_eq!(
        state(b.r1_on_2),
        (Source::Comment, Some(2), ObjectionState::Open)
    );
    assert_eq!(
        state(b.r2_stance_on_2),
        (Source::Stance, Some(2), ObjectionState::Open)
    );
    let (_, _, addressed) = state(b.c1_on_3);
    assert!(matches!(
        addressed,
        ObjectionState::Addressed { disposition: "declined", ref reason, .. }
            if reason.starts_with("The report describes")
    ));
    assert_eq!(
        state(b.t1_on_4),
        (
            Source::Comment,
            Some(4),
            ObjectionState::Withdrawn {
                how: Withdrawal::Retracted
            }
        )
    );
    assert_eq!(
        state(b.g1_on_5).2,
        ObjectionState::Accommodated {
            by: Accommodation::Disposition,
            revision: Some(b.revision.to_string()),
            was: Some("measuring cyber capacity".into()),
            now: Some("measuring and comparing cyber capacity".into()),
        }
    );
    assert_eq!(
        state(b.g2_stance_on_5).2,
        ObjectionState::Accommodated {
            by: Accommodation::TextChanged,
            revision: Some(b.revision.to_string()),
            was: Some("Further research is needed on measuring cyber capacity.".into()),
            now: Some(
                "Further research is needed on measuring and comparing cyber capacity across regions."
                    .into()
            ),
        }
    );
    // Register order: by paragraph, then time.
    let ns: Vec<Option<usize>> = register.objections.iter().map(|o| o.n).collect();
    assert_eq!(
        ns,
        [1, 2, 2, 2, 3, 4, 5, 5].map(Some).to_vec(),
        "{:#?}",
        register.objections
    );
    // Under registered-only, R3's objection is listed but not counted.
    let register = objections(&f.space, &f.draft, &registered()).unwrap();
    let r3 = register
        .objections
        .iter()
        .find(|o| o.id == b.r3_on_1.to_string())
        .unwrap();
    assert!(!r3.counted);
    assert_eq!(register.objections.iter().filter(|o| o.counted).count(), 7);
}

#[test]
fn statuses_follow_the_rule() {
    let Bpf { fixture: f, .. } = bpf();
    let s = statuses(&f.space, &f.draft, &all()).unwrap();
    let got: Vec<(Status, usize, Vec<String>)> = s
        .iter()
        .map(|p| (p.status, p.open_objections, p.in_the_rough.clone()))
        .collect();
    let rough = |g: &str| vec![g.to_owned()];
    assert_eq!(
        got,
        [
            (Status::RoughConsensus, 0, vec![]),
            (Status::Contested, 2, rough("private-sector")),
            (Status::Divided, 0, rough("civil-society")),
            (Status::Bracketed, 0, rough("private-sector")),
            (Status::RoughConsensus, 0, vec![]),
            (Status::NoEngagement, 0, vec![]),
        ]
    );
    // C1's addressed objection is counted as taking part; abstaining is not.
    assert_eq!(s[2].groups["civil-society"].addressed_objections, 1);
    assert!(s[5].took_part.is_empty());
}

#[test]
fn group_informed_consensus_over_stakeholder_and_opinion_groups() {
    let Bpf { fixture: f, .. } = bpf();
    let c = convergence(&f.space, &f.draft, &all()).unwrap();
    assert_eq!(
        c.stakeholder_groups,
        [
            "civil-society",
            "government",
            "private-sector",
            "technical-community"
        ]
    );
    let stakeholder = [
        256.0 / 625.0,
        48.0 / 625.0,
        36.0 / 625.0,
        48.0 / 625.0,
        96.0 / 625.0,
        1.0 / 16.0,
    ];
    let opinion = [
        4.0 / 7.0,
        4.0 / 35.0,
        2.0 / 21.0,
        4.0 / 35.0,
        1.0 / 7.0,
        1.0 / 8.0,
    ];
    for (i, p) in c.paragraphs.iter().enumerate() {
        assert!(
            close(p.stakeholder_consensus, stakeholder[i]),
            "¶{}: {} ≠ {}",
            p.n,
            p.stakeholder_consensus,
            stakeholder[i]
        );
        assert!(
            close(p.opinion_consensus, opinion[i]),
            "¶{}: {} ≠ {}",
            p.n,
            p.opinion_consensus,
            opinion[i]
        );
    }
    let p1 = vec![c.paragraphs[0].para.clone()];
    assert_eq!(c.supported_by_every_opinion_group, p1);
    assert_eq!(c.supported_by_every_stakeholder_group, p1);
}

#[test]
fn opinion_groups_are_the_three_blocs() {
    let Bpf { fixture: f, .. } = bpf();
    let c = convergence(&f.space, &f.draft, &all()).unwrap();
    assert_eq!(c.silhouette, Some(1.0));
    let keys =
        |ws: &[usize]| -> BTreeSet<String> { ws.iter().map(|w| f.key(*w).to_string()).collect() };
    let groups: BTreeSet<BTreeSet<String>> = c
        .opinion_groups
        .iter()
        .map(|g| {
            g.members
                .iter()
                .map(|m| m.participant.key.clone())
                .collect()
        })
        .collect();
    let blocs = BTreeSet::from([
        keys(&[C1, C2, C3, T1, G3]),
        keys(&[R1, R2, R3, T2]),
        keys(&[G1, G2, T3]),
    ]);
    assert_eq!(groups, blocs);
    // Labels follow each group's first member by key.
    let firsts: Vec<String> = c
        .opinion_groups
        .iter()
        .map(|g| g.members[0].participant.key.clone())
        .collect();
    let mut sorted = firsts.clone();
    sorted.sort();
    assert_eq!(firsts, sorted);
    assert_eq!(
        c.opinion_groups
            .iter()
            .map(|g| g.label.as_str())
            .collect::<Vec<_>>(),
        ["A", "B", "C"]
    );

    // Bloc A (5 members) against the other 7: ¶3 disagree (6/7 vs 1/9), then ¶2 and ¶4
    // agree (6/7 vs 4/9), then ¶5 agree (6/7 vs 5/9).
    let a = c
        .opinion_groups
        .iter()
        .find(|g| g.members.len() == 5)
        .unwrap();
    let reps: Vec<(usize, f64)> = a
        .representative
        .iter()
        .map(|r| (r.n, r.representativeness))
        .collect();
    let expected = [
        (3, (6.0 / 7.0) / (1.0 / 9.0)),
        (2, (6.0 / 7.0) / (4.0 / 9.0)),
        (4, (6.0 / 7.0) / (4.0 / 9.0)),
        (5, (6.0 / 7.0) / (5.0 / 9.0)),
    ];
    assert_eq!(reps.len(), expected.len(), "{reps:?}");
    for ((n, r), (en, er)) in reps.iter().zip(expected) {
        assert_eq!(*n, en);
        assert!(close(*r, er), "¶{n}: {r} ≠ {er}");
    }
}

#[test]
fn the_report_puts_it_together() {
    let Bpf { fixture: f, .. } = bpf();
    let r = report(&f.space, &f.draft, &all()).unwrap();
    assert_eq!(r.title, "Draft report on cyber capacity");
    assert_eq!(r.statuses[&Status::RoughConsensus], 2);
    assert_eq!(r.paragraphs[1].status, Status::Contested);
    assert!(close(r.paragraphs[4].stakeholder_consensus, 96.0 / 625.0));
    assert_eq!(r.open_draft_objections, 0);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["paragraphs"][1]["status"], "contested");
    assert_eq!(json["statuses"]["rough-consensus"], 2);
    let text = r.render();
    assert!(text.contains("in the rough: civil-society"), "{text}");

    let register = objections(&f.space, &f.draft, &all()).unwrap();
    let json = serde_json::to_value(&register).unwrap();
    assert_eq!(json["objections"][0]["state"], "can-live-with-it");
    assert_eq!(json["objections"][7]["state"], "accommodated");
    assert_eq!(json["objections"][7]["by"], "text-changed");
    assert!(register.render().starts_with("8 objections: 2 open"));
}

#[test]
fn balance_shows_whose_voice_is_missing() {
    let Bpf { fixture: f, .. } = bpf();
    let b = balance(&f.space, None, &all());
    let p = |g: &str| {
        let p = b.by_group[g];
        (p.participants, p.comments, p.stances)
    };
    // Comments: T1's was retracted. Stances: bloc C also abstained on ¶6.
    assert_eq!(p("government"), (3, 2, 17));
    assert_eq!(p("civil-society"), (3, 1, 15));
    assert_eq!(p("private-sector"), (3, 2, 15));
    assert_eq!(p("technical-community"), (3, 0, 16));
    assert_eq!(p("academia"), (0, 0, 0));
    assert_eq!(b.missing_groups, ["academia", "intergovernmental"]);
    assert_eq!(
        (b.total.participants, b.total.comments, b.total.stances),
        (12, 5, 63)
    );
    assert_eq!(b.by_region["Africa"].participants, 3);
    let registered = balance(&f.space, Some(&f.draft), &registered());
    assert_eq!(registered.total.participants, 9);
    assert!(
        b.render()
            .contains("no voice from: academia, intergovernmental")
    );
}

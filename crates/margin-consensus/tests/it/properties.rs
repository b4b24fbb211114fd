//! Properties of the rules over generated inputs: the status rule, group-informed
//! consensus, opinion groups, and the figures of generated review spaces — which must
//! come out the same whatever order a node received the entries in.

use std::collections::BTreeMap;

use margin_consensus::cluster::{self, kmeans, opinion_groups, silhouette};
use margin_consensus::status::{GroupPosition, in_the_rough};
use margin_consensus::test::Fixture;
use margin_consensus::{
    Options, Status, Tally, alternatives, balance, classify, group_informed_consensus, objections,
    report, tallies,
};
use margin_core::prelude::*;
use margin_space::Space;
use proptest::prelude::*;

fn tally() -> impl Strategy<Value = Tally> {
    (0..4usize, 0..4usize, 0..4usize, 0..3usize).prop_map(|(support, accept, object, abstain)| {
        Tally {
            support,
            accept,
            object,
            abstain,
        }
    })
}

fn position() -> impl Strategy<Value = GroupPosition> {
    (tally(), 0..2usize, 0..2usize).prop_map(|(tally, open, addressed)| GroupPosition {
        tally,
        open_objections: open,
        addressed_objections: addressed,
    })
}

fn groups() -> impl Strategy<Value = BTreeMap<String, GroupPosition>> {
    proptest::collection::btree_map("[a-e]", position(), 0..5)
}

proptest! {
    #[test]
    fn the_status_rule_holds(bracketed in any::<bool>(), groups in groups()) {
        let status = classify(bracketed, &groups);
        let open = groups.values().any(|g| g.open_objections > 0);
        let took_part: Vec<&GroupPosition> = groups.values().filter(|g| g.took_part()).collect();
        prop_assert_eq!(status == Status::Bracketed, bracketed);
        if !bracketed {
            prop_assert_eq!(status == Status::Contested, open);
        }
        match status {
            Status::RoughConsensus => {
                prop_assert!(!open);
                prop_assert!(!took_part.is_empty());
                prop_assert!(took_part.iter().all(|g| g.tally.agree() > 0));
                prop_assert!(in_the_rough(&groups).is_empty());
            }
            Status::Divided => {
                prop_assert!(!open);
                prop_assert!(!in_the_rough(&groups).is_empty());
            }
            Status::NoEngagement => prop_assert!(took_part.is_empty()),
            Status::Contested | Status::Bracketed => {}
        }
        // Groups in the rough are exactly those that took part with nobody agreeing.
        for name in in_the_rough(&groups) {
            let g = &groups[&name];
            prop_assert!(g.took_part() && g.tally.agree() == 0);
        }
    }

    #[test]
    fn group_informed_consensus_is_the_product_of_laplace_ratios(ts in proptest::collection::vec(tally(), 0..6)) {
        let gic = group_informed_consensus(&ts);
        let expected: f64 = ts
            .iter()
            .map(|t| (t.support + t.accept + 1) as f64 / (t.support + t.accept + t.object + 2) as f64)
            .product();
        prop_assert!((gic - expected).abs() < 1e-12);
        prop_assert!(gic > 0.0 && gic <= 1.0);
        // Abstentions do not count; one more agreeing vote never lowers it, one more
        // objection never raises it.
        for i in 0..ts.len() {
            let mut more = ts.clone();
            more[i].abstain += 1;
            prop_assert!((group_informed_consensus(&more) - gic).abs() < 1e-12);
            let mut more = ts.clone();
            more[i].accept += 1;
            prop_assert!(group_informed_consensus(&more) >= gic);
            let mut more = ts.clone();
            more[i].object += 1;
            prop_assert!(group_informed_consensus(&more) <= gic);
        }
    }

    #[test]
    fn opinion_groups_are_deterministic_and_well_formed(
        rows in proptest::collection::vec(proptest::collection::vec(0..4u8, 5), 0..14)
    ) {
        let weight = |v: u8| [1.0, 0.5, -1.0, 0.0][v as usize];
        let rows: Vec<Vec<f64>> = rows.iter().map(|r| r.iter().map(|v| weight(*v)).collect()).collect();
        let c = opinion_groups(&rows);
        prop_assert_eq!(&c, &opinion_groups(&rows));
        let n = rows.len();
        prop_assert_eq!(c.assignment.len(), n);
        if n < cluster::MIN_PARTICIPANTS {
            prop_assert!(c.k <= 1);
        } else {
            prop_assert!(c.k >= 1 && c.k <= cluster::MAX_GROUPS.min(n - 1));
        }
        // Groups are numbered in order of their first row, and none is empty.
        let mut next = 0;
        for &a in &c.assignment {
            prop_assert!(a <= next);
            if a == next { next += 1; }
        }
        prop_assert_eq!(next, c.k);
        // Participants with the same stances are in the same group.
        for i in 0..n {
            for j in 0..n {
                if rows[i] == rows[j] {
                    prop_assert_eq!(c.assignment[i], c.assignment[j]);
                }
            }
        }
        if let Some(s) = c.silhouette {
            prop_assert!((-1.0..=1.0).contains(&s));
        }
    }

    #[test]
    fn two_or_three_blocs_are_found_exactly(
        blocs in proptest::collection::vec((proptest::collection::vec(0..4u8, 6), 2..5usize), 2..=3),
        order in proptest::collection::vec(any::<u32>(), 15),
    ) {
        // Blocs of at least two: a participant alone in a group has silhouette 0, so a
        // lone dissenter may rightly be merged into the nearest bloc.
        let weight = |v: u8| [1.0, 0.5, -1.0, 0.0][v as usize];
        let mut vectors: Vec<&Vec<u8>> = blocs.iter().map(|(v, _)| v).collect();
        vectors.sort();
        vectors.dedup();
        prop_assume!(vectors.len() == blocs.len());
        // Members of the blocs, interleaved in a generated order.
        let mut members: Vec<usize> = blocs
            .iter()
            .enumerate()
            .flat_map(|(b, (_, size))| std::iter::repeat_n(b, *size))
            .collect();
        let mut keyed: Vec<(u32, usize)> = members.iter().zip(&order).map(|(m, o)| (*o, *m)).collect();
        keyed.sort();
        members = keyed.into_iter().map(|(_, m)| m).collect();
        let rows: Vec<Vec<f64>> = members
            .iter()
            .map(|m| blocs[*m].0.iter().map(|v| weight(*v)).collect())
            .collect();
        let c = opinion_groups(&rows);
        prop_assert_eq!(c.k, blocs.len());
        prop_assert_eq!(c.silhouette, Some(1.0));
        for i in 0..rows.len() {
            for j in 0..rows.len() {
                prop_assert_eq!(c.assignment[i] == c.assignment[j], members[i] == members[j]);
            }
        }
    }

    #[test]
    fn kmeans_and_silhouette_are_consistent(
        points in proptest::collection::vec((-3i8..3, -3i8..3), 4..12),
        k in 2usize..4,
    ) {
        let points: Vec<[f64; 2]> = points.iter().map(|(x, y)| [*x as f64, *y as f64]).collect();
        if let Some(a) = kmeans(&points, k) {
            prop_assert_eq!(a.len(), points.len());
            for g in 0..k {
                prop_assert!(a.contains(&g), "group {} is empty", g);
            }
            let s = silhouette(&points, &a);
            prop_assert!((-1.0..=1.0).contains(&s));
        }
    }
}

/// One thing done in a generated review.
#[derive(Clone, Debug)]
enum Act {
    Stance {
        who: usize,
        para: usize,
        value: u8,
        reason: bool,
    },
    Objection {
        who: usize,
        para: usize,
    },
    Dispose {
        of: usize,
        value: u8,
        note: bool,
    },
    Retract {
        of: usize,
    },
    Revise {
        para: usize,
    },
    Suggest {
        who: usize,
        para: usize,
    },
    CoSign {
        who: usize,
        of: usize,
        coalition: bool,
        withdraw: bool,
    },
    Member {
        member: usize,
        active: bool,
    },
    AlternativeStance {
        who: usize,
        of: usize,
        value: u8,
    },
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        6 => (0..6usize, 0..3usize, 0..4u8, any::<bool>())
            .prop_map(|(who, para, value, reason)| Act::Stance { who, para, value, reason }),
        2 => (0..6usize, 0..3usize).prop_map(|(who, para)| Act::Objection { who, para }),
        2 => (0..8usize, 0..4u8, any::<bool>()).prop_map(|(of, value, note)| Act::Dispose { of, value, note }),
        1 => (0..8usize).prop_map(|of| Act::Retract { of }),
        1 => (0..3usize).prop_map(|para| Act::Revise { para }),
        1 => (0..5usize, 0..3usize).prop_map(|(who, para)| Act::Suggest { who, para }),
        2 => (0..5usize, 0..8usize, any::<bool>(), any::<bool>())
            .prop_map(|(who, of, coalition, withdraw)| Act::CoSign { who, of, coalition, withdraw }),
        1 => (0..5usize, any::<bool>()).prop_map(|(member, active)| Act::Member { member, active }),
        2 => (0..6usize, 0..8usize, 0..4u8)
            .prop_map(|(who, of, value)| Act::AlternativeStance { who, of, value }),
    ]
}

const PARAS: [&str; 3] = [
    "Capacity building is a shared responsibility.",
    "Governments should publish strategies.",
    "Research is needed on measurement.",
];

fn build(acts: &[Act]) -> Fixture {
    let md = |paras: &[String]| format!("# Generated\n\n{}\n", paras.join("\n\n"));
    let mut text: Vec<String> = PARAS.iter().map(|s| s.to_string()).collect();
    let mut f = Fixture::new(Policy::Open, &md(&text));
    let groups = ["government", "civil-society", "private-sector", ""];
    for i in 0..6 {
        f.join(&format!("P{i}"), groups[i % 4], ["Africa", "Europe"][i % 2]);
    }
    f.register(0, "government", "Africa");
    f.register(3, "technical-community", "");
    let mut comments: Vec<(EntryId, usize)> = vec![];
    let mut suggestions: Vec<EntryId> = vec![];
    // Participant 5 is also a coalition; its members sign on for it.
    const COALITION: usize = 5;
    for a in acts {
        match *a {
            Act::Stance {
                who,
                para,
                value,
                reason,
            } => {
                let value = [
                    StanceValue::Support,
                    StanceValue::Accept,
                    StanceValue::Object,
                    StanceValue::Abstain,
                ][value as usize];
                f.stance(who, para + 1, value, reason.then_some("because"));
            }
            Act::Objection { who, para } => {
                let id = f.objection(who, para + 1, "I object.");
                comments.push((id, who));
            }
            Act::Dispose { of, value, note } => {
                if let Some(&(id, _)) = comments.get(of % comments.len().max(1)) {
                    let value = [
                        DispositionValue::Accepted,
                        DispositionValue::Partly,
                        DispositionValue::Declined,
                        DispositionValue::Noted,
                    ][value as usize];
                    f.dispose(id, value, if note { "A reason." } else { "" }, None);
                }
            }
            Act::Retract { of } => {
                if let Some(&(id, who)) = comments.get(of % comments.len().max(1)) {
                    let retracted = f.space.comment(&id).is_some_and(|c| c.retracted.is_some());
                    if !retracted {
                        f.retract(who, id);
                    }
                }
            }
            Act::Revise { para } => {
                text[para].push_str(" Revised.");
                f.revise(&md(&text));
            }
            Act::Suggest { who, para } => {
                let id = f.suggest(who, para + 1, None, "Better.", "Another wording.");
                comments.push((id, who));
                suggestions.push(id);
            }
            Act::CoSign {
                who,
                of,
                coalition,
                withdraw,
            } => {
                if let Some(&(id, author)) = comments.get(of % comments.len().max(1)) {
                    let key = f.key(who);
                    let admitted = f.space.is_member(&f.key(COALITION), &key);
                    let valid_coalition = !coalition || (admitted && who != COALITION);
                    if author != who && valid_coalition {
                        if withdraw {
                            f.withdraw_sign_on(who, id);
                        } else {
                            f.cosign(who, id, coalition.then_some(COALITION));
                        }
                    }
                }
            }
            Act::Member { member, active } => {
                if member != COALITION {
                    f.membership(COALITION, member, active);
                }
            }
            Act::AlternativeStance { who, of, value } => {
                if let Some(&id) = suggestions.get(of % suggestions.len().max(1)) {
                    let value = [
                        StanceValue::Support,
                        StanceValue::Accept,
                        StanceValue::Object,
                        StanceValue::Abstain,
                    ][value as usize];
                    f.alternative_stance(who, id, value, None);
                }
            }
        }
    }
    f
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn figures_of_a_generated_review_are_consistent_and_order_independent(
        acts in proptest::collection::vec(act(), 1..30),
        seed in any::<u64>(),
    ) {
        let f = build(&acts);
        let options = Options::default();
        let t = tallies(&f.space, &f.draft, &options).unwrap();
        // Each participant counts once per paragraph, in one group and one region.
        let latest: usize = f.space.stances().count();
        prop_assert_eq!(t.iter().map(|p| p.total.participants()).sum::<usize>(), latest);
        for p in &t {
            prop_assert_eq!(p.by_group.values().map(Tally::participants).sum::<usize>(), p.total.participants());
            prop_assert_eq!(p.by_region.values().map(Tally::participants).sum::<usize>(), p.total.participants());
        }
        // Registered-only counts a subset.
        let registered = Options { registered_only: true, ..Options::default() };
        let r = tallies(&f.space, &f.draft, &registered).unwrap();
        for (a, b) in t.iter().zip(&r) {
            prop_assert!(b.total.participants() <= a.total.participants());
        }
        // Every objection comment is in the register once: as an item, or as one of the
        // comments of a campaign item.
        let register = objections(&f.space, &f.draft, &options).unwrap();
        let mut comments: Vec<String> = f
            .space
            .comments()
            .filter(|c| c.body.kind == CommentKind::Objection)
            .map(|c| c.id.to_string())
            .collect();
        comments.sort();
        let mut listed: Vec<String> = register
            .objections
            .iter()
            .filter(|o| o.source == margin_consensus::objection::Source::Comment)
            .flat_map(|o| o.comments.clone())
            .collect();
        for o in &register.objections {
            if o.source == margin_consensus::objection::Source::Comment {
                prop_assert_eq!(o.comments.first(), Some(&o.id));
            }
        }
        listed.sort();
        prop_assert_eq!(listed, comments);
        // A contested paragraph has an open counted objection, and only then.
        let rep = report(&f.space, &f.draft, &options).unwrap();
        for p in &rep.paragraphs {
            prop_assert_eq!(p.status == Status::Contested, p.open_objections > 0);
        }

        // Another node receives the same entries in another order: same figures.
        let mut order: Vec<usize> = (1..f.entries.len()).collect();
        let mut s = seed;
        for i in (1..order.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (s >> 33) as usize % (i + 1));
        }
        let mut other = Space::new(f.entries[0].clone()).unwrap();
        for i in order {
            other.apply(f.entries[i].clone());
        }
        prop_assert_eq!(other.digest(), f.space.digest());
        let again = report(&other, &f.draft, &options).unwrap();
        prop_assert_eq!(
            serde_json::to_string(&again).unwrap(),
            serde_json::to_string(&rep).unwrap()
        );
        prop_assert_eq!(
            serde_json::to_string(&objections(&other, &f.draft, &options).unwrap()).unwrap(),
            serde_json::to_string(&register).unwrap()
        );
        let alts = alternatives(&f.space, &f.draft, &options).unwrap();
        prop_assert_eq!(
            serde_json::to_string(&alternatives(&other, &f.draft, &options).unwrap()).unwrap(),
            serde_json::to_string(&alts).unwrap()
        );
        prop_assert_eq!(
            serde_json::to_string(&balance(&other, None, &options)).unwrap(),
            serde_json::to_string(&balance(&f.space, None, &options)).unwrap()
        );
        // Every alternative counts each participant once.
        for p in &alts.paragraphs {
            for a in &p.alternatives {
                prop_assert!(a.support.tally.participants() <= 6);
                prop_assert_eq!(
                    a.support.by_group.values().map(Tally::participants).sum::<usize>(),
                    a.support.tally.participants()
                );
            }
        }
    }
}

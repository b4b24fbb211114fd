//! The draft page at its busiest: 200 paragraphs and 2 000 comments must stay under
//! 300 KB before compression, whoever reads it, and still show every paragraph, its
//! counts and its highlights.

use margin_core::Timestamp;
use margin_core::body::Profile;
use margin_node::{Home, Node};
use margin_web::model::{DraftQuery, draft_model};
use margin_web::test::large_space;
use margin_web::view::{self, SyncLine};
use margin_web::{Me, Viewer};

const LIMIT: usize = 300 * 1024;

#[test]
fn a_draft_of_200_paragraphs_and_2000_comments_weighs_under_300_kb() {
    let dir = tempfile::tempdir().expect("temporary home");
    let home = Home::at(dir.path());
    let identity = home
        .init(
            Profile {
                name: "Editor".into(),
                affiliation: String::new(),
                stakeholder: "technical-community".into(),
                region: "Europe".into(),
            },
            Timestamp::now(),
        )
        .expect("identity");
    let mut node = Node::open(home).expect("node");
    let t0 = std::time::Instant::now();
    let large = large_space(&mut node, 200, 2000).expect("large space");
    eprintln!("generate {:?}", t0.elapsed());
    let t0 = std::time::Instant::now();
    let (draft, space) = node.locate_draft(&large.draft.to_hex()).expect("draft");
    eprintln!("load {:?}", t0.elapsed());
    let me = Me {
        key: identity.key.public(),
        name: "Editor".into(),
    };
    let readers = [
        (
            "a reader without the token",
            Viewer {
                public: false,
                logged_in: false,
                me: Some(me.clone()),
                muted: Default::default(),
                take_part: false,
            },
        ),
        (
            "the editor, logged in",
            Viewer {
                public: false,
                logged_in: true,
                me: Some(me),
                muted: Default::default(),
                take_part: false,
            },
        ),
        (
            "a mirror's public view",
            Viewer {
                public: true,
                logged_in: false,
                me: None,
                muted: Default::default(),
                take_part: false,
            },
        ),
        (
            "a public site that takes part",
            Viewer {
                public: true,
                logged_in: false,
                me: None,
                muted: Default::default(),
                take_part: true,
            },
        ),
    ];
    for (who, viewer) in readers {
        let t0 = std::time::Instant::now();
        let model = node
            .with_space(&space, |s| {
                draft_model(s, &draft, &DraftQuery::default(), &viewer)
            })
            .expect("model");
        eprintln!("model {:?}", t0.elapsed());
        assert_eq!(model.comments, 2000);
        assert_eq!(model.blocks().filter(|b| b.n.is_some()).count(), 200);
        let t0 = std::time::Instant::now();
        let page = view::draft(&model, &viewer, &SyncLine::default()).into_string();
        eprintln!("render {:?}", t0.elapsed());
        println!("{who}: {} bytes", page.len());
        assert!(
            page.len() < LIMIT,
            "{who}: the page weighs {} bytes",
            page.len()
        );
        assert_eq!(
            page.matches("<article class=\"p").count(),
            200,
            "{who}: every paragraph"
        );
        assert!(page.contains("<mark"), "{who}: passages highlighted");
        assert!(
            page.contains("dir=\"rtl\""),
            "{who}: the Arabic paragraph right-to-left"
        );
        assert_eq!(
            viewer.can_write() || viewer.take_part,
            page.contains("id=\"respond\""),
            "{who}: the response form"
        );
        // On a site that takes part, it waits, hidden, for a key in the browser.
        assert_eq!(
            viewer.take_part,
            page.contains("id=\"respond\" hidden"),
            "{who}: the form shows only with a key"
        );
    }
}

//! The sample space a newcomer loads with `margin demo`: a real review, with several
//! participants' comments, stances, a sign-on, stances on an alternative wording, a
//! revision and dispositions, that every reading command can show.

use crate::common;

use common::*;

#[test]
fn the_sample_space_is_a_real_review_and_loads_once() {
    let p = Participant::new("newcomer");
    let first = p.json(&["demo"]);
    assert_eq!(first["loaded"], true);
    let again = p.json(&["demo"]);
    assert_eq!(again["loaded"], false);
    assert_eq!(again["space"], first["space"]);
    let space = first["space"].as_str().expect("space");
    let draft = first["draft"].as_str().expect("draft");
    let text = p.ok(&["demo"]);
    assert!(
        text.contains(&format!("margin comments {}", &draft[..12])),
        "{text}"
    );

    let view = p.json(&["space", "show", space]);
    assert_eq!(
        view["drafts"][0]["versions"],
        serde_json::json!(["v1", "v2"])
    );
    let comments = p.json(&["comments", draft]);
    let comments = comments.as_array().expect("comments");
    let authors: std::collections::BTreeSet<&str> = comments
        .iter()
        .filter_map(|c| c["author"]["name"].as_str())
        .collect();
    assert!(authors.len() >= 4, "{authors:?}");
    assert!(comments.iter().any(|c| c["anchor"]["state"] == "orphaned"));
    assert!(
        comments
            .iter()
            .any(|c| c["disposition"]["value"] == "partly")
    );

    let objections = p.json(&["objections", draft]);
    let text = objections.to_string();
    assert!(
        text.contains("open") && text.contains("addressed"),
        "{text}"
    );
    let alternatives = p.json(&["alternatives", draft]).to_string();
    assert!(
        alternatives.contains("designed with their recipients"),
        "{alternatives}"
    );
    let groups = p.json(&["balance", space]).to_string();
    for group in ["civil-society", "government", "private-sector", "academia"] {
        assert!(groups.contains(group), "{group} missing from {groups}");
    }
    // A second home gets the identical review from a bundle.
    let other = Participant::new("friend");
    other.import(&p.bundle(space));
    assert_eq!(other.digest(space), p.digest(space));
}

//! A space restored from its snapshot is the space its entries make, and goes on to
//! decide later entries exactly as the space that never stopped: the sample space saved
//! after each prefix of its entries, restored, and given the rest, ends with the same
//! state digest and entry set as the space that took them all at once.

use margin_core::entry::Entry;
use margin_node::home::Home;
use margin_node::node::Node;
use margin_space::Space;

#[test]
fn a_restored_space_decides_the_rest_as_the_space_that_never_stopped() {
    let dir = tempfile::tempdir().expect("a temporary home");
    let mut node = Node::open(Home::at(dir.path())).expect("open a node");
    let demo = margin_node::demo::load(&mut node).expect("the sample space");
    let (_, space_id) = node.locate_draft(&demo.draft).expect("the draft");
    let entries: Vec<Entry> = node
        .store()
        .space_entries(&space_id)
        .expect("the stored entries");
    assert!(entries.len() > 20, "the sample has entries");

    let mut whole = Space::new(entries[0].clone()).expect("the charter");
    for e in &entries {
        whole.apply(e.clone());
    }
    for cut in 1..entries.len() {
        let mut first = Space::new(entries[0].clone()).expect("the charter");
        for e in &entries[..cut] {
            first.apply(e.clone());
        }
        let saved = first.save().expect("the state saves");
        let mut restored = Space::restore(&saved).expect("the snapshot restores");
        assert_eq!(restored.digest(), first.digest(), "restored after {cut}");
        for e in &entries[cut..] {
            restored.apply(e.clone());
        }
        assert_eq!(restored.digest(), whole.digest(), "restored after {cut}");
        assert_eq!(
            restored.entry_set_digest(),
            whole.entry_set_digest(),
            "restored after {cut}"
        );
    }
}

//! A readable line per message and per batch of verdicts, recorded by a
//! [traced](super::Simulation::traced) simulation: what to read when a seed fails, or to
//! compare two runs of one seed.

use margin_core::id::EntryId;

use crate::message::Message;
use crate::service::Verdict;

/// One message, with the ids it names.
pub(super) fn message(message: &Message) -> String {
    match message {
        Message::Hello {
            spaces,
            empty,
            echo,
            ..
        } => format!(
            "hello {}{}{}",
            shorts(spaces),
            if empty.is_empty() {
                String::new()
            } else {
                format!(" (empty: {})", shorts(empty))
            },
            if *echo { " (echo)" } else { "" }
        ),
        Message::Reconcile {
            space,
            session,
            round,
            payload,
        } => format!(
            "reconcile {} session {session} round {round} ({} bytes)",
            space.short(),
            payload.len()
        ),
        Message::ReconcileReply {
            space,
            session,
            round,
            payload,
        } => format!(
            "reconcile-reply {} session {session} round {round} ({} bytes)",
            space.short(),
            payload.len()
        ),
        Message::Done {
            space,
            session,
            you_lack,
            i_lack,
        } => format!(
            "done {} session {session}: you lack {you_lack}, I lack {i_lack}",
            space.short()
        ),
        Message::Have { space, ids } => format!("have {} {}", space.short(), shorts(ids)),
        Message::Want {
            space,
            request,
            ids,
        } => format!("want {} request {request} {}", space.short(), shorts(ids)),
        Message::Entries {
            space,
            request,
            count,
            last,
            resume,
            batch: bytes,
        }
        | Message::Packed {
            space,
            request,
            count,
            last,
            resume,
            pack: bytes,
        } => format!(
            "{} {} request {request}: {count} entries{}{} ({} bytes)",
            message.kind(),
            space.short(),
            if *last { ", last" } else { "" },
            resume.map_or(String::new(), |place| format!(", resume {place}")),
            bytes.len()
        ),
        Message::WantRange {
            space,
            request,
            after,
            max_bytes,
        } => format!(
            "want-range {} request {request} after {} ({max_bytes} bytes)",
            space.short(),
            after.map_or("start".to_owned(), |place| place.to_string())
        ),
    }
}

/// The host's verdicts on one delivery.
pub(super) fn verdicts(verdicts: &[(EntryId, Verdict)]) -> String {
    let words: Vec<String> = verdicts
        .iter()
        .map(|(id, verdict)| {
            let word = match verdict {
                Verdict::Accepted { .. } => "accepted".to_owned(),
                Verdict::Duplicate { .. } => "duplicate".to_owned(),
                Verdict::Pending => "pending".to_owned(),
                Verdict::Dropped => "dropped".to_owned(),
                Verdict::Declined { .. } => "declined".to_owned(),
                Verdict::Invalid(reason) => format!("invalid ({reason})"),
                Verdict::Refused(reason) => format!("refused ({reason})"),
            };
            format!("{} {word}", short(id))
        })
        .collect();
    words.join(", ")
}

fn shorts(ids: &[EntryId]) -> String {
    let ids: Vec<String> = ids.iter().map(short).collect();
    format!("[{}]", ids.join(" "))
}

/// Eight hex characters: enough to tell a run's entries apart.
fn short(id: &EntryId) -> String {
    let mut hex = id.short();
    hex.truncate(8);
    hex
}

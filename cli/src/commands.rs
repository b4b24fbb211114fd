//! Each command: parse its arguments into domain values, call the node, print.

use margin_core::body::{CharterChange, CommentKind};
use margin_core::id::short;
use margin_core::key::PublicKey;
use margin_core::{ParaId, Timestamp};
use margin_node::node::NewComment;
use margin_node::{Home, Node, NodeError};
use margin_space::view::{AnchorView, CommentView, format_time};
use serde_json::json;

use crate::args::*;
use crate::output::{emit, field, indent};
use crate::passphrase::Passphrases;

pub fn run(cli: Cli) -> Result<(), NodeError> {
    let passphrases = Passphrases::new(cli.passphrase_file.clone());
    // A protected key is unlocked when something first signs: commands that only read
    // never ask.
    let home = Home::resolve(cli.home.clone())?.with_passphrase({
        let passphrases = passphrases.clone();
        move |what| passphrases.existing(what)
    });
    let json = cli.json;
    if !matches!(cli.command, Command::Node(_) | Command::Init(_)) {
        warn_if_clock_is_off(&home);
    }
    match cli.command {
        Command::Init(a) => init(&home, a, &passphrases, json),
        Command::Whoami => whoami(&home, json),
        Command::Key(c) => crate::keys::run(&home, c, &passphrases, json),
        Command::Device(c) => crate::devices::run(&home, c, json),
        Command::Space(c) => space(Node::open(home)?, c, json),
        Command::Register {
            space,
            key,
            stakeholder,
            region,
        } => {
            let mut node = Node::open(home)?;
            let key = parse_key(&key)?;
            let id = node.register(&space, key, &stakeholder, &region)?;
            emit(json, &field("registration", id.to_string()), |_| {
                println!("Registered {key} as {stakeholder}.")
            });
            Ok(())
        }
        Command::Draft(c) => draft(Node::open(home)?, c, json),
        Command::Comment(a) => comment(Node::open(home)?, a, json),
        Command::Comments { draft, para } => {
            comments(&Node::open(home)?, &draft, para.as_ref(), json)
        }
        c @ Command::Stance {
            alternative: Some(_),
            ..
        } => crate::review::run(home, c, json),
        Command::Stance {
            draft,
            para,
            value,
            reason,
            ..
        } => {
            let mut node = Node::open(home)?;
            let id = node.stance(&draft, &para, value, reason.as_deref())?;
            emit(json, &field("stance", id.to_string()), |_| {
                println!("Stance recorded: {id}")
            });
            Ok(())
        }
        Command::Stances { draft } => stances(&Node::open(home)?, &draft, json),
        Command::Dispose {
            comment,
            value,
            note,
            revision,
        } => {
            let mut node = Node::open(home)?;
            let id = node.dispose(&comment, value, &note, revision.as_deref())?;
            emit(json, &field("disposition", id.to_string()), |_| {
                println!("Disposition recorded: {id}")
            });
            Ok(())
        }
        Command::Bundle(c) => bundle(Node::open(home)?, c, json),
        Command::Store(StoreCommand::Rebuild) => {
            let mut node = Node::open(home)?;
            let spaces = node.rebuild()?;
            let value = json!({ "spaces": spaces.iter().map(|(id, n, digest)| json!({
                "space": id.to_string(), "entries": n, "digest": digest,
            })).collect::<Vec<_>>() });
            emit(json, &value, |_| {
                for (id, n, digest) in &spaces {
                    println!("{}  {n} entries  state {}", id.short(), &digest[..16]);
                }
                println!("Rebuilt the indexes of {} space(s).", spaces.len());
            });
            Ok(())
        }
        Command::Store(StoreCommand::Check { repair: true }) => {
            let mut node = Node::open(home)?;
            let found = node.check_store()?;
            let after = if found.is_clean() {
                None
            } else {
                Some(node.repair_store()?)
            };
            let value = json!({ "found": found, "after": after });
            emit(json, &value, |_| {
                print_store_check(&found);
                if let Some(after) = &after {
                    println!("Repaired. Checked again:");
                    print_store_check(after);
                }
            });
            if after.as_ref().is_none_or(|a| a.is_clean()) {
                Ok(())
            } else {
                Err(NodeError::Invalid(
                    "the store still does not agree with itself after the repair (see above)"
                        .into(),
                ))
            }
        }
        Command::Store(StoreCommand::Check { repair: false }) => {
            let node = Node::open(home)?;
            let report = node.check_store()?;
            emit(json, &report, print_store_check);
            if report.is_clean() {
                Ok(())
            } else if !report.integrity.is_empty() {
                Err(NodeError::Invalid(
                    "SQLite finds the database file damaged (see above): restore it from a backup, or recover what it holds with `sqlite3 margin.db .recover`"
                        .into(),
                ))
            } else {
                Err(NodeError::Invalid(
                    "the store does not agree with itself (see above); `margin store check --repair` repairs it"
                        .into(),
                ))
            }
        }
        Command::Search {
            query,
            space,
            limit,
        } => {
            let node = Node::open(home)?;
            let space = space.map(|s| node.locate_space(&s)).transpose()?;
            let hits = node.search(&query, space.as_ref(), limit, ("[", "]"))?;
            emit(json, &hits, |hits| {
                for h in hits {
                    println!("{} {} {}  {}", short(&h.draft), h.kind, h.target, h.snippet);
                }
                if hits.is_empty() {
                    println!("No matches.");
                }
            });
            Ok(())
        }
        Command::Node(a) => crate::network::node(home, a),
        Command::Peers => crate::network::peers(&home, json),
        Command::Sync(c) => crate::network::sync(&home, c, json),
        Command::Mirror(c) => crate::network::mirror(&home, c, json),
        Command::Block {
            what,
            value,
            reason,
        } => crate::network::block(&home, what, &value, &reason, json),
        Command::Unblock { what, value } => crate::network::unblock(&home, what, &value, json),
        Command::Blocked => crate::network::blocked(&home, json),
        Command::Mute { key, reason } => {
            let key = Node::open(home)?.mute(&key, &reason)?;
            emit(json, &json!({ "muted": key }), |_| {
                println!("Muted {key}: their comments are no longer shown here.")
            });
            Ok(())
        }
        Command::Unmute { key } => {
            let key = Node::open(home)?.unmute(&key)?;
            emit(json, &json!({ "unmuted": key }), |_| {
                println!("Unmuted {key}.")
            });
            Ok(())
        }
        Command::Hide { entry, reason } => moderate(home, &entry, true, &reason, json),
        Command::Unhide { entry, reason } => moderate(home, &entry, false, &reason, json),

        c @ (Command::Cosign { .. }
        | Command::Coalition(_)
        | Command::Objections { .. }
        | Command::Consensus { .. }
        | Command::Alternatives { .. }
        | Command::Brackets(_)
        | Command::Accept { .. }
        | Command::Balance { .. }
        | Command::News { .. }
        | Command::Export { .. }
        | Command::Verify { .. }) => crate::review::run(home, c, json),
        Command::Demo => {
            let mut node = Node::open(home)?;
            let demo = margin_node::demo::load(&mut node)?;
            emit(json, &demo, |d| print!("{}", d.walkthrough));
            Ok(())
        }
    }
}

fn init(home: &Home, a: InitArgs, passphrases: &Passphrases, json: bool) -> Result<(), NodeError> {
    let profile = margin_core::body::Profile {
        name: a.name,
        affiliation: a.affiliation,
        stakeholder: a.stakeholder,
        region: a.region,
    };
    let identity = if a.passphrase {
        // Refused before a passphrase is typed for nothing.
        if home.has_identity() {
            return Err(NodeError::IdentityExists(home.dir().display().to_string()));
        }
        let what = format!("the key in {}", home.dir().display());
        let passphrase = passphrases.new_one(&what)?;
        home.init_protected(profile, Timestamp::now(), &passphrase)?
    } else {
        home.init(profile, Timestamp::now())?
    };
    let key = identity.key.public();
    emit(
        json,
        &json!({
            "key": key.to_string(),
            "home": home.dir().display().to_string(),
            "protected": a.passphrase,
        }),
        |_| {
            println!(
                "Created the key of {} in {}",
                identity.profile.name,
                home.dir().display()
            );
            println!("Your key: {key}");
            if a.passphrase {
                println!("The key is protected by your passphrase: commands that sign ask for it.");
            }
        },
    );
    Ok(())
}

/// Who the participant is: read without their passphrase.
fn whoami(home: &Home, json: bool) -> Result<(), NodeError> {
    let identity = home.public_identity()?;
    let (person, device) = home.person()?;
    let p = &identity.profile;
    let mut value = json!({
        "key": person.to_string(),
        "name": p.name,
        "affiliation": p.affiliation,
        "stakeholder": p.stakeholder,
        "region": p.region,
        "home": home.dir().display().to_string(),
        "protected": identity.protected,
    });
    let linked = person != device;
    if linked {
        value["device"] = json!(device.to_string());
    }
    emit(json, &value, |_| {
        println!("{} ({})", p.name, person);
        if linked {
            println!("  this device: {device}, linked to the identity above");
        }
        for (label, v) in [
            ("affiliation", &p.affiliation),
            ("stakeholder group", &p.stakeholder),
            ("region", &p.region),
        ] {
            if !v.is_empty() {
                println!("  {label}: {v}");
            }
        }
        if identity.protected {
            println!("  key: protected by a passphrase");
        }
    });
    Ok(())
}

fn space(mut node: Node, c: SpaceCommand, json: bool) -> Result<(), NodeError> {
    match c {
        SpaceCommand::Create {
            title,
            policy,
            opens,
            closes,
        } => {
            let opens = opens.map(|d| parse_date(&d, false)).transpose()?;
            let closes = closes.map(|d| parse_date(&d, true)).transpose()?;
            let id = node.create_space(&title, policy, opens, closes)?;
            emit(json, &field("space", id.to_string()), |_| {
                println!("Created space {id}")
            });
        }
        SpaceCommand::ReplaceKey {
            space,
            lost,
            key,
            reason,
        } => {
            let (lost, key) = (parse_key(&lost)?, parse_key(&key)?);
            let id = node.replace_key(&space, lost, key, &reason)?;
            emit(json, &field("replacement", id.to_string()), |_| {
                println!("Attested that {key} replaces {lost} in this space.")
            });
        }
        SpaceCommand::Grant { space, role, key } => {
            let key = parse_key(&key)?;
            let id = node.amend(&space, vec![CharterChange::Grant { role, key }])?;
            emit(json, &field("amendment", id.to_string()), |_| {
                println!("Granted {role:?} to {key}.")
            });
        }
        SpaceCommand::Revoke { space, role, key } => {
            let key = parse_key(&key)?;
            let id = node.amend(&space, vec![CharterChange::Revoke { role, key }])?;
            emit(json, &field("amendment", id.to_string()), |_| {
                println!("Revoked {role:?} from {key}.")
            });
        }
        SpaceCommand::Amend {
            space,
            title,
            policy,
            opens,
            closes,
        } => {
            let mut changes = vec![];
            if let Some(t) = title {
                changes.push(CharterChange::Title(t));
            }
            if let Some(p) = policy {
                changes.push(CharterChange::Policy(p));
            }
            if opens.is_some() || closes.is_some() {
                let space_id = node.locate_space(&space)?;
                let mut current =
                    node.with_space(&space_id, |s| Ok::<_, NodeError>(s.charter().clone()))?;
                let parse = |d: &str, end| {
                    if d == "none" {
                        Ok(None)
                    } else {
                        parse_date(d, end).map(Some)
                    }
                };
                if let Some(o) = opens {
                    current.opens = parse(&o, false)?;
                }
                if let Some(c) = closes {
                    current.closes = parse(&c, true)?;
                }
                changes.push(CharterChange::Period {
                    opens: current.opens,
                    closes: current.closes,
                });
            }
            if changes.is_empty() {
                return Err(NodeError::Invalid(
                    "nothing to change: give --title, --policy, --opens or --closes".into(),
                ));
            }
            let id = node.amend(&space, changes)?;
            emit(json, &field("amendment", id.to_string()), |_| {
                println!("Charter amended: {id}")
            });
        }
        SpaceCommand::Show { space } => {
            let space_id = node.locate_space(&space)?;
            let view = node.with_space(&space_id, |s| Ok::<_, NodeError>(s.view()))?;
            emit(json, &view, |v| {
                println!("{}  ({})", v.title, v.space);
                println!("  policy: {}", v.policy);
                println!(
                    "  comment period: {} to {}",
                    v.opens.as_deref().unwrap_or("creation"),
                    v.closes.as_deref().unwrap_or("no end set")
                );
                for (label, people) in [
                    ("conveners", &v.conveners),
                    ("editors", &v.editors),
                    ("registrars", &v.registrars),
                ] {
                    let names: Vec<String> = people.iter().map(|p| p.name.clone()).collect();
                    println!("  {label}: {}", names.join(", "));
                }
                for d in &v.drafts {
                    println!(
                        "  draft {}  {}  ({} paragraphs, {} revisions, {} comments{})",
                        short(&d.draft),
                        d.title,
                        d.paragraphs,
                        d.revisions,
                        d.comments,
                        if d.versions.is_empty() {
                            String::new()
                        } else {
                            format!(", versions {}", d.versions.join(", "))
                        }
                    );
                }
                println!(
                    "  {} entries, {} pending; state {}",
                    v.entries,
                    v.pending,
                    &v.digest[..16]
                );
            });
        }
        SpaceCommand::Invite { space } => return crate::network::invite(&node, &space, json),
        SpaceCommand::Join {
            invite,
            no_wait,
            timeout,
        } => return crate::network::join(node, &invite, !no_wait, timeout, json),
        SpaceCommand::List => {
            let mut rows = vec![];
            for id in node.space_ids()? {
                rows.push(node.with_space(&id, |space| {
                    Ok::<_, NodeError>(json!({
                        "space": space.id().to_string(),
                        "title": space.charter().title,
                        "drafts": space.drafts().count(),
                        "entries": space.order().len(),
                    }))
                })?);
            }
            emit(json, &rows, |rows| {
                for r in rows {
                    println!(
                        "{}  {}",
                        short(r["space"].as_str().unwrap_or_default()),
                        r["title"].as_str().unwrap_or_default()
                    );
                }
                if rows.is_empty() {
                    println!(
                        "No spaces yet: `margin space create TITLE`, `margin bundle import FILE` or `margin demo`."
                    );
                }
            });
        }
    }
    Ok(())
}

fn draft(mut node: Node, c: DraftCommand, json: bool) -> Result<(), NodeError> {
    match c {
        DraftCommand::Import {
            space,
            file,
            title,
            message,
        } => {
            let text = crate::review::read_draft(&file)?;
            let id = node.import_draft(&space, &text, title.as_deref(), &message)?;
            let (_, space_id) = node.locate_draft(&id.to_string())?;
            let paragraphs = node.with_space(&space_id, |space| {
                Ok::<_, NodeError>(
                    space
                        .draft(&id)
                        .map(|d| space.draft_summary(d).paragraphs)
                        .unwrap_or_default(),
                )
            })?;
            emit(
                json,
                &json!({ "draft": id.to_string(), "paragraphs": paragraphs }),
                |_| println!("Imported draft {id} ({paragraphs} paragraphs)"),
            );
        }
        DraftCommand::Show {
            draft,
            version,
            markdown,
        } => {
            let (id, space_id) = node.locate_draft(&draft)?;
            let read = node.with_space(&space_id, |space| {
                let state = space
                    .draft(&id)
                    .ok_or_else(|| NodeError::NotFound(draft.clone()))?;
                let heads = state
                    .version_heads(version.as_deref())
                    .ok_or_else(|| NodeError::NoVersion(version.clone().unwrap_or_default()))?;
                if markdown {
                    print!("{}", state.doc.render_markdown(Some(&heads))?);
                    return Ok(heads);
                }
                let view = state.doc.view(Some(&heads))?;
                let value = json!({
                    "draft": id.to_string(),
                    "title": view.title,
                    "version": { "tag": state.tag_of(&heads), "heads": heads.iter().map(hex::encode).collect::<Vec<_>>() },
                    "sections": view.sections,
                });
                emit(json, &value, |_| {
                    println!("{}", view.title);
                    for section in &view.sections {
                        if let Some(h) = &section.heading {
                            println!("\n{} {}  [{}]", "#".repeat(h.level as usize), h.text, h.id);
                        }
                        for p in &section.paragraphs {
                            println!("\n¶{} [{}] {}{}", p.n, p.id, p.marker, p.text);
                        }
                    }
                });
                Ok::<_, NodeError>(heads)
            })?;
            // Reading the current text counts as having read it, for `margin news`.
            if version.is_none() {
                node.mark_draft_read(&id, &read)?;
            }
        }
        DraftCommand::Update {
            draft,
            file,
            message,
        } => {
            let text = crate::review::read_draft(&file)?;
            let revision = node.update_draft(&draft, &text, &message)?;
            emit(
                json,
                &json!({ "revision": revision.map(|r| r.to_string()) }),
                |_| match revision {
                    Some(r) => println!("Recorded revision {r}"),
                    None => println!("The file is the current text: nothing to record."),
                },
            );
        }
        DraftCommand::Tag { draft, name } => {
            let id = node.tag(&draft, &name)?;
            emit(json, &field("tag", id.to_string()), |_| {
                println!("Tagged the current version as {name}.")
            });
        }
        DraftCommand::Log { draft } => {
            let (id, space_id) = node.locate_draft(&draft)?;
            node.with_space(&space_id, |space| {
                let state = space
                    .draft(&id)
                    .ok_or_else(|| NodeError::NotFound(draft.clone()))?;
                let mut rows = vec![];
                for r in state.history() {
                    let tags: Vec<&String> = state
                        .tags
                        .iter()
                        .filter(|(_, t)| t.heads.iter().all(|h| r.changes.contains(h)))
                        .map(|(name, _)| name)
                        .collect();
                    rows.push(json!({
                        "revision": r.entry.to_string(),
                        "author": space.participant(&r.author),
                        "time": format_time(r.time),
                        "message": r.message,
                        "tags": tags,
                    }));
                }
                let versions: Vec<_> = state
                    .tags
                    .iter()
                    .map(|(name, t)| json!({ "name": name, "time": format_time(t.time), "heads": t.heads.iter().map(hex::encode).collect::<Vec<_>>() }))
                    .collect();
                emit(
                    json,
                    &json!({ "draft": id.to_string(), "revisions": rows, "versions": versions }),
                    |v| {
                        for r in v["revisions"].as_array().into_iter().flatten() {
                            let tags: Vec<&str> = r["tags"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(|t| t.as_str())
                                .collect();
                            println!(
                                "{}  {}  {}  {}{}",
                                short(r["revision"].as_str().unwrap_or_default()),
                                r["time"].as_str().unwrap_or_default(),
                                r["author"]["name"].as_str().unwrap_or_default(),
                                r["message"].as_str().unwrap_or_default(),
                                if tags.is_empty() {
                                    String::new()
                                } else {
                                    format!("  ({})", tags.join(", "))
                                }
                            );
                        }
                    },
                );
                Ok::<_, NodeError>(())
            })?;
        }
        DraftCommand::Diff { draft, from, to } => {
            let (id, space_id) = node.locate_draft(&draft)?;
            let diff = node.with_space(&space_id, |space| {
                let state = space
                    .draft(&id)
                    .ok_or_else(|| NodeError::NotFound(draft.clone()))?;
                let heads = |name: &str| {
                    let name = (name != "current").then_some(name);
                    state
                        .version_heads(name)
                        .ok_or_else(|| NodeError::NoVersion(name.unwrap_or_default().to_owned()))
                };
                Ok::<_, NodeError>(state.doc.diff(&heads(&from)?, &heads(&to)?)?)
            })?;
            emit(json, &diff, |d| {
                if d.is_empty() {
                    println!("No differences between {from} and {to}.");
                } else {
                    print!("{}", d.render_text());
                }
            });
        }
    }
    Ok(())
}

fn comment(mut node: Node, a: CommentArgs, json: bool) -> Result<(), NodeError> {
    match a.action {
        Some(CommentAction::Edit {
            comment,
            body,
            suggest,
        }) => {
            let id = node.edit_comment(&comment, &body, suggest.as_deref())?;
            emit(json, &field("edit", id.to_string()), |_| {
                println!("Comment edited: {id}")
            });
        }
        Some(CommentAction::Retract {
            comment,
            erase: false,
        }) => {
            let id = node.retract_comment(&comment)?;
            emit(json, &field("retraction", id.to_string()), |_| {
                println!("Comment retracted: {id}")
            });
        }
        Some(CommentAction::Retract {
            comment,
            erase: true,
        }) => {
            let id = node.erase_comment(&comment)?;
            emit(json, &field("erasure", id.to_string()), |_| {
                println!(
                    "Comment retracted and its text erased here: {id}\nEvery node that receives the erasure drops the text too."
                )
            });
        }
        Some(CommentAction::Reattach {
            comment,
            para,
            quote,
        }) => {
            let id = node.reattach(&comment, &para, quote.as_deref())?;
            // What the comment is now about, as every reading shows it from now on.
            let (target, space) = node.locate_comment(&comment)?;
            let now =
                node.with_space(&space, |s| Ok::<_, NodeError>(s.comment_view_of(&target)))?;
            emit(json, &field("reattach", id.to_string()), |_| {
                println!("Comment re-attached: {id}");
                if let Some(view) = &now {
                    match &view.anchor {
                        AnchorView::Anchored { n, text, .. } => println!(
                            "It is now about ¶{}: \"{text}\"",
                            n.map_or_else(|| "?".to_owned(), |n| n.to_string())
                        ),
                        AnchorView::Draft => println!("It is now about the whole draft."),
                        AnchorView::Orphaned => {
                            println!("Its new passage is not in the current version.")
                        }
                    }
                }
            });
        }
        None => {
            let draft = a.draft.ok_or_else(|| {
                NodeError::Invalid("which draft? margin comment DRAFT --body TEXT".into())
            })?;
            let body = a
                .body
                .ok_or_else(|| NodeError::Invalid("a comment needs --body TEXT".into()))?;
            let kind = match (a.kind, &a.suggest) {
                (CommentKind::Comment, Some(_)) => CommentKind::Suggestion,
                (k, _) => k,
            };
            let id = node.comment(
                &draft,
                NewComment {
                    para: a.para.as_ref(),
                    quote: a.quote.as_deref(),
                    text: &body,
                    kind,
                    suggestion: a.suggest.as_deref(),
                    reply: a.reply.as_deref(),
                    version: a.version.as_deref(),
                },
            )?;
            emit(json, &field("comment", id.to_string()), |_| {
                println!("Comment recorded: {id}")
            });
        }
    }
    Ok(())
}

fn comments(node: &Node, draft: &str, para: Option<&ParaId>, json: bool) -> Result<(), NodeError> {
    let (id, space) = node.locate_draft(draft)?;
    let mut views = node.with_space(&space, |s| Ok::<_, NodeError>(s.comment_views(&id, para)))?;
    // Muted here: kept and passed on, but their words are not shown.
    let muted = node.muted()?;
    for v in views.iter_mut().filter(|v| muted.contains(&v.author.key)) {
        v.body = String::new();
        v.suggestion = None;
        v.muted = true;
    }
    emit(json, &views, |views| {
        let ids: std::collections::HashSet<&str> = views.iter().map(|c| c.id.as_str()).collect();
        // Threads: each comment that starts one, then its replies beneath it.
        for root in views
            .iter()
            .filter(|c| c.parent.as_deref().is_none_or(|p| !ids.contains(p)))
        {
            print_thread(views, root, 0);
        }
        if views.is_empty() {
            println!("No comments yet.");
        }
    });
    Ok(())
}

fn print_thread(views: &[CommentView], c: &CommentView, depth: usize) {
    let pad = "    ".repeat(depth);
    let group = if c.author.stakeholder.is_empty() {
        "no group"
    } else {
        &c.author.stakeholder
    };
    let whom = format!("{} ({group})", c.author.name);
    if depth == 0 {
        let version = c
            .version
            .tag
            .clone()
            .unwrap_or_else(|| "an untagged version".into());
        println!("{}  {} by {whom} on {version}", short(&c.id), c.kind);
    } else {
        println!("{pad}{}  reply by {whom}", short(&c.id));
    }
    if c.parent_erased {
        println!("{pad}  in reply to a comment its author erased");
    }
    if let Some(q) = &c.quote {
        println!("{pad}  on: \"{}\"", q.exact);
    }
    match &c.anchor {
        AnchorView::Draft if depth == 0 => println!("  on the whole draft"),
        AnchorView::Draft => {}
        AnchorView::Anchored { n, text, exact, .. } => {
            let n = n
                .map(|n| format!("¶{n}"))
                .unwrap_or_else(|| "heading".into());
            if c.reattached {
                // An editor moved it: the passage it is about now, not the author's.
                println!("{pad}  re-attached by an editor to {n}: \"{text}\"");
            } else if *exact || c.quote.is_none() {
                println!("{pad}  at {n}");
            } else {
                println!("{pad}  now reads ({n}): \"{text}\"");
            }
        }
        AnchorView::Orphaned => println!("{pad}  ORPHANED: the passage is no longer in the draft"),
    }
    if let Some(reason) = &c.hidden {
        println!("{pad}  hidden by a convener: {reason}");
    } else if c.muted {
        println!("{pad}  (muted on this node)");
    } else {
        println!("{}", indent(&c.body, &format!("{pad}  > ")));
        if let Some(s) = &c.suggestion {
            println!("{pad}  suggests: \"{s}\"");
        }
    }
    if c.retracted {
        println!("{pad}  (retracted by its author)");
    }
    if let Some(d) = &c.disposition {
        let note = if d.note.is_empty() {
            String::new()
        } else {
            format!(" — {}", d.note)
        };
        println!("{pad}  disposition: {}{note}", d.value);
    }
    println!();
    for reply in views
        .iter()
        .filter(|r| r.parent.as_deref() == Some(c.id.as_str()))
    {
        print_thread(views, reply, depth + 1);
    }
}

fn stances(node: &Node, draft: &str, json: bool) -> Result<(), NodeError> {
    let (id, space) = node.locate_draft(draft)?;
    let views = node.with_space(&space, |s| Ok::<_, NodeError>(s.stance_views(&id)))?;
    emit(
        json,
        &json!({ "draft": id.to_string(), "paragraphs": views }),
        |_| {
            for p in &views {
                let n =
                    p.n.map(|n| format!("¶{n}"))
                        .unwrap_or_else(|| p.para.to_string());
                let t = &p.tally;
                println!(
                    "{n}: {} support, {} can live with it, {} object, {} abstain",
                    t.support, t.accept, t.object, t.abstain
                );
                for s in &p.stances {
                    println!(
                        "  {} {}{}",
                        s.author.name,
                        s.stance,
                        s.reason
                            .as_deref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default()
                    );
                }
            }
            if views.is_empty() {
                println!("No stances yet.");
            }
        },
    );
    Ok(())
}

fn bundle(mut node: Node, c: BundleCommand, json: bool) -> Result<(), NodeError> {
    match c {
        BundleCommand::Create { space, out } => {
            let n = node.bundle_create(&space, &out)?;
            emit(
                json,
                &json!({ "entries": n, "file": out.display().to_string() }),
                |_| println!("Wrote {n} entries to {}", out.display()),
            );
        }
        BundleCommand::Import { file } => {
            let report = node.bundle_import(&file)?;
            emit(json, &report, |r| {
                println!(
                    "{} accepted, {} already here, {} waiting for missing entries, {} refused",
                    r.accepted,
                    r.duplicate,
                    r.pending,
                    r.rejected.len()
                );
                for x in &r.rejected {
                    println!("  refused {}: {}", short(&x.id), x.reason);
                }
                if let Some(until) = r.held_until {
                    println!(
                        "{} dated in the future (from {}): held until then. If that date is today, this computer's clock is behind: set it right.",
                        r.held,
                        margin_space::view::format_time(until)
                    );
                }
            });
        }
    }
    Ok(())
}

// ---- parsing --------------------------------------------------------------------------

pub(crate) fn parse_key(text: &str) -> Result<PublicKey, NodeError> {
    text.parse()
        .map_err(|e: margin_core::key::error::KeyError| NodeError::Invalid(e.to_string()))
}

/// `YYYY-MM-DD` (start of the day, or the end of it with `end_of_day`) or RFC 3339.
pub(crate) fn parse_date(text: &str, end_of_day: bool) -> Result<Timestamp, NodeError> {
    let bad = || {
        NodeError::Invalid(format!(
            "'{text}' is not a date: use YYYY-MM-DD or 2026-12-31T18:00:00Z"
        ))
    };
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return u64::try_from(t.timestamp_millis())
            .map(Timestamp::from_millis)
            .map_err(|_| bad());
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| bad())?;
    let date = if end_of_day {
        date.succ_opt().ok_or_else(bad)?
    } else {
        date
    };
    let ms = date
        .and_hms_opt(0, 0, 0)
        .ok_or_else(bad)?
        .and_utc()
        .timestamp_millis();
    u64::try_from(ms)
        .map(Timestamp::from_millis)
        .map_err(|_| bad())
}

fn print_store_check(report: &margin_node::ingest::StoreCheck) {
    for line in &report.integrity {
        println!("  database file: {line}");
    }
    for space in &report.spaces {
        println!(
            "{}  {} entries, {} waiting for refs  state {}",
            short(&space.space),
            space.entries,
            space.waiting,
            &space.digest[..16]
        );
        let d = &space.disagreement;
        for id in &d.out_of_order {
            println!(
                "  entry {} is stored before an entry it refers to",
                short(id)
            );
        }
        for (id, what) in &d.not_accepted {
            println!(
                "  entry {} is stored as accepted but is {what}",
                &id[..id.len().min(12)]
            );
        }
        for (id, what) in &d.stale_waiting {
            println!(
                "  entry {} is stored as waiting but is {what}",
                &id[..id.len().min(12)]
            );
        }
        for line in &space.index {
            println!("  index: {line}");
        }
    }
    for line in &report.orphans {
        println!("  {line}");
    }
    if report.is_clean() {
        println!(
            "The store agrees with itself: {} space(s) checked.",
            report.spaces.len()
        );
    }
}

/// Tells the participant plainly, on stderr, when the node last found this computer's
/// clock off from its peers' by more than the allowed skew (within the last day).
fn warn_if_clock_is_off(home: &Home) {
    if !home.database().exists() {
        return;
    }
    let Ok(node) = Node::open(home.clone()) else {
        return;
    };
    let Ok(Some(value)) = node.store().setting(margin_daemon::engine::CLOCK_SETTING) else {
        return;
    };
    let mut parts = value.split_whitespace();
    let (Some(Ok(offset)), Some(Ok(at))) = (
        parts.next().map(str::parse::<i64>),
        parts
            .next()
            .map(str::parse::<u64>)
            .map(|at| at.map(Timestamp::from_millis)),
    ) else {
        return;
    };
    if Timestamp::now().millis_since(at) > 24 * 60 * 60 * 1000 {
        return;
    }
    eprintln!(
        "margin: warning: this computer's clock is {} its peers' by {} (as the node found at {}). Set it right: entries written here are dated by it, and peers hold entries dated in the future until they are due.",
        if offset > 0 { "behind" } else { "ahead of" },
        margin_daemon::engine::clock_words(offset.unsigned_abs()),
        format_time(at)
    );
}

/// `margin hide` and `margin unhide`.
fn moderate(
    home: Home,
    entry: &str,
    hidden: bool,
    reason: &str,
    json: bool,
) -> Result<(), NodeError> {
    let mut node = Node::open(home)?;
    let id = node.moderate(entry, hidden, reason)?;
    emit(json, &field("moderation", id.to_string()), |_| {
        if hidden {
            println!("Hidden, with the reason shown to everyone: {id}")
        } else {
            println!("Shown again: {id}")
        }
    });
    Ok(())
}

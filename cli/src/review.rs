//! Consensus and outputs: sign-ons and coalitions, stances on alternatives, bracketed
//! variants offered as alternatives, accepting an alternative, the objection register,
//! consensus figures, alternatives, balance, exports and their verification.

use std::fs;
use std::path::{Path, PathBuf};

use margin_core::id::short;
use margin_core::key::PublicKey;
use margin_draft::import::{FileKind, to_markdown};
use margin_node::brackets::ParagraphBrackets;
use margin_node::news::Since;
use margin_node::review::Counting;
use margin_node::{Home, Node, NodeError};
use margin_report::Format;
use serde_json::json;

use crate::args::*;
use crate::output::{emit, field};

/// Runs one of the commands of this module.
pub fn run(home: Home, command: Command, json: bool) -> Result<(), NodeError> {
    match command {
        Command::Stance {
            draft,
            para,
            value,
            reason,
            alternative: Some(comment),
        } => {
            let mut node = Node::open(home)?;
            let id =
                node.alternative_stance(&draft, Some(&para), &comment, value, reason.as_deref())?;
            emit(json, &field("stance", id.to_string()), |_| {
                println!("Stance on the alternative recorded: {id}")
            });
        }
        Command::Cosign {
            comment,
            coalition,
            withdraw,
        } => {
            let mut node = Node::open(home)?;
            let coalition = coalition.as_deref().map(key).transpose()?;
            let id = node.cosign(&comment, coalition, withdraw)?;
            emit(json, &field("sign_on", id.to_string()), |_| {
                match (withdraw, coalition) {
                    (true, _) => println!("Signature withdrawn: {id}"),
                    (false, Some(c)) => println!("Signed on for coalition {c}: {id}"),
                    (false, None) => println!("Signed on: {id}"),
                }
            });
        }
        Command::Coalition(c) => coalition(Node::open(home)?, c, json)?,
        Command::Objections { draft, count } => {
            let register = Node::open(home)?.objection_register(&draft, counting(count))?;
            emit(json, &register, |r| print!("{}", r.render()));
        }
        Command::Consensus { draft, count } => {
            let report = Node::open(home)?.consensus(&draft, counting(count))?;
            emit(json, &report, |r| print!("{}", r.render()));
        }
        Command::Alternatives { draft, count } => {
            let alternatives = Node::open(home)?.alternatives(&draft, counting(count))?;
            emit(json, &alternatives, |a| print!("{}", a.render()));
        }
        Command::Brackets(args) => brackets(home, args, json)?,
        Command::Accept { comment, note } => {
            let accepted = Node::open(home)?.accept_alternative(&comment, &note)?;
            emit(json, &accepted, |a| {
                println!("Accepted into revision {}", a.revision);
                println!("Disposition recorded: {}", a.disposition);
                println!("The paragraph now reads: \"{}\"", a.text);
            });
        }
        Command::Balance {
            space,
            draft,
            count,
        } => {
            let balance = Node::open(home)?.balance(&space, draft.as_deref(), counting(count))?;
            emit(json, &balance, |b| print!("{}", b.render()));
        }
        Command::News { since, mark_read } => {
            let mut node = Node::open(home)?;
            let since = match since {
                Some(date) => Since::Time(crate::commands::parse_date(&date, false)?),
                None => Since::LastLooked,
            };
            let news = node.news(since)?;
            emit(json, &news, |n| print!("{}", n.render()));
            if mark_read {
                node.mark_news_read()?;
                if !json {
                    println!("Marked read.");
                }
            }
        }
        Command::Export {
            draft,
            format,
            out,
            count,
        } => export(
            &Node::open(home)?,
            &draft,
            format,
            out,
            counting(count),
            json,
        )?,
        Command::Verify { file } => verify(&Node::open(home)?, &file, json)?,
        _ => {
            return Err(NodeError::Invalid(
                "this command is not one of the review commands".into(),
            ));
        }
    }
    Ok(())
}

/// `margin brackets DRAFT` and `margin brackets offer DRAFT --para PID`.
fn brackets(home: Home, args: BracketsArgs, json: bool) -> Result<(), NodeError> {
    match args.action {
        Some(BracketsAction::Offer { draft, para }) => {
            let offer = Node::open(home)?.offer_brackets(&draft, &para)?;
            emit(json, &offer, |o| {
                let p = &o.paragraph;
                if o.made.is_empty() {
                    println!("Every variant of ¶{} is already offered:", p.n);
                } else {
                    println!(
                        "Offered {} variant(s) of ¶{} as alternatives:",
                        o.made.len(),
                        p.n
                    );
                }
                print_variants(p);
                println!(
                    "Take a stance on one: margin stance {draft} --para {} --alternative COMMENT support",
                    p.para
                );
            });
        }
        None => {
            let draft = args
                .draft
                .ok_or_else(|| NodeError::Invalid("which draft? margin brackets DRAFT".into()))?;
            let found = Node::open(home)?.brackets(&draft)?;
            emit(json, &found, |f| {
                for p in &f.paragraphs {
                    println!("¶{} [{}]", p.n, p.para);
                    print_variants(p);
                    for i in &p.ignored {
                        println!(
                            "  not read as variants: \"{}\" ({})",
                            i.text,
                            i.reason.describe()
                        );
                    }
                    let open = p
                        .groups
                        .iter()
                        .flat_map(|g| &g.variants)
                        .any(|v| v.comment.is_none());
                    if open {
                        println!(
                            "  offer them: margin brackets offer {draft} --para {}",
                            p.para
                        );
                    }
                    println!();
                }
                if f.paragraphs.iter().all(|p| p.groups.is_empty()) {
                    println!("No bracketed variants to choose between in this draft.");
                }
            });
        }
    }
    Ok(())
}

/// Each group's variants, numbered, with the comment that offers each.
fn print_variants(p: &ParagraphBrackets) {
    for g in &p.groups {
        println!("  to choose between:");
        for (i, v) in g.variants.iter().enumerate() {
            let offered = match &v.comment {
                Some(c) => format!("alternative {}", short(c)),
                None => "not offered yet".to_owned(),
            };
            println!("    {}. \"{}\"  ({offered})", i + 1, v.text);
        }
    }
}

fn coalition(mut node: Node, c: CoalitionCommand, json: bool) -> Result<(), NodeError> {
    match c {
        CoalitionCommand::Add { space, member } => {
            let member = key(&member)?;
            let id = node.membership(&space, member, true)?;
            emit(json, &field("membership", id.to_string()), |_| {
                println!("Admitted {member}: their sign-ons for this coalition count as its own.")
            });
        }
        CoalitionCommand::Remove { space, member } => {
            let member = key(&member)?;
            let id = node.membership(&space, member, false)?;
            emit(json, &field("membership", id.to_string()), |_| {
                println!("Removed {member} from the coalition.")
            });
        }
        CoalitionCommand::Members { space, coalition } => {
            let coalition = match coalition {
                Some(k) => key(&k)?,
                None => node.public_identity()?.key,
            };
            let members = node.members(&space, &coalition)?;
            let value: Vec<_> = members
                .iter()
                .map(|(p, active)| json!({ "member": p, "active": active }))
                .collect();
            emit(json, &value, |_| {
                for (p, active) in &members {
                    let state = if *active { "" } else { " (removed)" };
                    println!("{} ({}){state}", p.name, p.key);
                }
                if members.is_empty() {
                    println!("No members yet: `margin coalition add SPACE KEY`.");
                }
            });
        }
    }
    Ok(())
}

fn export(
    node: &Node,
    draft: &str,
    format: ExportFormat,
    out: Option<PathBuf>,
    counting: Counting,
    json: bool,
) -> Result<(), NodeError> {
    let format = match format {
        ExportFormat::Csv => Format::Matrix,
        ExportFormat::Md => Format::ReportMarkdown,
        ExportFormat::Html => Format::ReportHtml,
        ExportFormat::Summary => Format::Summary,
        ExportFormat::Annotations => Format::Annotations,
        ExportFormat::Automerge => Format::Automerge,
    };
    let export = node.export(draft, counting)?;
    let bytes = export
        .render(format)
        .map_err(|e| NodeError::Invalid(e.to_string()))?;
    let provenance = export.provenance(format);
    let Some(out) = out else {
        if format == Format::Automerge {
            return Err(NodeError::Invalid(
                "an Automerge file is binary: give --out FILE".into(),
            ));
        }
        use std::io::Write as _;
        std::io::stdout()
            .write_all(&bytes)
            .map_err(|e| NodeError::Invalid(format!("cannot print the export: {e}")))?;
        return Ok(());
    };
    write(&out, &bytes)?;
    let mut manifest = None;
    if format == Format::Automerge {
        let path = manifest_path(&out);
        let text = export
            .automerge_manifest()
            .map_err(|e| NodeError::Invalid(e.to_string()))?;
        write(&path, text.as_bytes())?;
        manifest = Some(path);
    }
    emit(
        json,
        &json!({
            "file": out.display().to_string(),
            "manifest": manifest.as_ref().map(|m| m.display().to_string()),
            "provenance": provenance,
        }),
        |_| {
            println!("Wrote {} to {}", provenance.describe(), out.display());
            if let Some(m) = &manifest {
                println!("Its provenance is in {}", m.display());
            }
        },
    );
    Ok(())
}

fn verify(node: &Node, file: &Path, json: bool) -> Result<(), NodeError> {
    let bytes = read(file)?;
    let manifest = if margin_report::verify::is_automerge(&bytes) {
        Some(read(&manifest_path(file))?)
    } else {
        None
    };
    let v = node.verify_export(&bytes, manifest.as_deref())?;
    emit(json, &v, |v| {
        if v.is_valid() {
            println!("Verified: {}.", v.provenance.describe());
            println!(
                "It says exactly what the {} signed entries say.",
                v.provenance.entries
            );
        } else {
            for p in &v.problems {
                println!("{p}");
            }
        }
    });
    if v.is_valid() {
        Ok(())
    } else {
        Err(NodeError::Invalid(format!(
            "{} does not match the signed entries: {} difference(s)",
            file.display(),
            v.problems.len()
        )))
    }
}

/// The Markdown of a draft file: Markdown as it is, Word and OpenDocument (flat too)
/// converted; XML that is not a document, and a file with no paragraph, refused.
pub fn read_draft(path: &Path) -> Result<String, NodeError> {
    let bytes = read(path)?;
    let kind = FileKind::detect(&path.to_string_lossy(), &bytes);
    to_markdown(kind, &bytes).map_err(|e| NodeError::Invalid(format!("{}: {e}", path.display())))
}

/// Where the manifest of an Automerge export is: next to it, with `.json` added.
fn manifest_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".json");
    PathBuf::from(name)
}

fn read(path: &Path) -> Result<Vec<u8>, NodeError> {
    fs::read(path).map_err(|source| NodeError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), NodeError> {
    fs::write(path, bytes).map_err(|source| NodeError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn key(text: &str) -> Result<PublicKey, NodeError> {
    text.parse()
        .map_err(|e: margin_core::key::error::KeyError| NodeError::Invalid(e.to_string()))
}

fn counting(c: CountArgs) -> Counting {
    match (c.registered_only, c.everyone) {
        (true, _) => Counting::Registered,
        (_, true) => Counting::Everyone,
        _ => Counting::Charter,
    }
}

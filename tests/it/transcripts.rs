//! Replays the command transcripts in `docs/` — the walkthrough a newcomer reads is run
//! here command by command, in real homes, and its printed output must match exactly.
//!
//! Transcript format, inside ```console blocks of a Markdown file:
//! - `who$ margin ARGS` runs `margin ARGS` in the home of participant `who` (created on
//!   first use under a shared temporary folder, `{TMP}`).
//! - The lines after a command are its expected output (stdout, then stderr). A command
//!   whose expected output has a line starting with `margin: ` must fail.
//! - `{NAME}` in expected output captures a value the first time (an id, a key, a
//!   digest) and must equal it afterwards; in commands it is replaced by that value.
//!   `{TMP}` and `{FIXTURES}` are the temporary and fixtures folders; `{_}` matches any
//!   text; a line `...` matches any number of lines.

use crate::common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use common::*;
use regex::Regex;

struct Replay {
    tmp: tempfile::TempDir,
    values: HashMap<String, String>,
}

impl Replay {
    fn new() -> Replay {
        let tmp = tempfile::tempdir().expect("temporary folder");
        let mut values = HashMap::new();
        values.insert("TMP".to_owned(), tmp.path().display().to_string());
        values.insert(
            "FIXTURES".to_owned(),
            fixture("")
                .display()
                .to_string()
                .trim_end_matches('/')
                .to_owned(),
        );
        Replay { tmp, values }
    }

    fn substitute(&self, text: &str, file: &str, line: usize) -> String {
        let re = Regex::new(r"\{([A-Z][A-Z0-9_]*)\}").expect("placeholder pattern");
        re.replace_all(text, |c: &regex::Captures<'_>| {
            self.values.get(&c[1]).cloned().unwrap_or_else(|| {
                panic!("{file}:{line}: {{{}}} is used before it is captured", &c[1])
            })
        })
        .into_owned()
    }

    fn run(&mut self, who: &str, command: &str, expected: &[String], file: &str, line: usize) {
        let command = self.substitute(command, file, line);
        let words = shell_words::split(&command).unwrap_or_else(|e| panic!("{file}:{line}: {e}"));
        assert_eq!(
            words.first().map(String::as_str),
            Some("margin"),
            "{file}:{line}: only margin commands"
        );
        let home = self.tmp.path().join(who);
        let out = Command::new(margin_bin())
            .args(&words[1..])
            .env("MARGIN_HOME", &home)
            .env_remove("MARGIN_LOG")
            .output()
            .expect("run margin");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let actual: Vec<&str> = text.lines().map(str::trim_end).collect();
        let must_fail = expected.iter().any(|l| l.starts_with("margin: "));
        assert_eq!(
            out.status.success(),
            !must_fail,
            "{file}:{line}: `{command}` {} but printed:\n{text}",
            if must_fail { "should fail" } else { "failed" }
        );
        if let Err(why) = self.matches(expected, &actual) {
            panic!(
                "{file}:{line}: `{who}$ {command}` printed:\n{text}\n--- which does not match the transcript: {why}"
            );
        }
    }

    /// Matches output lines against expected lines, capturing placeholders.
    fn matches(&mut self, expected: &[String], actual: &[&str]) -> Result<(), String> {
        let mut a = 0;
        let mut e = 0;
        while e < expected.len() {
            if expected[e] == "..." {
                e += 1;
                if e == expected.len() {
                    return Ok(());
                }
                // Skip output lines until the next expected line matches.
                while a < actual.len() && self.line(&expected[e], actual[a], false).is_none() {
                    a += 1;
                }
                continue;
            }
            let Some(line) = actual.get(a) else {
                return Err(format!("expected `{}` but the output ended", expected[e]));
            };
            match self.line(&expected[e], line, true) {
                Some(()) => {}
                None => return Err(format!("expected `{}`, got `{line}`", expected[e])),
            }
            a += 1;
            e += 1;
        }
        if a < actual.len() {
            return Err(format!("unexpected extra output from `{}`", actual[a]));
        }
        Ok(())
    }

    /// Matches one line; with `capture`, records newly captured placeholders.
    fn line(&mut self, expected: &str, actual: &str, capture: bool) -> Option<()> {
        let placeholder = Regex::new(r"\{([A-Z][A-Z0-9_]*|_)\}").expect("placeholder pattern");
        let mut pattern = String::from("^");
        let mut new_names = vec![];
        let mut last = 0;
        for c in placeholder.captures_iter(expected) {
            let m = c.get(0).expect("whole match");
            pattern.push_str(&regex::escape(&expected[last..m.start()]));
            let name = &c[1];
            match (name, self.values.get(name)) {
                ("_", _) => pattern.push_str(".*?"),
                (_, Some(value)) => pattern.push_str(&regex::escape(value)),
                (_, None) if new_names.contains(&name.to_owned()) => {
                    pattern.push_str(r"[^\s\x22',\]\)]+")
                }
                (_, None) => {
                    pattern.push_str(&format!(r"(?P<{name}>[^\s\x22',\]\)]+)"));
                    new_names.push(name.to_owned());
                }
            }
            last = m.end();
        }
        pattern.push_str(&regex::escape(&expected[last..]));
        pattern.push('$');
        let re = Regex::new(&pattern).expect("transcript line pattern");
        let caps = re.captures(actual)?;
        if capture {
            for name in new_names {
                if let Some(v) = caps.name(&name) {
                    self.values.insert(name, v.as_str().to_owned());
                }
            }
        }
        Some(())
    }
}

/// Replays every ```console block of a Markdown file, in one set of homes.
fn replay(path: &Path) {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{file}: {e}"));
    let command = Regex::new(r"^([a-z][a-z0-9-]*)\$ (.*)$").expect("command pattern");
    let mut replay = Replay::new();
    let mut in_block = false;
    let mut current: Option<(String, String, usize)> = None;
    let mut expected: Vec<String> = vec![];
    let mut commands = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if !in_block {
            in_block = line == "```console";
            continue;
        }
        let closing = line == "```";
        let next = command.captures(line);
        if closing || next.is_some() {
            if let Some((who, cmd, at)) = current.take() {
                replay.run(&who, &cmd, &expected, &file, at);
                commands += 1;
            }
            expected.clear();
        }
        if closing {
            in_block = false;
        } else if let Some(c) = next {
            current = Some((c[1].to_owned(), c[2].to_owned(), i + 1));
        } else if current.is_some() {
            expected.push(line.to_owned());
        }
    }
    assert!(commands > 10, "{file}: only {commands} commands replayed");
}

#[test]
fn walkthrough() {
    replay(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/walkthrough.md"));
}

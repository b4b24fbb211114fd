//! Every piece of interface text the web UI shows, in Fluent files, one per language
//! (`locales/*.ftl`, embedded at build time). English is the reference: a message missing
//! from another language falls back to its English wording, and a test fails when one
//! language has a message the others lack.
//!
//! Messages without values are loaded once into the fields of [`Text`]; messages that
//! take values (a count, a name) are methods of the same name, formatted by Fluent with
//! the language's plural rules. Views take the language of the request being answered
//! through [`text`] (see [`crate::locale`]) and escape the formatted text like any other.
//!
//! Words that are part of the data (comment kinds, stances and dispositions in the JSON
//! API, stakeholder group names as participants declared them) are not translated here.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use margin_core::body::{CommentKind, DispositionValue, StanceValue};

use crate::locale::{self, Lang};

/// The Fluent source of each language, in the order of [`Lang::ALL`].
pub const SOURCES: [(Lang, &str); 4] = [
    (Lang::En, include_str!("../locales/en.ftl")),
    (Lang::Fr, include_str!("../locales/fr.ftl")),
    (Lang::Es, include_str!("../locales/es.ftl")),
    (Lang::Ar, include_str!("../locales/ar.ftl")),
];

type Bundle = FluentBundle<FluentResource>;

/// Declares [`Text`]: a field per message without values, a method per message with
/// values, and the list of every message id the code uses.
macro_rules! messages {
    (
        plain { $($plain:ident),* $(,)? }
        with { $($with:ident ( $($arg:ident),* )),* $(,)? }
    ) => {
        /// The interface text of one language.
        pub struct Text {
            pub lang: Lang,
            bundle: Bundle,
            $(pub $plain: String,)*
        }

        impl Text {
            /// Every message id the interface uses, with the names of its values.
            pub const MESSAGES: &[(&str, &[&str])] = &[
                $((stringify!($plain), &[]),)*
                $((stringify!($with), &[$(stringify!($arg)),*]),)*
            ];

            fn load(lang: Lang, bundle: Bundle) -> Text {
                Text {
                    $($plain: format(&bundle, stringify!($plain), None),)*
                    lang,
                    bundle,
                }
            }

            $(
                pub fn $with<'a>(&self, $($arg: impl Into<FluentValue<'a>>),*) -> String {
                    let mut args = FluentArgs::new();
                    $(args.set(stringify!($arg), $arg);)*
                    format(&self.bundle, stringify!($with), Some(&args))
                }
            )*
        }
    };
}

messages! {
    plain {
        app, skip, spaces, no_spaces, drafts, no_drafts,
        // Balance, on a space's page.
        balance, balance_group, balance_region, balance_people, balance_participants,
        balance_comments, balance_stances, balance_shares, balance_among_registered,
        balance_among_so_far,
        search, search_label, search_in_space, no_matches, match_paragraph, match_comment,
        // The node and who uses it.
        status_no_peers, status_in_sync, status_syncing, status_offline, status_live,
        you_edit, read_only_public, read_only_login, login_title, login_token,
        login_button, login_done, logout, no_identity, identity_title, identity_name,
        identity_affiliation, identity_stakeholder, identity_region, identity_create,
        identity_cli, language,
        // Spaces.
        policy, policy_open, policy_registered, period, period_open, conveners, editors,
        import_draft, import_file, import_markdown, import_title, import_message,
        import_button,
        // The draft page.
        version, current, read, compare, compare_from, compare_to, compare_button,
        editor_tools, tag_name, tag_button, update_title, update_button, update_message,
        filters, filter_kind, filter_group, filter_region, filter_any, filter_open,
        filter_undisposed, filter_apply, filter_clear, bracketed, no_comments,
        respond_title, whole_draft, orphans, orphans_help, elsewhere, elsewhere_help,
        compact_note, live_news,
        // Comments.
        kind_comment, kind_question, kind_suggestion, kind_objection, on_quote, now_reads,
        paragraph_now_reads, untagged_version, orphaned, suggests, edited, retracted,
        reattached, muted, hide_title, hide_reason, hide_button, unhide_button, mute_title,
        mute_button, unmute_button, disposition, disp_accepted, disp_partly, disp_declined,
        disp_noted, open_objection, reply_link, thread_link, back_to_draft,
        // Writing.
        passage, passage_help, selection_button, para_select, kind, body, suggestion,
        post_comment, reply_title, post_reply, edit_title, save_edit, retract_title,
        retract_button, retract_erase, dispose_title, dispose_value, dispose_note,
        dispose_revision, dispose_no_revision, dispose_button, reattach_title,
        reattach_para, reattach_button, stance_reason, stance_support, stance_accept,
        stance_object, stance_abstain, stances_title, cancel,
        // Diffs and errors.
        diff_added, diff_removed, diff_changed, diff_none, error_title, go_back,
        // What's new.
        news_link, news_title, news_no_identity, news_since_mark, news_since_never,
        news_since_label, news_since_button, news_replies, news_dispositions,
        news_revisions, news_where_you_took_part, news_closing, news_nothing,
        news_mark_read, news_show_changes, news_not_read, news_read_current, news_para_gone,
        // Taking part from a browser.
        take_part_title, take_part_trust, take_part_key, take_part_sees, take_part_cannot,
        take_part_script, take_part_identity, take_part_space, take_part_create,
        take_part_your_key, take_part_respond, take_part_stance, take_part_signing,
        take_part_posted, take_part_refused, take_part_created, take_part_waiting,
        take_part_sent, take_part_offline, take_part_moved, take_part_working,
        take_part_differ, take_part_saved, take_part_restored, take_part_backup_title,
        take_part_backup_help, take_part_backup, take_part_passphrase,
        take_part_passphrase_again, take_part_restore_title, take_part_restore_file,
        take_part_restore, take_part_hint, take_part_hint_link, take_part_link_title,
        take_part_link_help, take_part_link, take_part_link_made,
        // Accessibility.
        highlight_help, choose_words, choose_words_label, choose_words_help,
        choose_words_use,
    }
    with {
        balance_no_voice(names), balance_no_voice_regions(names), balance_faint(names),
        hits(n), status_peers(n), you_are(name), period_from(date), period_until(date),
        entries(n), draft_counts(paras, comments, revisions), reading_old(v), filtered(n),
        paragraph(n), comments_n(n), open_objections_n(n), respond(n), commented_on(v),
        hidden(reason), replies_n(n), thread_title(name), stance_title(n),
        your_stance(stance), diff_title(from, to), diff_unchanged_n(n),
        news_since_date(date), news_more(n), news_replied(name), news_disposed(name, value),
        news_revised(n, name), news_since_read(changed, added, removed),
        news_commented(name, kind, para), news_objects(name, para),
        news_closes(days, title, date),
    }
}

/// Every language's text, loaded on first use.
static TEXTS: LazyLock<Vec<Text>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|(lang, _)| Text::load(*lang, bundle(*lang)))
        .collect()
});

/// The interface text in the language of the request being answered (English outside
/// of a request).
pub fn text() -> &'static Text {
    in_language(locale::current())
}

/// The interface text in `lang`.
pub fn in_language(lang: Lang) -> &'static Text {
    let texts = &*TEXTS;
    texts.iter().find(|t| t.lang == lang).unwrap_or(&texts[0])
}

/// Parses a language's Fluent source. A syntax error keeps the messages that parsed
/// (the test on the files reports it).
pub fn resource(source: &str) -> FluentResource {
    FluentResource::try_new(source.to_owned()).unwrap_or_else(|(partial, errors)| {
        tracing::error!(target: "http", "interface text: {} syntax errors", errors.len());
        partial
    })
}

/// A language's messages, with the English ones behind them for any it lacks.
fn bundle(lang: Lang) -> Bundle {
    let mut bundle = Bundle::new_concurrent(vec![lang.id()]);
    // Values are placed as they are: pages mark the direction of what participants
    // wrote themselves (`dir="auto"`), and isolation marks would reach the JSON.
    bundle.set_use_isolating(false);
    let source = |wanted: Lang| {
        SOURCES
            .iter()
            .find(|(l, _)| *l == wanted)
            .map_or("", |(_, source)| source)
    };
    if let Err(errors) = bundle.add_resource(resource(source(lang))) {
        tracing::error!(target: "http", "interface text in {}: {errors:?}", lang.code());
    }
    if lang != Lang::En {
        // English comes second: its messages only fill gaps (an id already present is
        // kept, and the override reported, which is expected here).
        let _gaps_only = bundle.add_resource(resource(source(Lang::En)));
    }
    bundle
}

/// Formats a message; a missing message or value shows the message's id, and is logged,
/// rather than failing the page.
fn format(bundle: &Bundle, id: &str, args: Option<&FluentArgs>) -> String {
    let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
        tracing::error!(target: "http", "interface text: no message {id}");
        return id.to_owned();
    };
    let mut errors = vec![];
    let text = bundle.format_pattern(pattern, args, &mut errors);
    if !errors.is_empty() {
        tracing::error!(target: "http", "interface text: {id}: {errors:?}");
    }
    text.into_owned()
}

impl Text {
    pub fn kind(&self, kind: CommentKind) -> &str {
        match kind {
            CommentKind::Comment => &self.kind_comment,
            CommentKind::Question => &self.kind_question,
            CommentKind::Suggestion => &self.kind_suggestion,
            CommentKind::Objection => &self.kind_objection,
        }
    }

    pub fn stance(&self, stance: StanceValue) -> &str {
        match stance {
            StanceValue::Support => &self.stance_support,
            StanceValue::Accept => &self.stance_accept,
            StanceValue::Object => &self.stance_object,
            StanceValue::Abstain => &self.stance_abstain,
        }
    }

    pub fn disposition(&self, value: DispositionValue) -> &str {
        match value {
            DispositionValue::Accepted => &self.disp_accepted,
            DispositionValue::Partly => &self.disp_partly,
            DispositionValue::Declined => &self.disp_declined,
            DispositionValue::Noted => &self.disp_noted,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};

    use super::*;

    /// Each message of a Fluent source, with the names of the values it uses.
    fn messages(lang: Lang, source: &str) -> BTreeMap<String, BTreeSet<String>> {
        let resource = match fluent_syntax::parser::parse(source) {
            Ok(resource) => resource,
            Err((_, errors)) => panic!("{}.ftl does not parse: {errors:?}", lang.code()),
        };
        resource
            .body
            .iter()
            .filter_map(|entry| match entry {
                Entry::Message(m) => Some((
                    m.id.name.to_owned(),
                    m.value.as_ref().map(variables).unwrap_or_default(),
                )),
                _ => None,
            })
            .collect()
    }

    fn variables(pattern: &Pattern<&str>) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for element in &pattern.elements {
            if let PatternElement::Placeable { expression } = element {
                expression_variables(expression, &mut names);
            }
        }
        names
    }

    fn expression_variables(expression: &Expression<&str>, names: &mut BTreeSet<String>) {
        let inline = |e: &InlineExpression<&str>, names: &mut BTreeSet<String>| match e {
            InlineExpression::VariableReference { id } => {
                names.insert(id.name.to_owned());
            }
            InlineExpression::Placeable { expression } => expression_variables(expression, names),
            _ => {}
        };
        match expression {
            Expression::Inline(e) => inline(e, names),
            Expression::Select { selector, variants } => {
                inline(selector, names);
                for variant in variants {
                    names.extend(variables(&variant.value));
                }
            }
        }
    }

    /// What a translation lacks, adds, or uses differently from English.
    fn differences(
        english: &BTreeMap<String, BTreeSet<String>>,
        translated: &BTreeMap<String, BTreeSet<String>>,
    ) -> Vec<String> {
        let mut found = vec![];
        for (id, values) in english {
            match translated.get(id) {
                None => found.push(format!("lacks {id}")),
                Some(v) if v != values => found.push(format!("{id} uses {v:?}, not {values:?}")),
                Some(_) => {}
            }
        }
        for id in translated.keys().filter(|id| !english.contains_key(*id)) {
            found.push(format!("has {id}, which English lacks"));
        }
        found
    }

    #[test]
    fn every_language_has_every_message_with_the_same_values() {
        let english = messages(Lang::En, SOURCES[0].1);
        let used: BTreeMap<String, BTreeSet<String>> = Text::MESSAGES
            .iter()
            .map(|(id, args)| (id.to_string(), args.iter().map(|a| a.to_string()).collect()))
            .collect();
        assert_eq!(
            english, used,
            "en.ftl and the messages the interface uses differ"
        );
        assert!(english.len() > 150, "only {} messages", english.len());
        for (lang, source) in &SOURCES[1..] {
            let found = differences(&english, &messages(*lang, source));
            assert!(found.is_empty(), "{}.ftl: {found:#?}", lang.code());
        }
    }

    #[test]
    fn a_message_missing_from_one_language_is_caught() {
        let english = messages(Lang::En, SOURCES[0].1);
        let mut french = messages(Lang::Fr, SOURCES[1].1);
        french.remove("go_back");
        french.insert("only_here".into(), BTreeSet::new());
        french.insert("hits".into(), BTreeSet::from(["count".to_owned()]));
        assert_eq!(
            differences(&english, &french),
            [
                "lacks go_back",
                "hits uses {\"count\"}, not {\"n\"}",
                "has only_here, which English lacks"
            ]
        );
    }

    #[test]
    fn every_message_formats_in_every_language() {
        for lang in Lang::ALL {
            let t = in_language(lang);
            assert_eq!(t.lang, lang);
            for (id, args) in Text::MESSAGES {
                for n in [0, 1, 2, 3, 11, 100, 1_000_000] {
                    let mut values = FluentArgs::new();
                    for arg in *args {
                        values.set(*arg, n);
                    }
                    let pattern = t.bundle.get_message(id).and_then(|m| m.value());
                    let pattern = pattern.unwrap_or_else(|| panic!("{lang:?}: no {id}"));
                    let mut errors = vec![];
                    let formatted = t.bundle.format_pattern(pattern, Some(&values), &mut errors);
                    assert!(errors.is_empty(), "{lang:?} {id}: {errors:?}");
                    assert!(!formatted.trim().is_empty(), "{lang:?} {id}");
                }
            }
        }
    }

    #[test]
    fn counts_follow_each_languages_plural_rules() {
        let en = in_language(Lang::En);
        assert_eq!(en.comments_n(1), "1 comment");
        assert_eq!(en.comments_n(2), "2 comments");
        let fr = in_language(Lang::Fr);
        assert_eq!(fr.comments_n(0), "0 commentaire");
        assert_eq!(fr.comments_n(1), "1 commentaire");
        assert_eq!(fr.comments_n(5), "5 commentaires");
        // Arabic has six forms: zero, one, two, few (3–10), many (11–99), other.
        let ar = in_language(Lang::Ar);
        let forms: BTreeSet<String> = [0, 1, 2, 3, 11, 100].map(|n| ar.comments_n(n)).into();
        assert_eq!(forms.len(), 6, "{forms:?}");
        assert_eq!(ar.comments_n(2), "تعليقان");
        assert_eq!(ar.comments_n(5), "5 تعليقات");
        assert_eq!(ar.comments_n(25), "25 تعليقًا");
        assert_eq!(ar.comments_n(102), "102 تعليق");
    }

    #[test]
    fn values_are_placed_without_isolation_marks() {
        let ar = in_language(Lang::Ar);
        let you = ar.you_are("Amina");
        assert_eq!(you, "أنت Amina");
    }
}

//! The web interface in the reader's language: a real node answers in the language the
//! browser prefers among English, French, Spanish and Arabic, lays Arabic pages out right
//! to left, and remembers a choice made with the switch on every page.

use crate::common;

use common::http::Answer;
use common::running::RunningNode;
use common::*;

fn fetch(node: &RunningNode, path: &str, headers: &[(&str, &str)]) -> Answer {
    common::http::get_from(node, path, headers)
}

fn page(node: &RunningNode, path: &str, headers: &[(&str, &str)]) -> String {
    let answer = fetch(node, path, headers);
    assert_eq!(answer.status, 200, "{path}");
    let vary = answer
        .header("vary")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(vary.contains("accept-language"), "{path}: Vary: {vary}");
    answer.text()
}

#[test]
fn pages_come_in_the_browsers_language_and_the_switch_remembers_a_choice() {
    let home = Participant::init("Amina Reader", "civil-society");
    let demo = home.json(&["demo"]);
    let draft = demo["draft"].as_str().expect("draft").to_owned();
    let space = demo["space"].as_str().expect("space").to_owned();
    let node = RunningNode::start(home, &[]);
    let draft_page = format!("/drafts/{draft}");

    // No preference, or only languages Margin does not speak: English.
    let english = page(&node, &draft_page, &[("Accept-Language", "de-DE, ja")]);
    assert!(english.contains(r#"<html lang="en" dir="ltr">"#));
    assert!(english.contains("Skip to the text"));

    // The most preferred language Margin speaks wins, whatever its region subtag.
    let french = page(
        &node,
        &draft_page,
        &[("Accept-Language", "de;q=0.9, fr-CA;q=0.8, en;q=0.5")],
    );
    assert!(french.contains(r#"<html lang="fr" dir="ltr">"#));
    assert!(french.contains("Aller au texte"));
    assert!(french.contains("commentaires"), "French counts");
    let spanish = page(
        &node,
        &format!("/spaces/{space}"),
        &[("Accept-Language", "es-419")],
    );
    assert!(spanish.contains(r#"<html lang="es" dir="ltr">"#));
    assert!(spanish.contains("Borradores"));

    // Arabic: the whole page right to left; the draft's English paragraphs keep their
    // own direction inside it.
    let arabic = page(&node, &draft_page, &[("Accept-Language", "ar-EG,ar;q=0.9")]);
    assert!(arabic.contains(r#"<html lang="ar" dir="rtl">"#));
    assert!(arabic.contains("انتقل إلى النص"));
    assert!(
        arabic.contains(r#"dir="ltr""#),
        "English paragraphs marked ltr"
    );
    assert_eq!(
        english.matches(r#"dir="ltr""#).count(),
        1,
        "on an English page only <html> says ltr"
    );

    // Every page offers the switch, each language named in itself, coming back here.
    let back = format!("back=%2Fdrafts%2F{draft}");
    for (code, name) in [
        ("en", "English"),
        ("fr", "Français"),
        ("es", "Español"),
        ("ar", "العربية"),
    ] {
        let link = format!(r#"href="/lang/{code}?{back}""#);
        assert!(arabic.contains(&link), "{link}");
        assert!(arabic.contains(name), "{name}");
    }
    assert!(arabic.contains(r#"aria-current="true">العربية"#));
    let on_the_wire = fetch(
        &node,
        &draft_page,
        &[("Accept-Language", "ar"), ("Accept-Encoding", "br")],
    );
    assert_eq!(on_the_wire.header("content-encoding"), Some("br"));
    let size = on_the_wire.bytes.len();
    assert!(
        size <= 10 * 1024,
        "the Arabic sample page is {size} bytes with brotli"
    );

    // Choosing a language remembers it, and goes back to the page.
    let chosen = fetch(&node, &format!("/lang/es?{back}"), &[]);
    assert_eq!(chosen.status, 303);
    assert_eq!(chosen.header("location"), Some(draft_page.as_str()));
    let cookie = chosen.header("set-cookie").expect("a cookie").to_owned();
    assert!(cookie.starts_with("margin_lang=es;"), "{cookie}");
    assert!(
        cookie.contains("Max-Age="),
        "kept after the browser closes: {cookie}"
    );
    let pair = cookie.split(';').next().expect("name=value");
    let remembered = page(
        &node,
        &draft_page,
        &[("Accept-Language", "fr"), ("Cookie", pair)],
    );
    assert!(
        remembered.contains(r#"<html lang="es" dir="ltr">"#),
        "the choice wins"
    );
    assert!(remembered.contains("Ir al texto"));

    // The switch only leads back to this site, and only to languages it has.
    let elsewhere = fetch(&node, "/lang/fr?back=//evil.example/", &[]);
    assert_eq!(elsewhere.header("location"), Some("/"));
    let unknown = fetch(&node, "/lang/xx", &[]);
    assert_eq!(unknown.status, 404);
    assert!(
        unknown.text().contains("en, fr, es, ar"),
        "{}",
        unknown.text()
    );

    // Errors come in the reader's language too.
    let missing = fetch(&node, "/drafts/00ff", &[("Accept-Language", "fr")]);
    assert!(missing.status >= 400);
    assert!(
        missing.text().contains("Une erreur s'est produite"),
        "{}",
        missing.text()
    );
}

//! Reading XML events with text, entity references and attributes resolved.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::error::Error;

/// An XML event, reduced to what the converters read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ev {
    /// An element starts (`empty`: it also ends at once).
    Start {
        name: String,
        attrs: Vec<(String, String)>,
        empty: bool,
    },
    End(String),
    Text(String),
}

/// Deepest element nesting accepted.
const MAX_DEPTH: usize = 256;

/// Calls `f` with each event of `xml`, in order.
pub(crate) fn walk(xml: &str, mut f: impl FnMut(Ev)) -> Result<(), Error> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut depth = 0usize;
    let bad = |e: &dyn std::fmt::Display| Error::Import(format!("malformed XML: {e}"));
    loop {
        match reader.read_event().map_err(|e| bad(&e))? {
            Event::Start(e) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(Error::Import(format!(
                        "the document nests elements more than {MAX_DEPTH} deep"
                    )));
                }
                f(start(&e, false)?);
            }
            Event::Empty(e) => f(start(&e, true)?),
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                f(Ev::End(e.name().as_ref().to_owned()));
            }
            Event::Text(t) => f(Ev::Text(t.xml10_content().into_owned())),
            Event::CData(t) => f(Ev::Text(t.into_inner().into_owned())),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| bad(&e))? {
                    Some(c) => c.to_string(),
                    None => match r.xml10_content().as_ref() {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        _ => String::new(),
                    },
                };
                f(Ev::Text(resolved));
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

fn start(e: &BytesStart<'_>, empty: bool) -> Result<Ev, Error> {
    let mut attrs = vec![];
    for a in e.attributes() {
        let a = a.map_err(|e| Error::Import(format!("malformed XML attribute: {e}")))?;
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| Error::Import(format!("malformed XML attribute: {e}")))?;
        attrs.push((a.key.as_ref().to_owned(), value.into_owned()));
    }
    Ok(Ev::Start {
        name: e.name().as_ref().to_owned(),
        attrs,
        empty,
    })
}

/// The value of attribute `name`.
pub(crate) fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

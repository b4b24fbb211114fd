//! CSV as RFC 4180 writes it (fields separated by commas, records by CRLF, a field
//! quoted when it holds a comma, a quote or a line break, quotes doubled inside), read
//! and written with the `csv` crate. Reading also accepts LF line ends and a UTF-8 byte
//! order mark, as spreadsheets write them back.
//!
//! A cell a spreadsheet would run as a formula (text starting with `=`, `+`, `-`, `@`,
//! a tab or a carriage return) is written with a leading apostrophe, which spreadsheets
//! read as "this is text"; so that this stays unambiguous, text starting with an
//! apostrophe gets one more. Reading removes one leading apostrophe.

/// One record as a line, with its CRLF.
pub(crate) fn record<S: AsRef<str>>(fields: &[S]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(vec![]);
    let guarded: Vec<String> = fields.iter().map(|f| guard(f.as_ref())).collect();
    // Writing to memory cannot fail, and every field is UTF-8.
    let written = writer
        .write_record(&guarded)
        .and_then(|()| writer.into_inner().map_err(|e| e.into_error().into()));
    match written {
        Ok(bytes) => String::from_utf8(bytes).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// The text a cell holds, with a leading apostrophe where a spreadsheet would
/// otherwise run it as a formula.
fn guard(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// A cell's text as written by [`record`].
pub(crate) fn text_of(cell: &str) -> &str {
    cell.strip_prefix('\'').unwrap_or(cell)
}

/// The records of a CSV text, each with the line it starts on (from 1).
pub(crate) fn parse(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = vec![];
    for record in reader.records() {
        let record = record.map_err(|e| match e.position() {
            Some(at) => format!("unreadable CSV on line {}: {e}", at.line()),
            None => format!("unreadable CSV: {e}"),
        })?;
        // The line a record starts on, counting the line breaks inside quoted fields
        // (the reader's own count does not).
        let start = record
            .position()
            .map_or(0, |at| usize::try_from(at.byte()).unwrap_or(usize::MAX));
        // After a CR the reader's position may be on the LF that ends the line before.
        let bytes = text.as_bytes();
        let mut start = start.min(bytes.len());
        while bytes.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            start += 1;
        }
        let line = 1 + bytes[..start].iter().filter(|&&b| b == b'\n').count();
        records.push((line, record.iter().map(str::to_owned).collect()));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_as_written() {
        let fields = [
            "plain",
            "a, comma",
            "a \"quote\"",
            "two\nlines",
            "=1+1",
            "'apostrophe",
            "",
        ];
        let line = record(&fields);
        assert!(line.ends_with("\r\n"));
        let read = parse(&format!("\u{feff}{line}{line}")).expect("readable");
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].0, 1);
        assert_eq!(read[1].0, 3, "the first record spans two lines");
        let cells: Vec<&str> = read[0].1.iter().map(|c| text_of(c)).collect();
        assert_eq!(cells, fields);
    }

    #[test]
    fn a_formula_is_written_as_text() {
        assert_eq!(
            record(&["=HYPERLINK(\"x\")", "-1"]),
            "\"'=HYPERLINK(\"\"x\"\")\",'-1\r\n"
        );
    }
}

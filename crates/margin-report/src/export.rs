//! Everything an export is made of, computed once from a space, and rendered in any of
//! the formats.

use margin_consensus::alternative::Alternatives;
use margin_consensus::objection::ObjectionRegister;
use margin_consensus::views::ParagraphViews;
use margin_consensus::{Balance, ConsensusReport, Options};
use margin_core::id::DraftId;
use margin_draft::DraftView;
use margin_space::Space;

use crate::error::Error;
use crate::matrix::{self, COLUMNS, Row};
use crate::provenance::{MARKER, Provenance};

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// The comment-resolution matrix, CSV.
    Matrix,
    /// The report, Markdown.
    ReportMarkdown,
    /// The report, one HTML page.
    ReportHtml,
    /// The chair's summary skeleton, Markdown.
    Summary,
    /// W3C Web Annotations, JSON-LD.
    Annotations,
    /// The draft as a standard Automerge document file.
    Automerge,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Matrix,
        Format::ReportMarkdown,
        Format::ReportHtml,
        Format::Summary,
        Format::Annotations,
        Format::Automerge,
    ];

    /// The name a provenance records.
    pub fn name(self) -> &'static str {
        match self {
            Format::Matrix => "matrix",
            Format::ReportMarkdown => "report-md",
            Format::ReportHtml => "report-html",
            Format::Summary => "summary",
            Format::Annotations => "annotations",
            Format::Automerge => "automerge",
        }
    }

    /// The format a provenance names.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Matrix => "csv",
            Format::ReportMarkdown | Format::Summary => "md",
            Format::ReportHtml => "html",
            Format::Annotations => "jsonld",
            Format::Automerge => "automerge",
        }
    }
}

/// The figures and records of one draft, ready to render.
#[derive(Clone, Debug)]
pub struct Export {
    pub(crate) provenance: Provenance,
    pub(crate) options: Options,
    pub(crate) report: ConsensusReport,
    pub(crate) register: ObjectionRegister,
    pub(crate) alternatives: Alternatives,
    pub(crate) views: Vec<ParagraphViews>,
    pub(crate) balance: Balance,
    pub(crate) rows: Vec<Row>,
    pub(crate) view: DraftView,
    pub(crate) markdown: String,
    pub(crate) annotations: serde_json::Value,
    pub(crate) automerge: Vec<u8>,
}

impl Export {
    /// Computes everything the exports of `draft` show, from the entries `space` holds,
    /// counting participants as `options` says.
    pub fn new(space: &Space, draft: &DraftId, options: Options) -> Result<Export, Error> {
        let provenance = Provenance::of(space, draft, "", options.registered_only)?;
        let space: &Space = space;
        let report = margin_consensus::report(space, draft, &options)?;
        let register = margin_consensus::objections(space, draft, &options)?;
        let alternatives = margin_consensus::alternatives(space, draft, &options)?;
        let views = margin_consensus::views(space, draft, &options)?;
        let balance = margin_consensus::balance(space, Some(draft), &options);
        let rows = matrix::rows(space, draft, &options, &register)?;
        let state = space
            .draft(draft)
            .ok_or(margin_consensus::Error::UnknownDraft(*draft))?;
        let view = state.doc.view(None)?;
        let markdown = state.doc.render_markdown(None)?;
        let automerge = state.doc.save();
        let mut export = Export {
            provenance,
            options,
            report,
            register,
            alternatives,
            views,
            balance,
            rows,
            view,
            markdown,
            annotations: serde_json::Value::Null,
            automerge,
        };
        export.annotations = crate::annotation::annotations(space, draft, &export)?;
        Ok(export)
    }

    /// What the export in `format` names as its origin.
    pub fn provenance(&self, format: Format) -> Provenance {
        Provenance {
            format: format.name().to_owned(),
            ..self.provenance.clone()
        }
    }

    /// The options figures were counted with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The rows of the comment-resolution matrix.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The export's bytes in `format`.
    pub fn render(&self, format: Format) -> Result<Vec<u8>, Error> {
        Ok(match format {
            Format::Matrix => self.matrix_csv()?.into_bytes(),
            Format::ReportMarkdown => crate::report::document(self, format)
                .markdown()?
                .into_bytes(),
            Format::ReportHtml => crate::report::document(self, format).html()?.into_bytes(),
            Format::Summary => crate::summary::document(self).markdown()?.into_bytes(),
            Format::Annotations => {
                let mut text = serde_json::to_string_pretty(&self.annotations)?;
                text.push('\n');
                text.into_bytes()
            }
            Format::Automerge => self.automerge.clone(),
        })
    }

    /// The manifest written next to an Automerge export (an Automerge file has no room
    /// for it): the export's provenance as JSON.
    pub fn automerge_manifest(&self) -> Result<String, Error> {
        let mut text = serde_json::to_string_pretty(&self.provenance(Format::Automerge))?;
        text.push('\n');
        Ok(text)
    }

    fn matrix_csv(&self) -> Result<String, Error> {
        let p = self.provenance(Format::Matrix);
        let mut out = String::new();
        out.push_str(&crate::csv::record(&[
            "Comment-resolution matrix",
            &p.draft_title,
        ]));
        out.push_str(&crate::csv::record(&["Space", &p.space_title]));
        out.push_str(&crate::csv::record(&[
            "Version",
            p.version.as_deref().unwrap_or("current (untagged)"),
        ]));
        out.push_str(&crate::csv::record(&[
            "Made from",
            &format!(
                "{} signed entries dated up to {}",
                p.entries,
                p.until_text()
            ),
        ]));
        out.push_str(&crate::csv::record(&[MARKER, &serde_json::to_string(&p)?]));
        out.push_str("\r\n");
        out.push_str(&crate::csv::record(&COLUMNS));
        for row in &self.rows {
            out.push_str(&crate::csv::record(&row.cells));
        }
        Ok(out)
    }
}

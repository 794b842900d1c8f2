//! How certificates are laid out: eleven layouts, each a function from what the document
//! says to its pages, and which page is the certificate itself.

use crate::lang::{Language, Words};
use crate::pdf::{A4, Page};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layout {
    /// "… certifies that" prose, portrait.
    Classic,
    /// "Label: value" lines.
    LabelValue,
    /// Labels in one column, values in another on the same rows.
    TwoColumns,
    /// Landscape, centred, several labels on one line.
    Landscape,
    /// The certification body's cover letter, then the certificate.
    CoverLetter,
    /// The certificate, then an annex listing sites (and a group company).
    Annex,
    /// One certificate for two standards.
    Combined,
    /// Number and dates in running sentences.
    Paragraph,
    /// Labels above their values in a block at the top right.
    HeaderBlock,
    /// Other identifiers on the page: VAT, phone, accreditation, audit date, customer no.
    Distractors,
    /// A table: a header row of labels, a row of values.
    Table,
}

pub const LAYOUTS: [Layout; 11] = [
    Layout::Classic,
    Layout::LabelValue,
    Layout::TwoColumns,
    Layout::Landscape,
    Layout::CoverLetter,
    Layout::Annex,
    Layout::Combined,
    Layout::Paragraph,
    Layout::HeaderBlock,
    Layout::Distractors,
    Layout::Table,
];

/// What one document says.
pub struct Content {
    pub language: Language,
    pub body_letterhead: String,
    pub body_address: String,
    pub body_phone: String,
    pub accreditation: String,
    pub company: String,
    pub address: String,
    /// Identifier lines printed under the address ("VAT ID: …", "www.…", "LEI: …").
    pub identifiers: Vec<String>,
    /// Standards as printed ("ISO 9001:2015"), the primary first.
    pub standards: Vec<String>,
    pub number: String,
    pub issued: String,
    pub expires: String,
    pub audit: String,
    /// A group company named on the annex (not the certified one).
    pub sister: String,
}

impl Content {
    fn w(&self) -> &'static Words {
        self.language.words()
    }

    fn certifies(&self) -> String {
        self.w().certifies.replace("{}", &self.body_letterhead)
    }

    fn standards_line(&self) -> String {
        format!("{} {}", self.w().conforms, self.standards.join(" / "))
    }
}

/// Lines down a portrait page, 18 points apart, from `top`.
fn column(page: &mut Page, x: f32, top: f32, lines: &[String]) {
    for (i, line) in lines.iter().enumerate() {
        page.put(x, top - 18.0 * i as f32, 11.0, line.clone());
    }
}

fn footer(page: &mut Page, c: &Content, page_no: usize, pages: usize) {
    let w = c.w();
    page.put(
        50.0,
        60.0,
        8.0,
        format!("{} | {}", c.body_letterhead, c.body_address),
    );
    page.put(
        50.0,
        48.0,
        8.0,
        format!(
            "{} {} | {} {page_no}/{pages}",
            w.phone, c.body_phone, w.page
        ),
    );
}

fn classic_page(c: &Content, pages: (usize, usize)) -> Page {
    let w = c.w();
    let mut page = Page::new(A4);
    page.put(50.0, 780.0, 22.0, w.title);
    let mut lines = vec![
        c.certifies(),
        String::new(),
        c.company.clone(),
        c.address.clone(),
    ];
    lines.extend(c.identifiers.iter().cloned());
    lines.extend([
        String::new(),
        c.standards_line(),
        format!("{}: {}", w.scope, w.scope_text),
        String::new(),
        format!("{}: {}", w.number, c.number),
        format!("{}: {}", w.issued, c.issued),
        format!("{}: {}", w.expires, c.expires),
    ]);
    column(&mut page, 50.0, 730.0, &lines);
    footer(&mut page, c, pages.0, pages.1);
    page
}

/// The document's pages and the number (from 1) of the certificate page.
pub fn pages(layout: Layout, c: &Content) -> (Vec<Page>, usize) {
    match layout {
        Layout::Classic | Layout::Combined => (vec![classic_page(c, (1, 1))], 1),
        Layout::LabelValue => label_value_pages(c),
        Layout::TwoColumns => two_columns_pages(c),
        Layout::Landscape => landscape_pages(c),
        Layout::CoverLetter => cover_letter_pages(c),
        Layout::Annex => annex_pages(c),
        Layout::Paragraph => paragraph_pages(c),
        Layout::HeaderBlock => header_block_pages(c),
        Layout::Distractors => distractors_pages(c),
        Layout::Table => table_pages(c),
    }
}

/// The LabelValue layout's pages, and how many the document has.
fn label_value_pages(c: &Content) -> (Vec<Page>, usize) {
    let w = c.w();
    let mut page = Page::new(A4);
    page.put(
        50.0,
        780.0,
        20.0,
        format!("{} – {}", c.body_letterhead, w.title),
    );
    let mut lines = vec![
        format!("{}: {}", w.company, c.company),
        format!("{}: {}", w.address, c.address),
    ];
    lines.extend(c.identifiers.iter().cloned());
    lines.extend([
        format!("{}: {}", w.standard, c.standards.join(", ")),
        format!("{}: {}", w.scope, w.scope_text),
        format!("{}: {}", w.number, c.number),
        format!("{}: {}", w.valid_from, c.issued),
        format!("{}: {}", w.expires, c.expires),
    ]);
    column(&mut page, 50.0, 730.0, &lines);
    footer(&mut page, c, 1, 1);
    (vec![page], 1)
}

/// The TwoColumns layout's pages, and how many the document has.
fn two_columns_pages(c: &Content) -> (Vec<Page>, usize) {
    let w = c.w();
    let mut page = Page::new(A4);
    page.put(50.0, 780.0, 20.0, w.title);
    page.put(50.0, 750.0, 11.0, c.body_letterhead.clone());
    let mut rows = vec![
        (w.company, c.company.clone()),
        (w.address, c.address.clone()),
        (w.standard, c.standards.join(", ")),
        (w.scope, w.scope_text.to_string()),
        (w.number, c.number.clone()),
        (w.issued, c.issued.clone()),
        (w.expires, c.expires.clone()),
    ];
    for id in &c.identifiers {
        rows.insert(2, ("", id.clone()));
    }
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = 700.0 - 22.0 * i as f32;
        if !label.is_empty() {
            page.put(50.0, y, 11.0, format!("{label}:"));
        }
        page.put(230.0, y, 11.0, value.clone());
    }
    footer(&mut page, c, 1, 1);
    (vec![page], 1)
}

/// The Landscape layout's pages, and how many the document has.
fn landscape_pages(c: &Content) -> (Vec<Page>, usize) {
    let w = c.w();
    let mut page = Page::new((A4.1, A4.0));
    page.put(330.0, 540.0, 26.0, w.title);
    page.put(200.0, 500.0, 12.0, c.certifies());
    page.put(200.0, 465.0, 20.0, c.company.clone());
    page.put(200.0, 440.0, 11.0, c.address.clone());
    for (i, id) in c.identifiers.iter().enumerate() {
        page.put(200.0, 422.0 - 16.0 * i as f32, 11.0, id.clone());
    }
    page.put(200.0, 370.0, 12.0, c.standards_line());
    page.put(200.0, 345.0, 11.0, format!("{}: {}", w.scope, w.scope_text));
    page.put(
        120.0,
        300.0,
        11.0,
        format!(
            "{}: {}     {}: {}     {}: {}",
            w.number, c.number, w.issued, c.issued, w.expires, c.expires
        ),
    );
    page.put(
        120.0,
        60.0,
        8.0,
        format!("{} | {}", c.body_letterhead, c.body_address),
    );
    (vec![page], 1)
}

/// The CoverLetter layout's pages, and how many the document has.
fn cover_letter_pages(c: &Content) -> (Vec<Page>, usize) {
    let w = c.w();
    let mut letter = Page::new(A4);
    letter.put(50.0, 790.0, 12.0, c.body_letterhead.clone());
    letter.put(50.0, 775.0, 9.0, c.body_address.clone());
    letter.put(50.0, 763.0, 9.0, format!("{} {}", w.phone, c.body_phone));
    column(
        &mut letter,
        50.0,
        700.0,
        &[
            c.company.clone(),
            c.address.clone(),
            String::new(),
            c.audit.clone(),
            String::new(),
            w.letter[0].to_string(),
            w.letter[1].to_string(),
            String::new(),
            w.letter[2].to_string(),
            c.body_letterhead.clone(),
        ],
    );
    (vec![letter, classic_page(c, (2, 2))], 2)
}

/// The Annex layout's pages, and how many the document has.
fn annex_pages(c: &Content) -> (Vec<Page>, usize) {
    let w = c.w();
    let mut annex = Page::new(A4);
    annex.put(50.0, 780.0, 16.0, format!("{} {}", w.annex, c.number));
    column(
        &mut annex,
        50.0,
        740.0,
        &[
            format!("{}:", w.sites),
            format!("{} – {}", c.company, c.address),
            format!(
                "{} – {}",
                c.sister,
                c.body_address.split(',').next_back().unwrap_or("").trim()
            ),
        ],
    );
    footer(&mut annex, c, 2, 2);
    (vec![classic_page(c, (1, 2)), annex], 1)
}

/// The Paragraph layout's pages, and how many the document has.
fn paragraph_pages(c: &Content) -> (Vec<Page>, usize) {
    let w = c.w();
    let mut page = Page::new(A4);
    page.put(50.0, 780.0, 22.0, w.title);
    let mut lines = vec![c.certifies(), c.company.clone(), c.address.clone()];
    lines.extend(c.identifiers.iter().cloned());
    lines.extend([
        c.standards_line(),
        format!("{}: {}.", w.scope, w.scope_text),
        format!(
            "{} {}. {}: {}. {}: {}.",
            w.number, c.number, w.issued, c.issued, w.expires, c.expires
        ),
    ]);
    column(&mut page, 50.0, 730.0, &lines);
    footer(&mut page, c, 1, 1);
    (vec![page], 1)
}

/// The HeaderBlock layout's pages, and how many the document has.
fn header_block_pages(c: &Content) -> (Vec<Page>, usize) {
    let w = c.w();
    let mut page = Page::new(A4);
    page.put(50.0, 790.0, 12.0, c.body_letterhead.clone());
    column(
        &mut page,
        380.0,
        760.0,
        &[
            format!("{}:", w.number),
            c.number.clone(),
            format!("{}:", w.issued),
            c.issued.clone(),
            format!("{}:", w.expires),
            c.expires.clone(),
        ],
    );
    page.put(50.0, 620.0, 22.0, w.title);
    let mut lines = vec![c.certifies(), c.company.clone(), c.address.clone()];
    lines.extend(c.identifiers.iter().cloned());
    lines.extend([c.standards_line(), format!("{}: {}", w.scope, w.scope_text)]);
    column(&mut page, 50.0, 580.0, &lines);
    footer(&mut page, c, 1, 1);
    (vec![page], 1)
}

/// The Distractors layout's pages, and how many the document has.
fn distractors_pages(c: &Content) -> (Vec<Page>, usize) {
    let w = c.w();
    let mut page = classic_page(c, (1, 1));
    page.put(
        50.0,
        780.0 - 22.0 * 2.0,
        9.0,
        format!("Accreditation {}", c.accreditation),
    );
    page.put(380.0, 790.0, 9.0, format!("{} {}", w.phone, c.body_phone));
    page.put(380.0, 778.0, 9.0, c.audit.clone());
    page.put(380.0, 766.0, 9.0, "Customer No. 4711-0815".to_string());
    (vec![page], 1)
}

/// The Table layout's pages, and how many the document has.
fn table_pages(c: &Content) -> (Vec<Page>, usize) {
    let w = c.w();
    let mut page = Page::new(A4);
    page.put(50.0, 780.0, 22.0, w.title);
    let mut lines = vec![c.certifies(), c.company.clone(), c.address.clone()];
    lines.extend(c.identifiers.iter().cloned());
    lines.push(format!("{}: {}", w.scope, w.scope_text));
    column(&mut page, 50.0, 730.0, &lines);
    let y = 730.0 - 18.0 * (lines.len() as f32 + 2.0);
    let xs = [50.0, 170.0, 340.0, 450.0];
    let header = [w.standard, w.number, w.valid_from, w.expires];
    for (x, h) in xs.iter().zip(header) {
        page.put(*x, y, 10.0, h);
    }
    let row = [
        c.standards[0].clone(),
        c.number.clone(),
        c.issued.clone(),
        c.expires.clone(),
    ];
    for (x, v) in xs.iter().zip(row) {
        page.put(*x, y - 18.0, 10.0, v);
    }
    footer(&mut page, c, 1, 1);
    (vec![page], 1)
}

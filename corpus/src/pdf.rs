//! PDFs with a text layer, written with lopdf: pages of positioned lines in Helvetica,
//! encoded as WinAnsi (what the standard 14 fonts read), so accented Latin letters come
//! out as written and others as their closest ASCII.

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};

/// One line of text at (`x`, `y`) points from the bottom left, `size` points high.
#[derive(Debug, Clone)]
pub struct Text {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub text: String,
}

#[derive(Debug, Clone, Default)]
pub struct Page {
    pub width: f32,
    pub height: f32,
    pub texts: Vec<Text>,
}

pub const A4: (f32, f32) = (595.0, 842.0);

impl Page {
    pub fn new((width, height): (f32, f32)) -> Page {
        Page {
            width,
            height,
            texts: Vec::new(),
        }
    }

    pub fn put(&mut self, x: f32, y: f32, size: f32, text: impl Into<String>) {
        self.texts.push(Text {
            x,
            y,
            size,
            text: text.into(),
        });
    }

    /// Lines from the top left margin down, `leading` points apart.
    pub fn lines(size: (f32, f32), lines: &[&str]) -> Page {
        let mut page = Page::new(size);
        for (i, line) in lines.iter().enumerate() {
            page.put(50.0, size.1 - 62.0 - 18.0 * i as f32, 12.0, *line);
        }
        page
    }
}

/// WinAnsi (cp1252) bytes of `text`: Latin-1 letters as themselves, the few cp1252 adds
/// in their slots, anything else as ASCII.
pub fn win_ansi(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let code = c as u32;
        let byte = match c {
            '€' => Some(0x80),
            '‚' => Some(0x82),
            '„' => Some(0x84),
            '…' => Some(0x85),
            'Š' => Some(0x8A),
            '‹' => Some(0x8B),
            'Œ' => Some(0x8C),
            'Ž' => Some(0x8E),
            '‘' => Some(0x91),
            '’' => Some(0x92),
            '“' => Some(0x93),
            '”' => Some(0x94),
            '•' => Some(0x95),
            '–' => Some(0x96),
            '—' => Some(0x97),
            'š' => Some(0x9A),
            '›' => Some(0x9B),
            'œ' => Some(0x9C),
            'ž' => Some(0x9E),
            'Ÿ' => Some(0x9F),
            _ if code < 0x80 || (0xA0..=0xFF).contains(&code) => Some(code as u8),
            _ => None,
        };
        match byte {
            Some(b) => out.push(b),
            None => out.extend(deunicode::deunicode_char(c).unwrap_or("?").bytes()),
        }
    }
    out
}

/// The document of `pages`.
pub fn write(pages: &[Page]) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });
    let mut kids = Vec::new();
    for page in pages {
        let mut operations = Vec::new();
        for t in &page.texts {
            operations.extend([
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec!["F1".into(), t.size.into()]),
                Operation::new("Td", vec![t.x.into(), t.y.into()]),
                Operation::new(
                    "Tj",
                    vec![Object::String(
                        win_ansi(&t.text),
                        lopdf::StringFormat::Literal,
                    )],
                ),
                Operation::new("ET", vec![]),
            ]);
        }
        let content = Content { operations };
        let content_id = doc.add_object(Stream::new(
            dictionary! {},
            content.encode().expect("content encodes"),
        ));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
            "MediaBox" => vec![0.into(), 0.into(), page.width.into(), page.height.into()],
        });
        kids.push(page_id.into());
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
            "Resources" => resources_id,
        }),
    );
    let catalog_id = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("the PDF is written");
    out
}

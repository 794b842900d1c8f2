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
        let page_id = add_page(
            &mut doc,
            pages_id,
            Content { operations },
            (page.width.into(), page.height.into()),
            dictionary! {},
        );
        kids.push(page_id.into());
    }
    save(
        doc,
        pages_id,
        kids,
        dictionary! { "Resources" => resources_id },
    )
}

/// Adds a page of `content`, `size` points, with `extra` entries (its resources).
fn add_page(
    doc: &mut Document,
    pages_id: lopdf::ObjectId,
    content: Content,
    size: (Object, Object),
    extra: lopdf::Dictionary,
) -> lopdf::ObjectId {
    let content_id = doc.add_object(Stream::new(
        dictionary! {},
        content.encode().expect("content encodes"),
    ));
    let mut page = dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "MediaBox" => vec![0.into(), 0.into(), size.0, size.1],
    };
    page.extend(&extra);
    doc.add_object(page)
}

/// Adds the page tree of `kids` (with `extra` entries, as resources every page shares) and
/// the catalog, and writes the document.
fn save(
    mut doc: Document,
    pages_id: lopdf::ObjectId,
    kids: Vec<Object>,
    extra: lopdf::Dictionary,
) -> Vec<u8> {
    let count = kids.len() as i64;
    let mut tree = dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count };
    tree.extend(&extra);
    doc.objects.insert(pages_id, Object::Dictionary(tree));
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("the PDF is written");
    out
}

/// Width, height and colour components of a JPEG, from its frame header.
fn jpeg_frame(jpeg: &[u8]) -> (u32, u32, u8) {
    let mut i = 2;
    while i + 9 < jpeg.len() {
        let marker = jpeg[i + 1];
        let len = u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]) as usize;
        if matches!(marker, 0xC0..=0xC2) {
            let h = u16::from_be_bytes([jpeg[i + 5], jpeg[i + 6]]) as u32;
            let w = u16::from_be_bytes([jpeg[i + 7], jpeg[i + 8]]) as u32;
            return (w, h, jpeg[i + 9]);
        }
        i += 2 + len;
    }
    panic!("not a JPEG with a frame header");
}

/// A PDF as a scanner sends one: each page only a JPEG image scanned at `dpi`, no text
/// layer.
pub fn scanned(jpegs: &[Vec<u8>], dpi: u32) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let mut kids = Vec::new();
    for jpeg in jpegs {
        let (w, h, components) = jpeg_frame(jpeg);
        let colour = if components == 1 {
            "DeviceGray"
        } else {
            "DeviceRGB"
        };
        let (pw, ph) = ((w * 72 / dpi) as i64, (h * 72 / dpi) as i64);
        let image_id = doc.add_object(Stream::new(
            dictionary! {
                "Type" => "XObject",
                "Subtype" => "Image",
                "Width" => w as i64,
                "Height" => h as i64,
                "ColorSpace" => colour,
                "BitsPerComponent" => 8,
                "Filter" => "DCTDecode",
            },
            jpeg.clone(),
        ));
        let content = Content {
            operations: vec![
                Operation::new("q", vec![]),
                Operation::new(
                    "cm",
                    vec![pw.into(), 0.into(), 0.into(), ph.into(), 0.into(), 0.into()],
                ),
                Operation::new("Do", vec!["Im1".into()]),
                Operation::new("Q", vec![]),
            ],
        };
        let resources = dictionary! { "XObject" => dictionary! { "Im1" => image_id } };
        let page_id = add_page(
            &mut doc,
            pages_id,
            content,
            (pw.into(), ph.into()),
            dictionary! { "Resources" => resources },
        );
        kids.push(page_id.into());
    }
    save(doc, pages_id, kids, dictionary! {})
}

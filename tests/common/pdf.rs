//! Real PDF files with a text layer, written with lopdf (one line of Helvetica per entry).

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};

/// A one-page PDF whose text layer holds `lines`, top to bottom.
pub fn with_lines(lines: &[&str]) -> Vec<u8> {
    use certwatch_corpus::pdf::{A4, Page, write};
    write(&[Page::lines(A4, lines)])
}

/// A one-page PDF whose content stream is a Flate bomb: a few MB that inflate to
/// `inflated` bytes (spaces), compressed by streaming, never held whole.
pub fn flate_bomb(inflated: u64) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![b' '; 1 << 20];
    let mut left = inflated;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        z.write_all(&block[..n]).unwrap();
        left -= n as u64;
    }
    let data = z.finish().unwrap();
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let content_id = doc.add_object(
        Stream::new(dictionary! { "Filter" => "FlateDecode" }, data).with_compression(false),
    );
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
    });
    finish(doc, pages_id, page_id)
}

/// Adds the page tree (one page) and the catalog, and writes the document.
fn finish(mut doc: Document, pages_id: lopdf::ObjectId, page_id: lopdf::ObjectId) -> Vec<u8> {
    let pages = dictionary! {
        "Type" => "Pages",
        "Kids" => vec![page_id.into()],
        "Count" => 1,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    };
    doc.objects.insert(pages_id, Object::Dictionary(pages));
    let catalog_id = doc.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("the PDF is written");
    out
}

/// Width, height and colour components of a JPEG, from its SOF marker.
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

/// A one-page PDF that is only a JPEG image (a scan, no text layer), at `dpi`.
pub fn image_only(jpeg: &[u8], dpi: u32) -> Vec<u8> {
    let (w, h, components) = jpeg_frame(jpeg);
    let colour = if components == 1 {
        "DeviceGray"
    } else {
        "DeviceRGB"
    };
    let (pw, ph) = ((w * 72 / dpi) as i64, (h * 72 / dpi) as i64);
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
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
        jpeg.to_vec(),
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
    let content_id = doc.add_object(Stream::new(
        dictionary! {},
        content.encode().expect("content encodes"),
    ));
    let resources_id = doc.add_object(dictionary! {
        "XObject" => dictionary! { "Im1" => image_id },
    });
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "Resources" => resources_id,
        "MediaBox" => vec![0.into(), 0.into(), pw.into(), ph.into()],
    });
    finish(doc, pages_id, page_id)
}

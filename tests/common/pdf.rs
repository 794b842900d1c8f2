//! Real PDF files with a text layer, written with lopdf (one line of Helvetica per entry).

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

/// A one-page PDF that is only a JPEG image (a scan, no text layer), at `dpi`.
pub fn image_only(jpeg: &[u8], dpi: u32) -> Vec<u8> {
    certwatch_corpus::pdf::scanned(&[jpeg.to_vec()], dpi)
}

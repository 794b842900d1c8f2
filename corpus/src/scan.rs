//! Scans of a certificate page: the page rendered by pdftoppm at a scanner's resolution,
//! then turned a little, blurred, speckled and saved as a lossy JPEG, as a flatbed and an
//! office copier leave them.

use std::process::Command;

use image::codecs::jpeg::JpegEncoder;
use image::{GrayImage, Luma};

use crate::rng::Rng;

/// How a page is scanned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scanner {
    pub dpi: u32,
    /// Degrees, clockwise.
    pub skew: f32,
    /// Gaussian blur sigma, in pixels.
    pub blur: f32,
    /// Share of pixels speckled black or white.
    pub noise: f32,
    pub jpeg_quality: u8,
}

impl Scanner {
    pub fn random(rng: &mut Rng) -> Scanner {
        Scanner {
            dpi: [150, 200, 300][rng.below(3)],
            skew: rng.between(-1.5, 1.5),
            blur: rng.between(0.0, 0.9),
            noise: rng.between(0.0, 0.01),
            jpeg_quality: 40 + rng.below(46) as u8,
        }
    }
}

/// Page `page` (from 1) of `pdf`, scanned: JPEG bytes.
pub fn scan(pdf: &[u8], page: usize, scanner: &Scanner, rng: &mut Rng) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("a scratch directory");
    let input = dir.path().join("page.pdf");
    std::fs::write(&input, pdf).expect("the PDF is written");
    let out = dir.path().join("page");
    let page = page.to_string();
    let status = Command::new("pdftoppm")
        .args([
            "-r",
            &scanner.dpi.to_string(),
            "-gray",
            "-png",
            "-singlefile",
        ])
        .args(["-f", &page, "-l", &page])
        .arg(&input)
        .arg(&out)
        .status()
        .expect("pdftoppm runs (poppler-utils)");
    assert!(status.success(), "pdftoppm rendered the page");
    let rendered = image::open(dir.path().join("page.png"))
        .expect("pdftoppm wrote a PNG")
        .to_luma8();
    let mut img = rotate(&rendered, scanner.skew);
    if scanner.blur > 0.05 {
        img = image::imageops::blur(&img, scanner.blur);
    }
    for p in img.pixels_mut() {
        if rng.chance(scanner.noise) {
            *p = Luma([if rng.chance(0.5) { 0 } else { 255 }]);
        }
    }
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, scanner.jpeg_quality)
        .encode_image(&img)
        .expect("the JPEG is encoded");
    jpeg
}

/// `img` turned by `degrees` about its centre, bilinear, the corners white.
fn rotate(img: &GrayImage, degrees: f32) -> GrayImage {
    let (w, h) = img.dimensions();
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let sample = |x: f32, y: f32| -> f32 {
        if x < 0.0 || y < 0.0 || x >= (w - 1) as f32 || y >= (h - 1) as f32 {
            return 255.0;
        }
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let px = |dx: u32, dy: u32| img.get_pixel(x0 as u32 + dx, y0 as u32 + dy)[0] as f32;
        let top = px(0, 0) * (1.0 - fx) + px(1, 0) * fx;
        let bottom = px(0, 1) * (1.0 - fx) + px(1, 1) * fx;
        top * (1.0 - fy) + bottom * fy
    };
    GrayImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let sx = cos * dx + sin * dy + cx;
        let sy = -sin * dx + cos * dy + cy;
        Luma([sample(sx, sy).round() as u8])
    })
}

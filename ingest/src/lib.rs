//! Reading untrusted bytes: certificate documents (PDF text layer, OCR), supplier pages
//! (HTML), spreadsheets, and the certificate facts in their text. The readers are plain
//! functions (bytes in, typed result out) with bounds on their output; the `worker`
//! module runs them in a separate process under OS limits, and `pool` is the server's
//! side of those processes.

mod bodies;
pub mod calibration;
mod certificate_page;
pub mod dates;
pub mod document;
pub mod extract;
pub mod fair;
pub mod fields;
mod hocr;
pub mod labels;
pub mod limits;
pub mod mail;
pub mod mentions;
mod misreads;
mod numbers;
pub mod page;
pub mod pdf;
pub mod pool;
pub mod preview;
pub mod protocol;
pub mod robots;
pub mod score;
pub mod second_reading;
pub mod spreadsheet;
pub mod uploads;
pub mod worker;

pub use limits::Limits;

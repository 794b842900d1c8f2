//! `certwatch worker`: reads jobs from stdin and answers on stdout until stdin closes.
//! The server starts it with an address-space limit, a lower CPU priority, its own process
//! group and death with its parent; each job sets its own CPU-time limit here, so a file
//! that makes a parser spin ends the worker (SIGXCPU) instead of burning a core.

use std::io::{self, BufReader, BufWriter};
use std::panic::AssertUnwindSafe;
use std::process::ExitCode;

use certwatch_domain::reading::Read;

use crate::calibration;
use crate::document::read_document;
use crate::fields;
use crate::limits::Limits;
use crate::mail;
use crate::mentions::{document_mentions, page_mentions};
use crate::page;
use crate::pdf;
use crate::preview;
use crate::protocol::{Job, PageReading, Reply, Request, read_frame, write_frame};
use crate::robots;
use crate::score::score;
use crate::spreadsheet;

pub fn serve() -> ExitCode {
    let mut input = BufReader::new(io::stdin().lock());
    let mut output = BufWriter::new(io::stdout().lock());
    loop {
        let request: Request = match read_frame(&mut input) {
            Ok(Some(request)) => request,
            Ok(None) => return ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("certwatch worker: bad request: {e}");
                return ExitCode::from(2);
            }
        };
        limit_cpu(request.limits.cpu_seconds);
        let mut send = |reply: Reply| write_frame(&mut output, &reply);
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            run(request.job, &request.limits, &mut send)
        }));
        let written = match outcome {
            Ok(written) => written,
            Err(panic) => {
                let why = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown".into());
                send(Reply::Panicked(why))
            }
        };
        if written.is_err() {
            // The server is gone or gave up on this job.
            return ExitCode::from(2);
        }
    }
}

/// Lets this job use `seconds` of CPU from now on: the soft limit is what was used so far
/// plus that; the hard limit stays open so the next job can move it on.
fn limit_cpu(seconds: u64) {
    // SAFETY: getrusage and setrlimit only read and write the structs passed to them.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        let used = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) as u64 + 1;
        let limit = libc::rlimit {
            rlim_cur: used + seconds,
            rlim_max: libc::RLIM_INFINITY,
        };
        libc::setrlimit(libc::RLIMIT_CPU, &limit);
    }
}

fn run(job: Job, limits: &Limits, send: &mut dyn FnMut(Reply) -> io::Result<()>) -> io::Result<()> {
    match job {
        Job::Document {
            path,
            content_type,
            scratch,
            ocr,
        } => {
            let read = match std::fs::read(&path) {
                Ok(bytes) => read_document(&bytes, &content_type, &scratch, &ocr, limits),
                Err(e) => Read::Failed(format!("The stored file is unreadable: {e}")),
            };
            send(Reply::Document(read))
        }
        Job::PdfMentions { bytes } => {
            send(Reply::Mentions(pdf::text(&bytes, limits).map(|text| {
                let mut ex = fields::fields(&text, "pdf-text");
                calibration::apply(&mut ex);
                document_mentions(&ex)
            })))
        }
        Job::Page { html, url } => {
            let html = String::from_utf8_lossy(&html);
            let page = page::parse(&html, &url);
            send(Reply::Page(PageReading {
                mentions: page_mentions(&page.lines),
                score: score(&url, &page),
                links: page.links,
            }))
        }
        Job::Robots { body, url } => send(Reply::Robots(robots::read(&body, &url))),
        Job::Preview { path, scratch } => {
            send(Reply::Preview(preview::first_page_png(&path, &scratch)))
        }
        Job::Mail { path, out, limits } => send(Reply::Mail(
            std::fs::read(&path)
                .map_err(|e| format!("The fetched mail is unreadable: {e}"))
                .and_then(|raw| mail::read(&raw, &limits, &out)),
        )),
        Job::Spreadsheet { path, kind } => {
            // The whole file is read and checked before its first row is handed on: a file
            // refused halfway (past the row limit, truncated at its end) changes nothing.
            let mut batches = Vec::new();
            let read = std::fs::read(&path)
                .map_err(|e| format!("The upload is unreadable: {e}"))
                .and_then(|bytes| {
                    spreadsheet::read(kind, &bytes, limits, &mut |batch| {
                        batches.push(batch);
                        Ok(())
                    })
                });
            if read.is_ok() {
                for batch in batches {
                    send(Reply::Rows(batch))?;
                }
            }
            send(Reply::SpreadsheetDone(read))
        }
    }
}

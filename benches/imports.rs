//! `cargo bench --bench imports`: 100,000-row CSV and XLSX uploads to the real server on a
//! loopback port, timed end to end (upload, parse, validate, upsert, durable writes), with
//! the process's peak resident memory after each.

mod common;

use std::time::Instant;

const ROWS: usize = 100_000;
const COUNTRIES: &[&str] = &["DE", "AT", "FR", "IT", "PL", "CZ", "NL"];

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn csv() -> Vec<u8> {
    let mut out = String::from("external_id;name;website;country;certificate_type_code\n");
    for i in 0..ROWS {
        out.push_str(&format!(
            "CSV-{i:06};Supplier {i} GmbH;https://supplier-{i}.example;{};ISO_9001\n",
            COUNTRIES[i % COUNTRIES.len()]
        ));
    }
    out.into_bytes()
}

fn xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["external_id", "name", "website", "country"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for i in 0..ROWS {
        let r = i as u32 + 1;
        sheet.write_string(r, 0, format!("XLSX-{i:06}")).unwrap();
        sheet
            .write_string(r, 1, format!("Supplier {i} AG"))
            .unwrap();
        sheet
            .write_string(r, 2, format!("https://xlsx-{i}.example"))
            .unwrap();
        sheet
            .write_string(r, 3, COUNTRIES[i % COUNTRIES.len()])
            .unwrap();
    }
    book.save_to_buffer().unwrap()
}

#[tokio::main]
async fn main() {
    let b = common::start().await;
    let http = reqwest::Client::new();
    println!("CertWatch import benchmark: {ROWS} rows per file, one upload each");
    for (name, bytes) in [("suppliers.csv", csv()), ("suppliers.xlsx", xlsx())] {
        let size = bytes.len();
        let before = peak_rss_mib();
        let started = Instant::now();
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name),
        );
        let r = http
            .post(format!("{}/api/imports/upload/", b.base))
            .header("Authorization", format!("Token {}", b.key))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: serde_json::Value = r.json().await.unwrap();
        let elapsed = started.elapsed();
        assert_eq!(body["organizations_created"], ROWS);
        println!(
            "{name:<16} {:>5.1} MiB  {:>6.2} s  {:>7.0} rows/s  peak RSS {:.0} MiB (was {:.0} MiB)",
            size as f64 / (1 << 20) as f64,
            elapsed.as_secs_f64(),
            ROWS as f64 / elapsed.as_secs_f64(),
            peak_rss_mib(),
            before
        );
    }
    b.server.shutdown().await.unwrap();
}

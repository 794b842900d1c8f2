//! What a field's confidence means. The reader scores each value from its evidence (found
//! after its label, in its body's number format, agreeing with another place on the page)
//! times how well OCR read its words; that score only orders values. Calibration turns it
//! into the share of values with that score that were right, measured on the tuning half
//! of the labelled corpus (`data/calibration.tsv`, written by
//! `cargo run --release --example accuracy -- --calibrate`), so a confidence of 0.97 means
//! about 97 of 100 such values are right, and the filing threshold can be set as a risk.
//!
//! A step's share is only known where its values were: isotonic regression stretches a
//! step down to the step below it, so on a field whose tuning values were all right one
//! step would call any score, however far under every value seen, as sure as the values at
//! 0.99. A step's share therefore holds from its lowest value up; below
//! that, the confidence falls linearly to the step below (to 0 at score 0 under the first).

use std::sync::LazyLock;

use certwatch_domain::reading::{Extracted, Field};

/// The fields calibrated: those a decision to file rests on.
pub const FIELDS: [&str; 6] = [
    "certificate_type_code",
    "certificate_number",
    "issuing_body",
    "issue_date",
    "expiry_date",
    "company_name",
];

/// One step of a field's calibration: scores from `from` up to `upto` were right with
/// probability `right`, on `n` values (the lowest scoring `from`).
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub from: f32,
    pub upto: f32,
    pub right: f32,
    pub n: usize,
}

/// Each field's steps, by ascending score.
pub type Table = Vec<(String, Vec<Step>)>;

/// The shipped table.
static TABLE: LazyLock<Table> = LazyLock::new(|| parse(include_str!("../data/calibration.tsv")));

/// The table's rows: `field \t from \t upto \t right \t n`, comments after `#`.
fn parse(tsv: &str) -> Table {
    let mut out: Table = Vec::new();
    for line in tsv
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let step = Step {
            from: cols[1].parse().expect("a score"),
            upto: cols[2].parse().expect("a score"),
            right: cols[3].parse().expect("a probability"),
            n: cols[4].parse().expect("a count"),
        };
        match out.iter_mut().find(|(f, _)| f == cols[0]) {
            Some((_, steps)) => steps.push(step),
            None => out.push((cols[0].to_string(), vec![step])),
        }
    }
    out
}

/// The shipped table.
pub fn shipped() -> &'static Table {
    &TABLE
}

/// The probability that a value of `field` read with `score` is right, by the shipped
/// table.
pub fn calibrated(field: &str, score: f32) -> f32 {
    calibrated_by(&TABLE, field, score)
}

/// The probability that a value of `field` read with `score` is right, by `table`. A
/// field the table lacks keeps its score.
pub fn calibrated_by(table: &Table, field: &str, score: f32) -> f32 {
    let Some((_, steps)) = table.iter().find(|(f, _)| f == field) else {
        return score;
    };
    let Some(i) = steps
        .iter()
        .position(|s| score <= s.upto)
        .or(steps.len().checked_sub(1))
    else {
        return score;
    };
    let step = &steps[i];
    if score >= step.from {
        return step.right;
    }
    // Below the step's values: between the step below (or nothing) and this one.
    let (low, low_right) = i
        .checked_sub(1)
        .map_or((0.0, 0.0), |j| (steps[j].upto, steps[j].right));
    let span = step.from - low;
    if span <= 0.0 {
        return step.right;
    }
    low_right + (step.right - low_right) * ((score - low) / span).clamp(0.0, 1.0)
}

fn field_mut<'a>(ex: &'a mut Extracted, field: &str) -> Option<&'a mut f32> {
    fn c<T>(f: &mut Option<Field<T>>) -> Option<&mut f32> {
        f.as_mut().map(|f| &mut f.confidence)
    }
    match field {
        "certificate_type_code" => c(&mut ex.certificate_type_code),
        "certificate_number" => c(&mut ex.certificate_number),
        "issuing_body" => c(&mut ex.issuing_body),
        "issue_date" => c(&mut ex.issue_date),
        "expiry_date" => c(&mut ex.expiry_date),
        "company_name" => c(&mut ex.company_name),
        _ => None,
    }
}

/// The scores of a reading's calibrated fields, by name (the accuracy example fits the
/// table from them).
pub fn scores(ex: &Extracted) -> Vec<(&'static str, f32)> {
    FIELDS
        .iter()
        .filter_map(|f| ex.confidence_of(f).map(|c| (*f, c)))
        .collect()
}

/// A reading's scores turned into probabilities of being right, by the shipped table.
pub fn apply(ex: &mut Extracted) {
    apply_by(&TABLE, ex)
}

/// A reading's scores turned into probabilities of being right, by `table`.
pub fn apply_by(table: &Table, ex: &mut Extracted) {
    for field in FIELDS {
        if let Some(c) = field_mut(ex, field) {
            *c = (calibrated_by(table, field, *c) * 1000.0).round() / 1000.0;
        }
    }
}

/// Fits a field's steps to `(score, right)` samples: isotonic regression (pool adjacent
/// violators), so a higher score never means a lower probability; then each step's share
/// smoothed by Laplace's rule ((right + 1) / (n + 2)), so a step of few values stays far
/// from certain, and steps pooled again where smoothing made a higher one lower. Each
/// step holds from its lowest value (`calibrated_by`).
pub fn fit(samples: &[(f32, bool)]) -> Vec<Step> {
    let mut sorted = samples.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Blocks of (highest score, right, n); equal scores share a block.
    let mut blocks: Vec<(f32, usize, usize)> = Vec::new();
    for &(score, right) in &sorted {
        match blocks.last_mut() {
            Some(last) if last.0 == score => {
                last.1 += usize::from(right);
                last.2 += 1;
            }
            _ => blocks.push((score, usize::from(right), 1)),
        }
    }
    let share = |right: usize, n: usize| right as f32 / n as f32;
    let blocks = pool(blocks, share);
    let mut first = 0;
    pool(blocks, laplace)
        .into_iter()
        .map(|(upto, right, n)| {
            // The step's values are `sorted[first..first + n]`, by ascending score.
            let from = sorted[first].0;
            first += n;
            Step {
                from,
                upto,
                right: laplace(right, n),
                n,
            }
        })
        .collect()
}

/// Pools adjacent blocks, in order of score, until each is right more often (by `p`) than
/// the one before it.
fn pool(
    blocks: Vec<(f32, usize, usize)>,
    p: impl Fn(usize, usize) -> f32,
) -> Vec<(f32, usize, usize)> {
    let mut out: Vec<(f32, usize, usize)> = Vec::new();
    for block in blocks {
        out.push(block);
        while out.len() > 1 {
            let (a, b) = (out[out.len() - 2], out[out.len() - 1]);
            if p(a.1, a.2) < p(b.1, b.2) {
                break;
            }
            out.pop();
            *out.last_mut().expect("two blocks") = (b.0, a.1 + b.1, a.2 + b.2);
        }
    }
    out
}

fn laplace(right: usize, n: usize) -> f32 {
    (right as f32 + 1.0) / (n as f32 + 2.0)
}

/// The table's text for `fields`' steps.
pub fn table(fields: &Table) -> String {
    let mut out = String::new();
    for (field, steps) in fields {
        for s in steps {
            out.push_str(&format!(
                "{field}\t{}\t{}\t{:.3}\t{}\n",
                s.from, s.upto, s.right, s.n
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fit_is_monotone_smoothed_and_pools_what_contradicts_the_order() {
        let mut samples = vec![(0.3, false), (0.3, false), (0.3, true)];
        // A higher score that was right less often than a lower one is pooled with it.
        samples.extend([(0.5, false), (0.5, false), (0.6, true)]);
        samples.extend(std::iter::repeat_n((1.0, true), 98));
        let steps = fit(&samples);
        assert!(steps.windows(2).all(|w| w[0].right < w[1].right));
        // The lone right value at 0.6 says no more than the 98 above it: one step.
        assert_eq!(steps.len(), 2);
        assert_eq!(steps.last().unwrap().n, 99);
        assert!((steps.last().unwrap().right - 100.0 / 101.0).abs() < 1e-6);
        assert_eq!(steps.iter().map(|s| s.n).sum::<usize>(), samples.len());
        // Never certain, however many were right; one value says little.
        assert!(fit(&[(0.9, true)])[0].right < 0.7);
    }

    #[test]
    fn a_score_is_read_through_its_step_and_a_table_reads_back() {
        let steps = vec![
            Step {
                from: 0.2,
                upto: 0.5,
                right: 0.2,
                n: 10,
            },
            Step {
                from: 0.8,
                upto: 0.9,
                right: 0.8,
                n: 10,
            },
        ];
        let text = table(&vec![("certificate_number".to_string(), steps.clone())]);
        let parsed = parse(&text);
        assert_eq!(parsed, [("certificate_number".to_string(), steps)]);
        // Every calibrated field has steps in the shipped table.
        for field in FIELDS {
            assert!(TABLE.iter().any(|(f, _)| f == field), "{field}");
        }
        assert_eq!(calibrated("scope", 0.42), 0.42);
    }

    #[test]
    fn a_step_holds_only_from_its_lowest_value() {
        // 100 values, all right, scoring 0.9 to 0.999: one step, sure from 0.9 up.
        let samples: Vec<(f32, bool)> = (0..100).map(|i| (0.9 + i as f32 / 1000.0, true)).collect();
        let steps = fit(&samples);
        assert_eq!(steps.len(), 1);
        assert!((steps[0].from - 0.9).abs() < 1e-6);
        let table: Table = vec![("issuing_body".into(), steps)];
        let sure = calibrated_by(&table, "issuing_body", 0.95);
        assert!(sure > 0.98);
        // A score far under every value seen is not called as sure as they were.
        let low = calibrated_by(&table, "issuing_body", 0.3);
        assert!(low < 0.35, "{low}");
        // Nor anything between: it rises with the score, up to the step's share.
        let mid = calibrated_by(&table, "issuing_body", 0.7);
        assert!(low < mid && mid < sure, "{low} {mid} {sure}");
        // Under a step below, the fall ends at that step's share.
        let mut two = vec![(0.1, false), (0.1, false), (0.1, true)];
        two.extend(samples);
        let table: Table = vec![("issuing_body".into(), fit(&two))];
        let at_low_step = calibrated_by(&table, "issuing_body", 0.1);
        assert!((at_low_step - 0.4).abs() < 1e-6);
        let just_above = calibrated_by(&table, "issuing_body", 0.11);
        assert!(at_low_step < just_above && just_above < 0.5);
    }
}

//! A scan read twice: when a value the filing decision rests on is doubted, the scan's
//! certificate page is read again at another size — its own when it has more pixels than
//! the first reading used, else twice the size read (`document::second_side`) — and the two
//! readings are joined field by field. OCR misreads at one size are rarely the same at
//! another (on the corpus' tuning scans, the full size read right every doubted number of
//! five, two of which the reading size had misread), so two readings agreeing are surer
//! than either, and two disagreeing are a reason for a person to look.
//!
//! Each reading is calibrated before they are joined (`confidences`): calibration says how
//! often one reading's value is right, and only probabilities can be joined. Calibrating
//! the joined score instead called two readings that disagreed (joined 0.3) as sure as one
//! reading at 0.99 wherever every tuning value had been right.

use certwatch_domain::names::{CompanyName, fold};
use certwatch_domain::reading::{Extracted, Field, THRESHOLDS};
use certwatch_domain::rules::number_identity;

use crate::calibration::{self, Table};

/// A document's readings before calibration: the first, then those of its certificate
/// page at other sizes — a second when the first was doubted, a third when the two
/// disagree on a value filing rests on.
pub type Readings = (Extracted, Vec<Extracted>);

/// The reading of a document with confidences: each reading's scores calibrated by
/// `table`, then joined in turn. A third reading that agrees with one of two that
/// disagreed makes that value sure again (joined with the pair's ≈ ½, it is `1 − ½(1 − c)`),
/// so the joins in turn decide as a majority would.
pub fn confidences(table: &Table, (mut first, again): Readings) -> Extracted {
    calibration::apply_by(table, &mut first);
    again.into_iter().fold(first, |joined, mut next| {
        calibration::apply_by(table, &mut next);
        agreed(joined, next)
    })
}

/// Whether two readings read a value filing rests on differently.
pub(crate) fn disagree(a: &Extracted, b: &Extracted) -> bool {
    fn apart<T>(a: &Option<Field<T>>, b: &Option<Field<T>>, same: impl Fn(&T, &T) -> bool) -> bool {
        matches!((a, b), (Some(a), Some(b)) if !same(&a.value, &b.value))
    }
    apart(
        &a.certificate_type_code,
        &b.certificate_type_code,
        |x, y| x == y,
    ) || apart(&a.certificate_number, &b.certificate_number, |a, b| {
        same_number(a, b)
    }) || apart(&a.issuing_body, &b.issuing_body, |a, b| same_body(a, b))
        || apart(&a.issue_date, &b.issue_date, |x, y| x == y)
        || apart(&a.expiry_date, &b.expiry_date, |x, y| x == y)
        || apart(&a.company_name, &b.company_name, |a, b| same_company(a, b))
}

/// The reader's score below which a value is read again. It is the reader's own score,
/// not the calibrated confidence, so which scans are read twice does not depend on the
/// calibration fitted from the readings it produces. On the tuning half, every scan with a
/// value read wrong the first time had a value scoring below it.
const SURE: f32 = 0.9;

/// Whether a reading's evidence is weak: a value filing rests on missing, or any value it
/// looks at scored below `SURE`.
pub(crate) fn doubted(ex: &Extracted) -> bool {
    let missing = ex.certificate_type_code.is_none()
        || ex.certificate_number.is_none()
        || ex.expiry_date.is_none();
    missing
        || THRESHOLDS
            .iter()
            .any(|(field, _)| ex.confidence_of(field).is_some_and(|score| score < SURE))
}

/// The most two agreeing readings are called: never certain, as the two readings of one
/// scan share its print and its defects.
const AGREED_AT_MOST: f32 = 0.999;

/// One field of two readings, whose values are equal.
fn joined<T: PartialEq>(first: Option<Field<T>>, second: Option<Field<T>>) -> Option<Field<T>> {
    joined_by(first, second, |a, b| a == b)
}

/// Two readings read one number when it is one identity (`Q-2024 0815`, `Q20240815`).
fn same_number(a: &str, b: &str) -> bool {
    number_identity(a) == number_identity(b)
}

/// Two readings read one body when its name folds alike (case, accents, punctuation).
fn same_body(a: &str, b: &str) -> bool {
    fold(a) == fold(b)
}

/// Two readings name one company when they name it with the same words: one may carry the
/// legal form the other left out, or spell it long ("Gesellschaft mit beschränkter
/// Haftung", "GmbH"), or read an accent the other missed — as matching compares names.
fn same_company(a: &str, b: &str) -> bool {
    CompanyName::parse(a).words == CompanyName::parse(b).words
}

/// One field of two readings. Values that agree (`same`): the surer one, as sure as either
/// reading being right, `1 − (1 − a)(1 − b)` (at most `AGREED_AT_MOST`). Different values:
/// the surer one, as likely right as it is given that the two differ: of the ways two
/// readings can differ — this one right, the other right, both wrong — the share where this
/// one is right, `a (1 − b) / (1 − a b)` (two readings as sure as each other: about a half).
/// Read once: as it was read.
fn joined_by<T>(
    first: Option<Field<T>>,
    second: Option<Field<T>>,
    same: impl Fn(&T, &T) -> bool,
) -> Option<Field<T>> {
    let round = |c: f32| (c * 1000.0).round() / 1000.0;
    match (first, second) {
        (Some(a), Some(b)) if same(&a.value, &b.value) => Some(Field {
            confidence: round(1.0 - (1.0 - a.confidence) * (1.0 - b.confidence))
                .min(AGREED_AT_MOST),
            value: if b.confidence > a.confidence {
                b.value
            } else {
                a.value
            },
        }),
        (Some(a), Some(b)) => {
            let (surer, other) = if b.confidence > a.confidence {
                (b, a)
            } else {
                (a, b)
            };
            Some(Field {
                confidence: round(
                    surer.confidence * (1.0 - other.confidence)
                        / (1.0 - surer.confidence * other.confidence).max(f32::EPSILON),
                ),
                value: surer.value,
            })
        }
        (a, b) => a.or(b),
    }
}

/// Two readings of one document as one: the fields filing rests on joined, the others as
/// the first reading has them (the second's where the first has none). The standards a
/// combined certificate names follow the reading its type was taken from.
pub(crate) fn agreed(first: Extracted, second: Extracted) -> Extracted {
    let type_from_second = match (&first.certificate_type_code, &second.certificate_type_code) {
        (Some(a), Some(b)) => a.value != b.value && b.confidence > a.confidence,
        (None, Some(_)) => true,
        _ => false,
    };
    let other_standards = if type_from_second {
        second.other_standards
    } else {
        first.other_standards
    };
    Extracted {
        certificate_type_code: joined(first.certificate_type_code, second.certificate_type_code),
        other_standards,
        certificate_number: joined_by(
            first.certificate_number,
            second.certificate_number,
            |a, b| same_number(a, b),
        ),
        issuing_body: joined_by(first.issuing_body, second.issuing_body, |a, b| {
            same_body(a, b)
        }),
        scope: first.scope.or(second.scope),
        issue_date: joined(first.issue_date, second.issue_date),
        expiry_date: joined(first.expiry_date, second.expiry_date),
        company_name: joined_by(first.company_name, second.company_name, |a, b| {
            same_company(a, b)
        }),
        address: first.address.or(second.address),
        vat: first.vat.or(second.vat),
        lei: first.lei.or(second.lei),
        domains: if first.domains.is_empty() {
            second.domains
        } else {
            first.domains
        },
        method: first.method,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field<T>(value: T, confidence: f32) -> Option<Field<T>> {
        Some(Field { value, confidence })
    }

    fn reading(number: &str, confidence: f32) -> Extracted {
        Extracted {
            certificate_type_code: field("ISO 9001".into(), 0.99),
            certificate_number: field(number.into(), confidence),
            expiry_date: field(chrono::NaiveDate::from_ymd_opt(2027, 5, 1).unwrap(), 0.99),
            method: "ocr".into(),
            ..Extracted::default()
        }
    }

    #[test]
    fn agreeing_readings_are_surer_than_either_and_disagreeing_ones_less_sure() {
        let both = agreed(reading("C2703320-150", 0.46), reading("C2703320-150", 0.5));
        let number = both.certificate_number.unwrap();
        assert_eq!(number.value, "C2703320-150");
        assert_eq!(number.confidence, 0.73);
        // The type both readings agree on stays sure.
        assert!(both.certificate_type_code.unwrap().confidence > 0.99);

        let apart = agreed(reading("C2703320-IS0", 0.46), reading("C2703320-150", 0.6));
        let number = apart.certificate_number.unwrap();
        assert_eq!(number.value, "C2703320-150");
        assert_eq!(number.confidence, 0.448);
        // A value only one reading found is kept as it was read.
        let mut second = reading("Q-1", 0.9);
        second.certificate_number = None;
        let once = agreed(reading("Q-1", 0.9), second);
        assert_eq!(once.certificate_number.unwrap().confidence, 0.9);
        // One company, named with and without its legal form, and an accent missed.
        let mut first = reading("Q-1", 0.9);
        first.company_name = field("Suomen Teräs".into(), 0.6);
        let mut second = reading("Q-1", 0.9);
        second.company_name = field("Suomen Teras Oy".into(), 0.7);
        let name = agreed(first, second).company_name.unwrap();
        assert_eq!(
            (name.value.as_str(), name.confidence),
            ("Suomen Teras Oy", 0.88)
        );
        // One number, spaced otherwise.
        let spaced = agreed(reading("Q-2024 0815", 0.5), reading("Q-2024-0815", 0.6));
        assert_eq!(spaced.certificate_number.unwrap().confidence, 0.8);
        // Two sure readings agreeing are not certain.
        let sure = agreed(reading("Q-1", 0.99), reading("Q-1", 0.99));
        assert_eq!(sure.certificate_number.unwrap().confidence, AGREED_AT_MOST);
    }

    #[test]
    fn readings_are_calibrated_before_they_are_joined() {
        use crate::calibration::Step;
        // Every value seen was right: one step, 0.99 from a score of 0.2 up.
        let table: Table = vec![(
            "certificate_number".into(),
            vec![Step {
                from: 0.2,
                upto: 1.0,
                right: 0.99,
                n: 100,
            }],
        )];
        let number = |ex: &Extracted| ex.certificate_number.clone().unwrap();
        // Two readings that disagree are a reason to look, however sure each alone.
        let apart = confidences(
            &table,
            (
                reading("C2703320-IS0", 0.5),
                vec![reading("C2703320-150", 0.6)],
            ),
        );
        assert!(number(&apart).confidence <= 0.5, "{:?}", number(&apart));
        // Agreeing, they are surer than one.
        let both = confidences(&table, (reading("Q-1", 0.5), vec![reading("Q-1", 0.6)]));
        assert!(number(&both).confidence > 0.99);
        // Read once, the calibration alone.
        let once = confidences(&table, (reading("Q-1", 0.5), vec![]));
        assert_eq!(number(&once).confidence, 0.99);
        // A third reading decides between two that disagree, as a majority.
        for (first, second) in [
            ("C2703320-IS0", "C2703320-150"),
            ("C2703320-150", "C2703320-IS0"),
        ] {
            let three = confidences(
                &table,
                (
                    reading(first, 0.5),
                    vec![reading(second, 0.6), reading("C2703320-150", 0.5)],
                ),
            );
            assert_eq!(number(&three).value, "C2703320-150");
            assert!(number(&three).confidence >= 0.98, "{:?}", number(&three));
        }
        assert!(disagree(
            &reading("C2703320-IS0", 0.5),
            &reading("C2703320-150", 0.5)
        ));
        assert!(!disagree(
            &reading("Q-2024 0815", 0.5),
            &reading("q-2024-0815", 0.9)
        ));
    }

    #[test]
    fn a_reading_is_doubted_when_a_value_it_rests_on_is_missing_or_unsure() {
        assert!(!doubted(&reading("Q-1", 0.99)));
        assert!(doubted(&reading("Q-1", 0.2)));
        let mut no_expiry = reading("Q-1", 0.99);
        no_expiry.expiry_date = None;
        assert!(doubted(&no_expiry));
    }

    #[test]
    fn a_combined_certificates_standards_follow_the_reading_its_type_came_from() {
        let mut first = reading("Q-1", 0.99);
        first.certificate_type_code = field("ISO 9000".into(), 0.3);
        let mut second = reading("Q-1", 0.99);
        second.certificate_type_code = field("IATF 16949".into(), 0.9);
        second.other_standards = vec!["ISO 9001".into()];
        let joined = agreed(first, second);
        assert_eq!(joined.certificate_type_code.unwrap().value, "IATF 16949");
        assert_eq!(joined.other_standards, ["ISO 9001"]);
    }
}

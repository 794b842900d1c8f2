//! A scan read twice: when a value the filing decision rests on is doubted, the scan's
//! certificate page is read again at another size — its own when it has more pixels than
//! the first reading used, else twice the size read (`document::second_side`) — and the two
//! readings are joined field by field. OCR misreads at one size are rarely the same at
//! another (on the corpus' tuning scans, the full size read right every doubted number of
//! five, two of which the reading size had misread), so two readings agreeing are surer
//! than either, and two disagreeing are a reason for a person to look. The joined scores
//! are calibrated like any other (`calibration`).

use certwatch_domain::reading::{Extracted, Field, THRESHOLDS};

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

/// One field of two readings. Equal values: as sure as either reading being right, `1 −
/// (1 − a)(1 − b)`. Different values: the surer one, as sure as it is and the other is
/// wrong, `a (1 − b)`. Read once: as it was read.
fn joined<T: PartialEq>(first: Option<Field<T>>, second: Option<Field<T>>) -> Option<Field<T>> {
    let round = |c: f32| (c * 1000.0).round() / 1000.0;
    match (first, second) {
        (Some(a), Some(b)) if a.value == b.value => Some(Field {
            confidence: round(1.0 - (1.0 - a.confidence) * (1.0 - b.confidence)),
            value: a.value,
        }),
        (Some(a), Some(b)) => {
            let (surer, other) = if b.confidence > a.confidence {
                (b, a)
            } else {
                (a, b)
            };
            Some(Field {
                confidence: round(surer.confidence * (1.0 - other.confidence)),
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
        certificate_number: joined(first.certificate_number, second.certificate_number),
        issuing_body: joined(first.issuing_body, second.issuing_body),
        scope: first.scope.or(second.scope),
        issue_date: joined(first.issue_date, second.issue_date),
        expiry_date: joined(first.expiry_date, second.expiry_date),
        company_name: joined(first.company_name, second.company_name),
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
        assert_eq!(number.confidence, 0.324);
        // A value only one reading found is kept as it was read.
        let mut second = reading("Q-1", 0.9);
        second.certificate_number = None;
        let once = agreed(reading("Q-1", 0.9), second);
        assert_eq!(once.certificate_number.unwrap().confidence, 0.9);
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

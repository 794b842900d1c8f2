//! Field rules of the supplier registry, as plain functions.

use chrono::NaiveDate;

/// A field refused, with the message a person reads.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: &str) -> FieldError {
        FieldError {
            field,
            message: message.to_string(),
        }
    }
}

/// ISO 3166-1 alpha-2 codes (officially assigned).
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL \
BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM \
DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY \
HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC \
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE \
NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD \
SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA \
UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// The upper-cased code when `raw` is an ISO 3166-1 alpha-2 country code.
pub fn country(raw: &str) -> Option<String> {
    let code = raw.trim().to_ascii_uppercase();
    (code.len() == 2 && COUNTRIES.split_whitespace().any(|c| c == code)).then_some(code)
}

/// The upper-cased LEI when `raw` is 20 alphanumerics passing the ISO 17442 check
/// (ISO 7064 MOD 97-10: letters as 10..35, the whole number mod 97 is 1).
pub fn lei(raw: &str) -> Option<String> {
    let lei = raw.trim().to_ascii_uppercase();
    if lei.len() != 20 || !lei.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut rem: u32 = 0;
    for c in lei.chars() {
        let v = c.to_digit(36)?;
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    (rem == 1).then_some(lei)
}

/// Characters a URL (website, monitored page, document, webhook receiver) may have.
pub const MAX_URL_CHARS: usize = 2000;

/// What a value that is not such a URL is told.
pub const URL_MESSAGE: &str = "Enter a valid http(s) URL of at most 2000 characters.";

/// `raw` when it is an absolute http(s) URL with a host.
pub fn http_url(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.chars().count() > MAX_URL_CHARS {
        return None;
    }
    let url = url::Url::parse(raw).ok()?;
    let ok =
        matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty());
    ok.then(|| raw.to_string())
}

/// An ISO 8601 calendar date (`2027-01-14`).
pub fn date(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok()
}

/// A certificate number as its identity: case, white space and dashes folded, so
/// `Q-2024 0815` and `q20240815` are the same certificate body's number.
pub fn number_identity(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}'))
        .flat_map(char::to_uppercase)
        .collect()
}

/// Years a certificate's dates or a token's expiry may fall in: nothing was certified
/// before 1950, and a date past 2200 is a typo (or year 0000 a placeholder), not a plan.
pub const SANE_YEARS: std::ops::RangeInclusive<i32> = 1950..=2200;

/// A real calendar date within [`SANE_YEARS`], as certificates carry them.
pub fn certificate_date(raw: &str) -> Option<NaiveDate> {
    date(raw).filter(|d| SANE_YEARS.contains(&chrono::Datelike::year(d)))
}

/// A certificate type code: upper-case letters, digits and `_`, 2 to 50 characters.
pub fn type_code(raw: &str) -> Option<String> {
    let code = raw.trim().to_ascii_uppercase();
    let ok = (2..=50).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    ok.then_some(code)
}

/// The host of a website URL without `www.`, lower-case, for matching by domain.
pub fn website_host(url: &str) -> Option<String> {
    let host = url::Url::parse(url).ok()?.host_str()?.to_ascii_lowercase();
    Some(host.strip_prefix("www.").unwrap_or(&host).to_string())
}

/// A duration as `[DD ]HH:MM:SS` (how the API writes check frequencies) or plain seconds,
/// in seconds.
pub fn duration(raw: &str) -> Option<u64> {
    let raw = raw.trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(secs);
    }
    let (days, clock) = match raw.split_once(' ') {
        Some((d, rest)) => (d.trim().parse::<u64>().ok()?, rest.trim()),
        None => (0, raw),
    };
    let parts: Vec<u64> = clock
        .split(':')
        .map(|p| p.parse::<u64>().ok())
        .collect::<Option<_>>()?;
    let [h, m, s] = parts.as_slice() else {
        return None;
    };
    (*m < 60 && *s < 60).then(|| days * 86_400 + h * 3600 + m * 60 + s)
}

/// Seconds as `[DD ]HH:MM:SS`: `12:00:00`, `1 00:00:00`.
pub fn format_duration(secs: u64) -> String {
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let clock = format!(
        "{:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    );
    if days > 0 {
        format!("{days} {clock}")
    } else {
        clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_compared_without_case_spaces_or_dashes() {
        assert_eq!(number_identity("Q-2024 0815"), "Q20240815");
        assert_eq!(number_identity("q 2024\u{2013}0815"), "Q20240815");
        assert_eq!(number_identity("12 100 45678 TMS"), "1210045678TMS");
        assert_ne!(
            number_identity("Q-2024-0815"),
            number_identity("Q-2024-0816")
        );
        assert_eq!(
            number_identity("Q/1.2"),
            "Q/1.2",
            "other punctuation counts"
        );
    }

    #[test]
    fn certificate_dates_are_real_and_sane() {
        assert!(certificate_date("2027-01-14").is_some());
        assert!(certificate_date("1950-01-01").is_some());
        assert!(certificate_date("2200-12-31").is_some());
        for bad in [
            "0000-01-01",
            "1949-12-31",
            "2201-01-01",
            "2027-02-30",
            "14.01.2027",
            "",
        ] {
            assert_eq!(certificate_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations_round_trip() {
        assert_eq!(duration("12:00:00"), Some(43_200));
        assert_eq!(duration("04:30:15"), Some(16_215));
        assert_eq!(duration("1 00:00:00"), Some(86_400));
        assert_eq!(duration("3600"), Some(3600));
        for bad in ["", "12:00", "1:60:00", "a:b:c", "-1", "1 x"] {
            assert_eq!(duration(bad), None, "{bad}");
        }
        for secs in [60, 14_400, 43_200, 86_400, 90_061] {
            assert_eq!(duration(&format_duration(secs)), Some(secs));
        }
        assert_eq!(format_duration(86_400), "1 00:00:00");
        assert_eq!(format_duration(14_400), "04:00:00");
    }

    #[test]
    fn countries() {
        assert_eq!(country("de").as_deref(), Some("DE"));
        assert_eq!(country(" US ").as_deref(), Some("US"));
        for bad in ["", "D", "DEU", "XX", "UK", "12"] {
            assert_eq!(country(bad), None, "{bad}");
        }
    }

    #[test]
    fn lei_check_digits() {
        // Real LEIs.
        for ok in [
            "5493001KJTIIGC8Y1R12",
            "529900T8BM49AURSDO55",
            "7LTWFZYICNSX8D621K86",
        ] {
            assert_eq!(lei(ok).as_deref(), Some(ok), "{ok}");
        }
        assert_eq!(
            lei("5493001kjtiigc8y1r12").as_deref(),
            Some("5493001KJTIIGC8Y1R12")
        );
        for bad in [
            "5493001KJTIIGC8Y1R13",
            "5493001KJTIIGC8Y1R1",
            "5493001KJTIIGC8Y1R1!",
            "",
        ] {
            assert_eq!(lei(bad), None, "{bad}");
        }
    }

    #[test]
    fn urls_dates_codes() {
        assert!(http_url("https://acme.com/certs?x=1").is_some());
        assert!(http_url("http://acme.com").is_some());
        for bad in [
            "ftp://acme.com",
            "acme.com",
            "https://",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(http_url(bad), None, "{bad}");
        }
        assert_eq!(date("2027-01-14"), NaiveDate::from_ymd_opt(2027, 1, 14));
        for bad in ["14.01.2027", "2027-02-30", "2027-1-14x", ""] {
            assert_eq!(date(bad), None, "{bad}");
        }
        assert_eq!(type_code("iso_9001").as_deref(), Some("ISO_9001"));
        for bad in ["I", "ISO 9001", "ISO-9001", &"A".repeat(51)] {
            assert_eq!(type_code(bad), None, "{bad}");
        }
        assert_eq!(
            website_host("https://www.Acme.com/x").as_deref(),
            Some("acme.com")
        );
    }
}

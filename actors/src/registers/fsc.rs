//! FSC's Certification Status API: `GET {base}/{licence code}` with the subscription key
//! in `Ocp-Apim-Subscription-Key`, answered with a JSON array of the licence's records
//! (`LicenseCode`, `CertificateStatus`, `LicenseStatus`, `ExpiryDate`, `CompanyName`, …).
//! FSC charges no credits; its licence codes are `FSC-C` and six digits.

use certwatch_domain::verification::{RegisterEntry, RegisterStatus, fsc_status, same_number};
use chrono::NaiveDate;
use serde::Deserialize;

use super::{Answer, RegisterError, StatusProvider, Subject, client, read, url};

pub struct Fsc {
    base: reqwest::Url,
    http: reqwest::Client,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Record {
    #[serde(default)]
    license_code: String,
    #[serde(default)]
    certificate_status: String,
    #[serde(default)]
    license_status: String,
    #[serde(default)]
    expiry_date: Option<String>,
}

/// Whether `number` is an FSC licence code ("FSC-C127951"), the only key FSC looks up.
pub fn is_licence_code(number: &str) -> bool {
    let n = number.trim().to_ascii_uppercase();
    n.strip_prefix("FSC-C")
        .is_some_and(|digits| digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()))
}

impl Fsc {
    pub fn new(base: &str) -> Result<Fsc, String> {
        let base = reqwest::Url::parse(base).map_err(|e| format!("the FSC API URL: {e}"))?;
        Ok(Fsc {
            base,
            http: client(),
        })
    }
}

impl StatusProvider for Fsc {
    fn name(&self) -> &'static str {
        "fsc"
    }

    fn covers(&self, _type_code: &str, number: &str) -> bool {
        is_licence_code(number)
    }

    async fn check(&self, key: &str, subject: &Subject) -> Result<Answer, RegisterError> {
        let code = subject.certificate_number.trim().to_ascii_uppercase();
        if !is_licence_code(&code) {
            return Err(RegisterError::Failed(format!(
                "{code} is not an FSC licence code (FSC-C and six digits)"
            )));
        }
        let sent = self
            .http
            .get(url(&self.base, &[&code])?)
            .header("Ocp-Apim-Subscription-Key", key)
            .header("Cache-Control", "no-cache")
            .send()
            .await;
        let (status, text) = read(sent).await?;
        let not_found = || Answer {
            status: RegisterStatus::NotFound,
            entry: None,
            entity_id: None,
            credits: 0,
            evidence: text.clone(),
        };
        match status {
            200..=299 => {}
            404 => return Ok(not_found()),
            401 | 403 => return Err(RegisterError::Unauthorized),
            other => return Err(RegisterError::Failed(format!("FSC answered {other}"))),
        }
        let records: Vec<Record> = serde_json::from_str(&text)
            .map_err(|e| RegisterError::Failed(format!("FSC answered in another shape: {e}")))?;
        let Some(record) = records
            .into_iter()
            .find(|r| same_number(&r.license_code, &code))
        else {
            return Ok(not_found());
        };
        let entry = RegisterEntry {
            number: record.license_code,
            body: None,
            expiry: record
                .expiry_date
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d.get(..10)?, "%Y-%m-%d").ok()),
            raw_status: format!(
                "CertificateStatus {}, LicenseStatus {}",
                record.certificate_status, record.license_status
            ),
            status: fsc_status(&record.certificate_status, &record.license_status),
        };
        Ok(Answer {
            status: entry.status,
            entry: Some(entry),
            entity_id: None,
            credits: 0,
            evidence: text,
        })
    }
}

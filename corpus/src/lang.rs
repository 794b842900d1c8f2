//! What certificates say, in the languages of Europe's manufacturing base and Turkish: titles,
//! labels, phrases and how dates are written.

use chrono::{Datelike, NaiveDate};

mod words;
pub use words::Words;
use words::{CS, DE, EN, ES, FR, IT, NL, PL, PT, SV, TR};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    En,
    De,
    Fr,
    Es,
    It,
    Nl,
    Pl,
    Pt,
    Cs,
    Sv,
    Tr,
}

pub const LANGUAGES: [Language; 11] = [
    Language::En,
    Language::De,
    Language::Fr,
    Language::Es,
    Language::It,
    Language::Nl,
    Language::Pl,
    Language::Pt,
    Language::Cs,
    Language::Sv,
    Language::Tr,
];

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::De => "de",
            Language::Fr => "fr",
            Language::Es => "es",
            Language::It => "it",
            Language::Nl => "nl",
            Language::Pl => "pl",
            Language::Pt => "pt",
            Language::Cs => "cs",
            Language::Sv => "sv",
            Language::Tr => "tr",
        }
    }

    pub fn words(self) -> &'static Words {
        match self {
            Language::En => &EN,
            Language::De => &DE,
            Language::Fr => &FR,
            Language::Es => &ES,
            Language::It => &IT,
            Language::Nl => &NL,
            Language::Pl => &PL,
            Language::Pt => &PT,
            Language::Cs => &CS,
            Language::Sv => &SV,
            Language::Tr => &TR,
        }
    }

    /// A date as documents in this language write it; `long` spells the month.
    pub fn date(self, d: NaiveDate, long: bool) -> String {
        let (day, month, year) = (d.day(), d.month(), d.year());
        if long {
            let name = self.words().months[month as usize - 1];
            return match self {
                Language::En => format!("{day} {name} {year}"),
                Language::De | Language::Cs => format!("{day}. {name} {year}"),
                Language::Es | Language::Pt => format!("{day} de {name} de {year}"),
                _ => format!("{day} {name} {year}"),
            };
        }
        match self {
            Language::En => format!("{day:02}/{month:02}/{year}"),
            Language::De | Language::Pl | Language::Tr => format!("{day:02}.{month:02}.{year}"),
            Language::Cs => format!("{day}. {month}. {year}"),
            Language::Nl => format!("{day:02}-{month:02}-{year}"),
            Language::Sv => format!("{year}-{month:02}-{day:02}"),
            _ => format!("{day:02}/{month:02}/{year}"),
        }
    }
}

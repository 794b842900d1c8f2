//! What OCR predictably gets wrong in a company's name, put back: punctuation that no name
//! holds where a dot or a space stood ("Yamada Seiki K:K.", "Levante’S.A.", "a.s.."),
//! and a legal form's letters read as digits ("Sp. Z 0.0."). Letters are never guessed: a
//! name word with a misread letter ("Meta!") stays as read, for a person to check, as
//! "Metal" and "Metall" may both be suppliers.

use certwatch_domain::names::{ends_in_legal_form, is_legal_form};

/// How many words at a name's end may be its legal form read with digits for letters.
const FORM_WORDS: usize = 3;

/// `name` as OCR read it, with its predictable misreads put back.
pub(crate) fn repaired_name(name: &str) -> String {
    let mut words: Vec<String> = name.split_whitespace().map(repaired_word).collect();
    // A legal form's "o.o." read as "0.0.": the last words with their digits read as the
    // letters they look like, when that, and only that, makes the name end in a form.
    if !ends_in_legal_form(&words.join(" ")) {
        let from = words.len().saturating_sub(FORM_WORDS);
        let lettered: Vec<String> = words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i >= from {
                    digits_as_letters(w)
                } else {
                    w.clone()
                }
            })
            .collect();
        if ends_in_legal_form(&lettered.join(" ")) {
            words = lettered;
        }
    }
    words.join(" ")
}

/// A word of a legal form with the digits OCR reads for letters ("0" for "o", "1" for
/// "l") read back; other words as they are.
fn digits_as_letters(word: &str) -> String {
    if !word
        .chars()
        .all(|c| c.is_alphabetic() || matches!(c, '0' | '1' | '.'))
    {
        return word.to_string();
    }
    word.chars()
        .map(|c| match c {
            '0' => 'o',
            '1' => 'l',
            other => other,
        })
        .collect()
}

/// A word with the punctuation no name holds read back as what stood there.
fn repaired_word(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::with_capacity(word.len());
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).and_then(|j| chars.get(j));
        let after = chars.get(i + 1);
        let between_letters =
            before.is_some_and(|b| b.is_alphabetic()) && after.is_some_and(|a| a.is_alphabetic());
        match c {
            // "K:K." — a colon between letters was an abbreviation's dot.
            ':' | ';' if between_letters => out.push('.'),
            // "Levante’S.A." — an apostrophe before a legal form was the space before it.
            '’' | '‘' | '\'' | '`'
                if before.is_some() && legal_form_of_letters(&word[byte(word, i + 1)..]) =>
            {
                out.push(' ')
            }
            // "a.s.." — a speck read as a second dot.
            '.' if before == Some(&'.') => {}
            _ => out.push(c),
        }
    }
    out
}

/// Whether `text` is a legal form of two letters or more ("S.A.", not "s" as in "Levi's").
fn legal_form_of_letters(text: &str) -> bool {
    text.chars().filter(|c| c.is_alphabetic()).count() >= 2 && is_legal_form(text)
}

/// The byte offset of char `i` of `s`.
fn byte(s: &str, i: usize) -> usize {
    s.char_indices().nth(i).map_or(s.len(), |(at, _)| at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punctuation_no_name_holds_is_put_back() {
        assert_eq!(repaired_name("Yamada Seiki K:K."), "Yamada Seiki K.K.");
        assert_eq!(
            repaired_name("Componentes Levante’S.A."),
            "Componentes Levante S.A."
        );
        assert_eq!(repaired_name("Kovarna Dvorak a.s.."), "Kovarna Dvorak a.s.");
        assert_eq!(
            repaired_name("Zaklady Metalowe Kowalski Sp. Z 0.0."),
            "Zaklady Metalowe Kowalski Sp. Z o.o."
        );
    }

    #[test]
    fn names_read_right_and_letters_misread_stay_as_read() {
        for name in [
            "Muster Meta!",
            "O'Neil Engineering Ltd",
            "3M Deutschland GmbH",
            "Studio 54 S.r.l.",
            "Levi's Strauss & Co.",
            "Ratio: 1.0.",
            "Société Lyonnaise de Mécanique S.A.",
        ] {
            assert_eq!(repaired_name(name), name);
        }
    }
}

//! What makes a password acceptable. Messages follow the API's field-error style.

pub const MIN_PASSWORD_LEN: usize = 8;
/// argon2 accepts long inputs, but a cap keeps a request from buying minutes of CPU.
pub const MAX_PASSWORD_LEN: usize = 256;

/// The most common passwords of public breach lists, lower-case; anything on it is refused.
const COMMON_PASSWORDS: &[&str] = &[
    "123456",
    "password",
    "12345678",
    "qwerty",
    "123456789",
    "12345",
    "1234",
    "111111",
    "1234567",
    "dragon",
    "123123",
    "baseball",
    "abc123",
    "football",
    "monkey",
    "letmein",
    "696969",
    "shadow",
    "master",
    "666666",
    "qwertyuiop",
    "123321",
    "mustang",
    "1234567890",
    "michael",
    "654321",
    "superman",
    "1qaz2wsx",
    "7777777",
    "121212",
    "000000",
    "qazwsx",
    "123qwe",
    "killer",
    "trustno1",
    "jordan",
    "jennifer",
    "zxcvbnm",
    "asdfgh",
    "hunter",
    "buster",
    "soccer",
    "harley",
    "batman",
    "andrew",
    "tigger",
    "sunshine",
    "iloveyou",
    "2000",
    "charlie",
    "robert",
    "thomas",
    "hockey",
    "ranger",
    "daniel",
    "starwars",
    "klaster",
    "112233",
    "george",
    "computer",
    "michelle",
    "jessica",
    "pepper",
    "1111",
    "zxcvbn",
    "555555",
    "11111111",
    "131313",
    "freedom",
    "777777",
    "pass",
    "maggie",
    "159753",
    "aaaaaa",
    "ginger",
    "princess",
    "joshua",
    "cheese",
    "amanda",
    "summer",
    "love",
    "ashley",
    "nicole",
    "chelsea",
    "biteme",
    "matthew",
    "access",
    "yankees",
    "987654321",
    "dallas",
    "austin",
    "thunder",
    "taylor",
    "matrix",
    "password1",
    "password123",
    "passw0rd",
    "p@ssw0rd",
    "welcome",
    "welcome1",
    "admin",
    "admin123",
    "administrator",
    "qwerty123",
    "qwertz",
    "qwertz123",
    "changeme",
    "secret",
    "letmein1",
    "iloveyou1",
    "abcdefgh",
    "abcd1234",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "q1w2e3r4",
    "zaq12wsx",
    "passwort",
    "passwort1",
    "hallo123",
    "test1234",
    "testtest",
    "11223344",
    "87654321",
    "00000000",
    "12341234",
    "88888888",
    "99999999",
    "asdfghjkl",
    "asdf1234",
    "football1",
    "baseball1",
    "superman1",
    "trustno1!",
    "sunshine1",
    "princess1",
    "monkey123",
    "dragon123",
    "master123",
    "shadow123",
    "certwatch",
    "certwatch1",
    "company123",
];

/// Every reason `password` is refused; empty when it is acceptable.
pub fn password_errors(password: &str, email: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        errors.push(format!(
            "This password is too short. It must contain at least {MIN_PASSWORD_LEN} characters."
        ));
    }
    if len > MAX_PASSWORD_LEN {
        errors.push(format!(
            "This password is too long. It must contain at most {MAX_PASSWORD_LEN} characters."
        ));
    }
    let lower = password.to_lowercase();
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        errors.push("This password is too common.".to_string());
    }
    if !password.is_empty() && password.chars().all(|c| c.is_ascii_digit()) {
        errors.push("This password is entirely numeric.".to_string());
    }
    let local = email.split('@').next().unwrap_or("").to_lowercase();
    if local.len() >= 4 && lower.contains(&local) {
        errors.push("This password is too similar to the email address.".to_string());
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_reasonable_password() {
        assert!(password_errors("securePassword123", "user@example.com").is_empty());
    }

    #[test]
    fn refuses_short_common_numeric_and_email_like() {
        let short = password_errors("abc", "a@b.de");
        assert!(short[0].contains("too short"));
        assert_eq!(
            password_errors("Password123", "a@b.de"),
            vec!["This password is too common."]
        );
        assert!(
            password_errors("12345678901", "a@b.de")
                .iter()
                .any(|e| e.contains("numeric"))
        );
        assert!(
            password_errors("janedoe-2024!", "janedoe@x.com")
                .iter()
                .any(|e| e.contains("similar"))
        );
        assert!(
            password_errors(&"x".repeat(300), "a@b.de")
                .iter()
                .any(|e| e.contains("too long"))
        );
    }
}

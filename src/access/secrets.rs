//! The secrets access control hands out, and how they are checked.
//!
//! Every secret has a public part that names its stored row and a secret part of which only a
//! SHA-256 is stored; a presented secret is found by its public part and its hash compared in
//! constant time. The shapes:
//!
//! - a token, for people and scripts: `apo_` + 8-character id + `_` + 64 hex digits;
//! - a browser session's cookie: 16 hex digits + `.` + 64 hex digits;
//! - a code to type or scan: a delegation card (12 characters) or a link (20), in the code
//!   alphabet, whose first 4 characters are the id; a workshop's join code (6) is checked
//!   against the open workshops, not stored hashed (the wall shows it to the room).
//!
//! The code alphabet has no characters that look alike on a projector or a printed card
//! (no 0/O/Q/D, 1/I/L, 2/Z, 5/S, 8/B, G, U/V); typed codes are read case-insensitively, with
//! spaces and dashes ignored.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The characters of codes meant to be read off a wall or a card and typed.
pub const CODE_ALPHABET: &[u8] = b"ACEFHJKMNPRTWXY34679";
pub const JOIN_CODE_LEN: usize = 6;
pub const CARD_CODE_LEN: usize = 12;
pub const LINK_CODE_LEN: usize = 20;
/// The public part of a card's or a link's code.
pub const CODE_ID_LEN: usize = 4;
const TOKEN_PREFIX: &str = "apo_";
const TOKEN_ID_LEN: usize = 8;

/// `n` random bytes from the operating system.
fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    bytes
}

/// Lowercase hex, two digits a byte. (Every request with a token or a session hashes it and
/// compares the hex: written out digit by digit, not a `format!` and its allocation a byte.)
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)].into());
        out.push(DIGITS[usize::from(b & 0xf)].into());
    }
    out
}

/// `len` characters of the code alphabet, uniformly (rejection sampling: no modulo bias).
pub fn random_code(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in random_bytes::<32>() {
            // 240 = 12 × 20: the largest multiple of the alphabet's size below 256.
            if b < 240 && out.len() < len {
                out.push(CODE_ALPHABET[(b % 20) as usize] as char);
            }
        }
    }
    out
}

/// The SHA-256 of a secret part, as stored (hex).
pub fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Whether `secret` hashes to `stored`, compared in constant time.
pub fn matches(secret: &str, stored: &str) -> bool {
    hash(secret).as_bytes().ct_eq(stored.as_bytes()).into()
}

/// Two public codes compared in constant time (a join code against an open workshop's).
pub fn same_code(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// A new secret: what is given out once, its stored id, and the hash to store.
pub struct Minted {
    pub given: String,
    pub id: String,
    pub hash: String,
}

/// A new token: `apo_{id}_{secret}`.
pub fn mint_token() -> Minted {
    let id: String = hex(&random_bytes::<4>());
    let secret = hex(&random_bytes::<32>());
    Minted {
        given: format!("{TOKEN_PREFIX}{id}_{secret}"),
        hash: hash(&secret),
        id,
    }
}

/// A token's id and secret part, if it has a token's shape.
pub fn parse_token(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix(TOKEN_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let hex_of = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex_of(id, TOKEN_ID_LEN) && hex_of(secret, 64)).then_some((id, secret))
}

/// A new code of `len` characters (a card's or a link's): its first [`CODE_ID_LEN`] are the id.
pub fn mint_code(len: usize) -> Minted {
    let given = random_code(len);
    let (id, secret) = given.split_at(CODE_ID_LEN);
    Minted {
        hash: hash(secret),
        id: id.to_owned(),
        given,
    }
}

/// A typed or scanned code, normalised: upper case, without spaces or dashes. `None` unless
/// it is a join code, a card's or a link's code in the code alphabet.
pub fn parse_code(typed: &str) -> Option<String> {
    if typed.len() > 64 {
        return None;
    }
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let known_len = [JOIN_CODE_LEN, CARD_CODE_LEN, LINK_CODE_LEN].contains(&code.len());
    (known_len && code.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(code)
}

/// A code grouped by four for reading aloud and typing: `ACEF-HJKM-NPRT`. Join codes stay
/// whole.
pub fn display_code(code: &str) -> String {
    if code.len() <= JOIN_CODE_LEN {
        return code.to_owned();
    }
    code.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("ASCII"))
        .collect::<Vec<_>>()
        .join("-")
}

/// A new session: the cookie's value `{id}.{secret}`.
pub fn mint_session() -> Minted {
    let id = hex(&random_bytes::<8>());
    let secret = hex(&random_bytes::<32>());
    Minted {
        given: format!("{id}.{secret}"),
        hash: hash(&secret),
        id,
    }
}

/// A session cookie's id and secret, if it has the shape.
pub fn parse_session(value: &str) -> Option<(&str, &str)> {
    let (id, secret) = value.split_once('.')?;
    let hex_of = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex_of(id, 16) && hex_of(secret, 64)).then_some((id, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_secrets_parse_back_and_match_only_their_hash() {
        let t = mint_token();
        let (id, secret) = parse_token(&t.given).expect("a token parses");
        assert_eq!(id, t.id);
        assert!(matches(secret, &t.hash));
        assert!(!matches(&"0".repeat(64), &t.hash));
        let s = mint_session();
        let (id, secret) = parse_session(&s.given).expect("a session parses");
        assert_eq!(id, s.id);
        assert!(matches(secret, &s.hash));
        let c = mint_code(CARD_CODE_LEN);
        let typed = display_code(&c.given).to_lowercase();
        assert_eq!(parse_code(&typed).as_deref(), Some(c.given.as_str()));
        assert!(matches(&c.given[CODE_ID_LEN..], &c.hash));
    }

    #[test]
    fn codes_use_only_the_alphabet_and_refuse_look_alikes() {
        for _ in 0..200 {
            let c = random_code(JOIN_CODE_LEN);
            assert_eq!(c.len(), JOIN_CODE_LEN);
            assert!(c.bytes().all(|b| CODE_ALPHABET.contains(&b)), "{c}");
        }
        for look_alike in ["0", "O", "1", "I", "L", "2", "Z", "5", "S", "8", "B", "G"] {
            assert!(!CODE_ALPHABET.contains(&look_alike.as_bytes()[0]));
        }
        assert_eq!(parse_code("acef 47"), Some("ACEF47".into()));
        assert_eq!(parse_code("ACEF4O"), None, "O is not in the alphabet");
        assert_eq!(parse_code("ACEF4"), None, "too short");
        assert_eq!(parse_token("apo_zzzzzzzz_00"), None);
    }

    #[test]
    fn durations_are_read_within_ten_years_and_never_overflow() {
        use crate::access::parse_duration;
        assert_eq!(parse_duration("30d"), Ok(time::Duration::days(30)));
        assert_eq!(parse_duration("90m"), Ok(time::Duration::minutes(90)));
        assert_eq!(parse_duration("3650d"), Ok(time::Duration::days(3650)));
        for bad in [
            "0d",
            "3651d",
            "87601h",
            "5000000d",
            "99999999999999999999d",
            "d",
            "12",
            "1w",
            "-1d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hashes_are_stored_as_lowercase_hex() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        // SHA-256 of "abc" (FIPS 180-2, appendix B.1): the hash stored for a secret "abc".
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(matches("abc", &hash("abc")));
        assert!(!matches("abd", &hash("abc")));
    }
}

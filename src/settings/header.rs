//! A header given as one line, `Name: value` (`-H`, `[Options] header`).

/// A header, split once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The name, trimmed.
    pub name: String,
    /// The value, trimmed.
    pub value: String,
}

/// Why a line is not a header.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// No `:`.
    #[error("expected `Name: value`")]
    NoColon,
    /// Nothing before the `:`.
    #[error("the header has no name (expected `Name: value`)")]
    NoName,
    /// A name with a character a header name may not have.
    #[error("invalid header name `{0}`")]
    BadName(String),
}

impl Header {
    /// Parses `Name: value`.
    pub fn parse(line: &str) -> Result<Header, HeaderError> {
        let (name, value) = line.split_once(':').ok_or(HeaderError::NoColon)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(HeaderError::NoName);
        }
        // RFC 9110 token characters.
        let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if !name.chars().all(token) {
            return Err(HeaderError::BadName(name.to_owned()));
        }
        Ok(Header { name: name.to_owned(), value: value.trim().to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_is_a_name_a_colon_and_a_value() {
        let h = Header::parse("X-Api-Key:  abc:def ").unwrap();
        assert_eq!((h.name.as_str(), h.value.as_str()), ("X-Api-Key", "abc:def"));
        assert_eq!(Header::parse("X-Empty:").unwrap().value, "");
        assert_eq!(Header::parse("no colon"), Err(HeaderError::NoColon));
        assert_eq!(Header::parse(": v"), Err(HeaderError::NoName));
        assert_eq!(Header::parse("a b: v"), Err(HeaderError::BadName("a b".to_owned())));
    }
}

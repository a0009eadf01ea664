//! AWS Signature Version 4 for a rendered request (`--aws-sigv4`, `[Options] aws-sigv4`),
//! as curl signs it: provider `aws:amz:REGION:SERVICE`, credentials from `user`
//! (`ACCESS_KEY:SECRET_KEY`), signed headers `host`, `x-amz-date` and every header of
//! the request's own list (a unit test holds a signature hurl 8.1.0 sent).
//!
//! Pure: the time is handed in.

use sha2::{Digest, Sha256};

/// What `aws-sigv4` names: the credential scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// e.g. `eu-central-1`.
    pub region: String,
    /// e.g. `s3`.
    pub service: String,
}

/// Parses curl's `provider1[:provider2[:region[:service]]]`; region and service are required here.
pub fn parse_provider(text: &str) -> Result<Scope, String> {
    let parts: Vec<&str> = text.split(':').collect();
    match parts[..] {
        [_, _, region, service] if !region.is_empty() && !service.is_empty() => {
            Ok(Scope { region: region.to_owned(), service: service.to_owned() })
        }
        _ => Err(format!(
            "invalid aws-sigv4 <{text}>: expected aws:amz:REGION:SERVICE (shakedown does not guess them from the host)"
        )),
    }
}

/// The headers to add to sign a request: `x-amz-date` and `Authorization`.
#[expect(clippy::too_many_arguments, reason = "the parts of one request, each named")]
pub fn sign(
    scope: &Scope,
    access_key: &str,
    secret_key: &str,
    method: &str,
    url: &url::Url,
    headers: &[(String, String)],
    body: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<(String, String)> {
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let date = now.format("%Y%m%d").to_string();
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    // As curl signs: `host`, `x-amz-date` and every header of the request's own list (for
    // Hurl: the file's, `-H`, the implicit content type, the user agent), a name given
    // twice signed once with its values joined by `,`.
    let mut signed: Vec<(String, String)> = vec![("x-amz-date".to_owned(), amz_date.clone())];
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        signed.push(("host".to_owned(), host));
    }
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        if value.is_empty() {
            continue;
        }
        match signed.iter_mut().find(|(n, _)| *n == name) {
            Some((_, values)) => {
                values.push(',');
                values.push_str(&value);
            }
            None => signed.push((name, value)),
        }
    }
    signed.sort();
    let canonical_headers: String = signed.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let signed_headers = signed.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(";");
    let mut query: Vec<(String, String)> =
        url.query_pairs().map(|(k, v)| (encode(&k), encode(&v))).collect();
    query.sort();
    let canonical_query =
        query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let path = if url.path().is_empty() { "/" } else { url.path() };
    let canonical_request = format!(
        "{method}\n{path}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{}",
        hex::encode(Sha256::digest(body))
    );
    let credential_scope = format!("{date}/{}/{}/aws4_request", scope.region, scope.service);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{credential_scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let k_date = hmac(format!("AWS4{secret_key}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, scope.region.as_bytes());
    let k_service = hmac(&k_region, scope.service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    let signature = hex::encode(hmac(&k_signing, string_to_sign.as_bytes()));
    vec![
        (
            "Authorization".to_owned(),
            format!(
                "AWS4-HMAC-SHA256 Credential={access_key}/{credential_scope}, SignedHeaders={signed_headers}, Signature={signature}"
            ),
        ),
        ("X-Amz-Date".to_owned(), amz_date),
    ]
}

/// RFC 3986 unreserved characters kept, everything else percent-encoded (SigV4's rule).
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// HMAC-SHA256 (RFC 2104).
fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            hex::encode(hmac(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn signing_key_matches_the_aws_documentation_example() {
        // docs.aws.amazon.com, "Examples of how to derive a signing key for Signature Version 4".
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let k_date = hmac(format!("AWS4{secret}").as_bytes(), b"20120215");
        let k_region = hmac(&k_date, b"us-east-1");
        let k_service = hmac(&k_region, b"iam");
        let k_signing = hmac(&k_service, b"aws4_request");
        assert_eq!(
            hex::encode(k_signing),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn providers_need_region_and_service() {
        assert_eq!(
            parse_provider("aws:amz:eu-central-1:hurltest"),
            Ok(Scope { region: "eu-central-1".to_owned(), service: "hurltest".to_owned() })
        );
        assert!(parse_provider("aws:amz").is_err());
    }

    #[test]
    fn the_signature_is_the_one_hurl_8_1_0_sent() {
        // Hurl's corpus, tests_ok/aws_sigv4_option.hurl, as hurl 8.1.0 (libcurl 7.88.1)
        // sent it on 2026-12-07 (captured by scripts/wire-compare): same keys, time,
        // headers and body give the same Authorization, byte for byte.
        let url = url::Url::parse("http://localhost:8000/aws-sigv4").unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-07T05:15:27Z").unwrap().to_utc();
        let scope = parse_provider("aws:amz:eu-central-1:hurltest").unwrap();
        let list = [
            ("Content-Type".to_owned(), "application/x-www-form-urlencoded".to_owned()),
            ("User-Agent".to_owned(), "hurl/8.1.0".to_owned()),
        ];
        let headers = sign(
            &scope,
            "someAccessKeyId",
            "someSecretKey",
            "POST",
            &url,
            &list,
            b"test=test",
            now,
        );
        assert_eq!(
            headers,
            [
                (
                    "Authorization".to_owned(),
                    "AWS4-HMAC-SHA256 Credential=someAccessKeyId/20261207/eu-central-1/hurltest/aws4_request, SignedHeaders=content-type;host;user-agent;x-amz-date, Signature=e82c021d4e8aeb7f7a385fcf46bf50f2abbaa4ec081023b39333695feee4e159".to_owned()
                ),
                ("X-Amz-Date".to_owned(), "20261207T051527Z".to_owned()),
            ]
        );
    }

    #[test]
    fn authorization_names_the_scope_and_headers() {
        let url = url::Url::parse("http://localhost:8000/aws?b=2&a=1").unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2024-01-02T03:04:05Z").unwrap().to_utc();
        let scope = parse_provider("aws:amz:eu-central-1:svc").unwrap();
        let headers = sign(&scope, "AK", "SK", "GET", &url, &[], b"", now);
        assert_eq!(headers[1], ("X-Amz-Date".to_owned(), "20240102T030405Z".to_owned()));
        let auth = &headers[0].1;
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AK/20240102/eu-central-1/svc/aws4_request, SignedHeaders=host;x-amz-date, Signature="),
            "{auth}"
        );
    }
}

//! Decoding a response body: decompression by `Content-Encoding` and text decoding
//! by the `charset` of `Content-Type` (UTF-8 when none is given), as Hurl does.

use std::borrow::Cow;
use std::io::Read;

use crate::runner::error::{EvalError, EvalErrorKind};
use crate::scenario::ast::Span;
use crate::transport::request::Response;

/// The body with every `Content-Encoding` undone (outermost last listed, so undone first).
pub fn decompressed(response: &Response) -> Result<Vec<u8>, EvalError> {
    decompressed_cow(response).map(Cow::into_owned)
}

/// [`decompressed`], borrowing the body itself when it has no `Content-Encoding`
/// (the common case: no copy per query).
pub fn decompressed_cow(response: &Response) -> Result<Cow<'_, [u8]>, EvalError> {
    let mut encodings: Vec<String> = Vec::new();
    for value in response.headers_named(&http::header::CONTENT_ENCODING) {
        encodings.extend(
            value.split(',').map(|e| e.trim().to_ascii_lowercase()).filter(|e| !e.is_empty()),
        );
    }
    if encodings.is_empty() {
        return Ok(Cow::Borrowed(&response.body[..]));
    }
    let mut data = response.body.to_vec();
    for encoding in encodings.iter().rev() {
        data = decode_one(encoding, &data)?;
    }
    Ok(Cow::Owned(data))
}

/// The decompressed body as text, decoded with the charset of `Content-Type` (default UTF-8).
pub fn text(response: &Response) -> Result<String, EvalError> {
    text_cow(response).map(Cow::into_owned)
}

/// [`text`], borrowing the body itself when it needs neither decompression nor a
/// conversion (UTF-8, the common case: validated in place, not copied).
pub fn text_cow(response: &Response) -> Result<Cow<'_, str>, EvalError> {
    let data = decompressed_cow(response)?;
    let label = charset(response).unwrap_or("utf-8");
    let encoding = encoding_for(label)?;
    if encoding == encoding_rs::UTF_8 {
        // What `decode_without_bom_handling_and_without_replacement` does for UTF-8:
        // validate, and fail on malformed input.
        let invalid =
            || EvalError::new(EvalErrorKind::InvalidDecoding(label.to_owned()), Span::default());
        return match data {
            Cow::Borrowed(bytes) => {
                std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|_| invalid())
            }
            Cow::Owned(bytes) => String::from_utf8(bytes).map(Cow::Owned).map_err(|_| invalid()),
        };
    }
    decode_with(encoding, &data, label).map(Cow::Owned)
}

/// The encoding with this label; `utf-8` (the default) without a table lookup.
fn encoding_for(label: &str) -> Result<&'static encoding_rs::Encoding, EvalError> {
    if label.eq_ignore_ascii_case("utf-8") {
        return Ok(encoding_rs::UTF_8);
    }
    encoding_rs::Encoding::for_label(label.as_bytes()).ok_or_else(|| {
        EvalError::new(EvalErrorKind::InvalidCharset(label.to_owned()), Span::default())
    })
}

/// Decodes bytes as text in the encoding with this label; malformed input is an error.
pub fn decode_text(data: &[u8], label: &str) -> Result<String, EvalError> {
    decode_with(encoding_for(label)?, data, label)
}

fn decode_with(
    encoding: &'static encoding_rs::Encoding,
    data: &[u8],
    label: &str,
) -> Result<String, EvalError> {
    encoding
        .decode_without_bom_handling_and_without_replacement(data)
        .map(|text| text.into_owned())
        .ok_or_else(|| {
            EvalError::new(EvalErrorKind::InvalidDecoding(label.to_owned()), Span::default())
        })
}

/// Whether the response is HTML (its media type is `text/html`), so XPath parses it as HTML.
pub fn is_html(response: &Response) -> bool {
    response.header(&http::header::CONTENT_TYPE).is_some_and(|ct| {
        let media = ct.split(';').next().unwrap_or_default().trim();
        media.eq_ignore_ascii_case("text/html")
    })
}

/// The `charset` parameter of `Content-Type`, if any.
fn charset(response: &Response) -> Option<&str> {
    let content_type = response.header(&http::header::CONTENT_TYPE)?;
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim().eq_ignore_ascii_case("charset").then(|| value.trim().trim_matches('"'))
    })
}

fn decode_one(encoding: &str, data: &[u8]) -> Result<Vec<u8>, EvalError> {
    let mut out = Vec::new();
    let result = match encoding {
        "identity" => return Ok(data.to_vec()),
        "gzip" | "x-gzip" => flate2::read::MultiGzDecoder::new(data).read_to_end(&mut out),
        "deflate" => {
            // Servers send either zlib-wrapped (RFC 9110) or raw deflate; accept both, like curl.
            let zlib = flate2::read::ZlibDecoder::new(data).read_to_end(&mut out);
            if zlib.is_err() {
                out.clear();
                flate2::read::DeflateDecoder::new(data).read_to_end(&mut out)
            } else {
                zlib
            }
        }
        "br" => brotli::Decompressor::new(data, 4096).read_to_end(&mut out),
        other => {
            return Err(EvalError::new(
                EvalErrorKind::UnsupportedContentEncoding(other.to_owned()),
                Span::default(),
            ));
        }
    };
    result.map(|_| out).map_err(|e| {
        EvalError::new(EvalErrorKind::Decompression(format!("{encoding}: {e}")), Span::default())
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::runner::test_support::response;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn br(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
            w.write_all(data).unwrap();
        }
        out
    }

    #[test]
    fn decompresses_by_content_encoding() {
        let hello = b"Hello World!";
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("identity", hello.to_vec()),
            ("gzip", gzip(hello)),
            ("deflate", zlib(hello)),
            ("br", br(hello)),
            ("gzip, br", br(&gzip(hello))),
        ];
        for (encoding, body) in cases {
            let r = response(&[("Content-Encoding", encoding)], &body);
            assert_eq!(decompressed(&r).unwrap(), hello, "{encoding}");
        }
        let r = response(&[("Content-Encoding", "compress")], b"x");
        assert_eq!(
            decompressed(&r).unwrap_err().to_string(),
            "unsupported content encoding `compress`"
        );
        let r = response(&[("Content-Encoding", "gzip")], b"not gzip");
        assert!(decompressed(&r).is_err());
    }

    #[test]
    fn decodes_text_by_charset() {
        let r = response(&[("Content-Type", "text/plain; charset=ISO-8859-1")], b"caf\xe9");
        assert_eq!(text(&r).unwrap(), "café");
        let r = response(&[("Content-Type", "text/plain")], "café".as_bytes());
        assert_eq!(text(&r).unwrap(), "café");
        let r = response(&[], b"caf\xe9");
        assert_eq!(
            text(&r).unwrap_err().to_string(),
            "invalid decoding of the body with charset `utf-8`"
        );
        let r = response(&[("Content-Type", "text/plain; charset=nope")], b"x");
        assert_eq!(text(&r).unwrap_err().to_string(), "invalid charset `nope`");
        let r = response(&[("Content-Type", "text/plain; charset=UTF8")], b"caf\xe9");
        assert_eq!(
            text(&r).unwrap_err().to_string(),
            "invalid decoding of the body with charset `UTF8`"
        );
        assert!(is_html(&response(&[("content-type", "text/html; charset=utf-8")], b"")));
        assert!(!is_html(&response(&[("content-type", "application/xml")], b"")));
    }

    /// The borrowing fast paths give what the general path (`encoding_rs` on a copy) gives,
    /// and borrow only where nothing had to be converted.
    #[test]
    fn text_borrows_plain_utf8_and_agrees_with_encoding_rs() {
        let bodies: [&[u8]; 5] =
            [b"{\"ok\":true}", "café ✓".as_bytes(), b"caf\xe9", b"", b"\xef\xbb\xbfbom"];
        let content_types = [
            None,
            Some("application/json"),
            Some("application/json; charset=utf-8"),
            Some("text/plain; charset=\"UTF-8\""),
            Some("text/plain; charset=utf8"),
            Some("text/plain; charset=unicode-1-1-utf-8"),
            Some("text/plain; charset=latin1"),
            Some("text/plain; charset=windows-1252"),
            Some("text/plain; charset=bogus"),
        ];
        for body in bodies {
            for content_type in content_types {
                let headers: Vec<(&str, &str)> =
                    content_type.map(|ct| ("Content-Type", ct)).into_iter().collect();
                let r = response(&headers, body);
                let label = charset(&r).unwrap_or("utf-8");
                let general = encoding_rs::Encoding::for_label(label.as_bytes())
                    .ok_or_else(|| format!("invalid charset `{label}`"))
                    .and_then(|e| {
                        e.decode_without_bom_handling_and_without_replacement(body)
                            .map(|t| t.into_owned())
                            .ok_or_else(|| {
                                format!("invalid decoding of the body with charset `{label}`")
                            })
                    });
                let fast = text_cow(&r).map_err(|e| e.to_string());
                assert_eq!(
                    fast.as_deref().map_err(String::as_str),
                    general.as_deref().map_err(String::as_str),
                    "{content_type:?} {body:?}"
                );
                let utf8 =
                    encoding_rs::Encoding::for_label(label.as_bytes()) == Some(encoding_rs::UTF_8);
                if let Ok(fast) = fast {
                    assert_eq!(matches!(fast, Cow::Borrowed(_)), utf8, "{content_type:?}");
                }
                assert_eq!(text(&r).map_err(|e| e.to_string()), general);
            }
        }
        let compressed = response(&[("Content-Encoding", "gzip")], &gzip(b"hi"));
        assert!(matches!(text_cow(&compressed).unwrap(), Cow::Owned(t) if t == "hi"));
        assert!(matches!(decompressed_cow(&compressed).unwrap(), Cow::Owned(_)));
        let plain = response(&[], b"hi");
        assert!(matches!(decompressed_cow(&plain).unwrap(), Cow::Borrowed(b"hi")));
    }
}

//! Decoding a response body: decompression by `Content-Encoding` and text decoding
//! by the `charset` of `Content-Type` (UTF-8 when none is given), as Hurl does.

use std::io::Read;

use crate::runner::error::{EvalError, EvalErrorKind};
use crate::scenario::ast::Span;
use crate::transport::request::Response;

/// The body with every `Content-Encoding` undone (outermost last listed, so undone first).
pub fn decompressed(response: &Response) -> Result<Vec<u8>, EvalError> {
    let mut encodings: Vec<String> = Vec::new();
    for value in response.headers_named("Content-Encoding") {
        encodings.extend(
            value.split(',').map(|e| e.trim().to_ascii_lowercase()).filter(|e| !e.is_empty()),
        );
    }
    let mut data = response.body.to_vec();
    for encoding in encodings.iter().rev() {
        data = decode_one(encoding, &data)?;
    }
    Ok(data)
}

/// The decompressed body as text, decoded with the charset of `Content-Type` (default UTF-8).
pub fn text(response: &Response) -> Result<String, EvalError> {
    let data = decompressed(response)?;
    let label = charset(response).unwrap_or_else(|| "utf-8".to_owned());
    decode_text(&data, &label)
}

/// Decodes bytes as text in the encoding with this label; malformed input is an error.
pub fn decode_text(data: &[u8], label: &str) -> Result<String, EvalError> {
    let encoding = encoding_rs::Encoding::for_label(label.as_bytes()).ok_or_else(|| {
        EvalError::new(EvalErrorKind::InvalidCharset(label.to_owned()), Span::default())
    })?;
    encoding
        .decode_without_bom_handling_and_without_replacement(data)
        .map(|text| text.into_owned())
        .ok_or_else(|| {
            EvalError::new(EvalErrorKind::InvalidDecoding(label.to_owned()), Span::default())
        })
}

/// Whether the response is HTML (its media type is `text/html`), so XPath parses it as HTML.
pub fn is_html(response: &Response) -> bool {
    response.header("Content-Type").is_some_and(|ct| {
        let media = ct.split(';').next().unwrap_or_default().trim();
        media.eq_ignore_ascii_case("text/html")
    })
}

/// The `charset` parameter of `Content-Type`, if any.
fn charset(response: &Response) -> Option<String> {
    let content_type = response.header("Content-Type")?;
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').to_owned())
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
        assert!(is_html(&response(&[("content-type", "text/html; charset=utf-8")], b"")));
        assert!(!is_html(&response(&[("content-type", "application/xml")], b"")));
    }
}

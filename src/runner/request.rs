//! Renders a Hurl request into the bytes the transport sends.
//!
//! Templates are rendered with the current variables; `[Query]` parameters are
//! appended to the URL; `[Form]` and `[Multipart]` become bodies with their
//! content types; `[Cookies]` and the file's cookie store become one `Cookie`
//! header; `[BasicAuth]` (or `user`) becomes `Authorization`. Content types
//! are added as Hurl adds them (JSON, XML, GraphQL, form, multipart), never
//! over a `Content-Type` the file sets itself.

use std::path::{Path, PathBuf};

use base64::Engine;
use bytes::Bytes;

use crate::runner::cookies::CookieStore;
use crate::runner::options::EntryOptions;
use crate::runner::template;
use crate::runner::variables::Variables;
use crate::scenario::ast::{
    Body, BodyKind, BytesLiteral, MultilineKind, MultipartParam, Request, RequestSectionKind, Span,
};
use crate::transport::request::{DefaultSlots, RequestOptions, RequestSpec};

/// A request could not be rendered.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderError {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub span: Option<Span>,
}

impl From<crate::runner::error::EvalError> for RenderError {
    fn from(error: crate::runner::error::EvalError) -> RenderError {
        RenderError { message: error.to_string(), span: Some(error.span) }
    }
}

/// Everything outside the entry that shapes its request.
#[derive(Clone, Copy, Debug)]
pub struct RequestContext<'a> {
    /// Where `file,` paths are resolved.
    pub file_root: &'a Path,
    /// `-H` headers from the command line, parsed once.
    pub extra_headers: &'a [crate::settings::Header],
    /// `-A`.
    pub user_agent: Option<&'a str>,
    /// `--no-keepalive`.
    pub no_keepalive: bool,
    /// The file's text: JSON bodies are sent as written in it.
    pub source: &'a str,
}

/// A rendered request, with where its `Cookie` header goes.
#[derive(Debug)]
pub struct Rendered {
    /// The request.
    pub spec: RequestSpec,
    /// The index in `spec.headers` of curl's `Cookie` slot (after curl's own
    /// `Authorization` and the default `Accept`, before Hurl's list), where a redirect
    /// puts the cookies of its new URL.
    pub cookie_slot: usize,
}

/// Renders `request` into a [`RequestSpec`], its headers in the order hurl 8.1.0 puts
/// them on the wire (`tests/integration/conformance.rs`, `scripts/wire-compare`).
pub fn render(
    request: &Request,
    options: &EntryOptions,
    variables: &Variables,
    cookies: &CookieStore,
    context: &RequestContext<'_>,
) -> Result<Rendered, RenderError> {
    let url_text = template::render_cow(&request.url, variables)?;
    let raw_target = options.path_as_is.then(|| raw_request_target(url_text.trim())).flatten();
    let mut url = parse_url(url_text.trim()).map_err(|e| RenderError {
        message: format!("invalid URL <{url_text}>: {e}"),
        span: Some(request.url.span),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(RenderError {
            message: format!("unsupported URL scheme `{}` (only http and https)", url.scheme()),
            span: Some(request.url.span),
        });
    }

    // The headers Hurl hands to curl as its own list, in Hurl's order: the file's
    // headers, `[BasicAuth]`, `-H`, `[Options] header`; then (below) the implicit
    // `Content-Type`, `User-Agent`, `user`'s `Authorization` and `Accept-Encoding`.
    let mut headers: Vec<(String, String)> = Vec::new();
    for header in &request.headers {
        headers.push((
            template::render(&header.key, variables)?,
            template::render(&header.value, variables)?,
        ));
    }
    let mut section_auth: Option<String> = None;
    for section in &request.sections {
        if let RequestSectionKind::BasicAuth(Some(kv)) = &section.kind {
            section_auth = Some(format!(
                "{}:{}",
                template::render(&kv.key, variables)?,
                template::render(&kv.value, variables)?
            ));
        }
    }
    if let Some(credentials) = &section_auth {
        headers.push(("Authorization".to_owned(), basic(credentials)));
    }
    for header in context.extra_headers.iter().chain(&options.headers) {
        headers.push((header.name.clone(), header.value.clone()));
    }

    let mut body: Option<(Vec<u8>, Option<String>)> = None;
    let mut request_cookies: Vec<(String, String)> = Vec::new();
    // Credentials in the URL (percent-decoded, as curl does): curl's own, used when no
    // other `Authorization` is given.
    let mut curl_auth: Option<String> = url_credentials(&url);
    if !url.username().is_empty() || url.password().is_some() {
        let _ = url.set_username("");
        let _ = url.set_password(None);
    }
    for section in &request.sections {
        match &section.kind {
            // An empty section is no section: no `?`, no empty body (Hurl).
            RequestSectionKind::Query(params) if params.is_empty() => {}
            RequestSectionKind::Form(params) if params.is_empty() => {}
            RequestSectionKind::Multipart(params) if params.is_empty() => {}
            RequestSectionKind::Query(params) => {
                let mut query = url.query().unwrap_or_default().to_owned();
                if !query.is_empty() {
                    query.push('&');
                }
                encode_params(&mut query, params, variables)?;
                url.set_query(Some(&query));
            }
            RequestSectionKind::Form(params) => {
                let mut encoded = String::new();
                encode_params(&mut encoded, params, variables)?;
                body = Some((
                    encoded.into_bytes(),
                    Some("application/x-www-form-urlencoded".to_owned()),
                ));
            }
            RequestSectionKind::Multipart(params) => {
                body = Some(multipart(params, variables, context.file_root)?);
            }
            RequestSectionKind::Cookies(list) => {
                for cookie in list {
                    request_cookies.push((
                        template::render(&cookie.key, variables)?,
                        template::render(&cookie.value, variables)?,
                    ));
                }
            }
            RequestSectionKind::BasicAuth(_) | RequestSectionKind::Options(_) => {}
        }
    }
    if let Some(request_body) = &request.body {
        body = Some(render_body(request_body, variables, context)?);
    }
    if curl_auth.is_none()
        && let Some(netrc) = &options.netrc
    {
        curl_auth = netrc_credentials(netrc, &url)?;
    }

    let has = |headers: &[(String, String)], name: &str| {
        headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    let (body_bytes, content_type) = body.unwrap_or_default();
    // curl writes a multipart body's `Content-Type` itself, after `Content-Length`.
    let mut content_headers: Vec<(String, String)> = Vec::new();
    if let Some(content_type) = content_type
        && !has(&headers, "content-type")
    {
        if content_type.starts_with("multipart/") {
            content_headers.push(("Content-Length".to_owned(), body_bytes.len().to_string()));
            content_headers.push(("Content-Type".to_owned(), content_type));
        } else {
            headers.push(("Content-Type".to_owned(), content_type));
        }
    }
    // The default User-Agent is the transport's, written at its slot in Hurl's list.
    let mut user_agent_in_list = None;
    if !has(&headers, "user-agent") {
        match context.user_agent {
            Some(agent) => headers.push(("User-Agent".to_owned(), agent.to_owned())),
            None => user_agent_in_list = Some(headers.len()),
        }
    }
    // What curl writes before Hurl's list, in curl's order: its own `Authorization`
    // (the URL's credentials, netrc, or the AWS signature), `Accept` (the transport's
    // default, at its slot), `Cookie`.
    let mut curl_headers: Vec<(String, String)> = Vec::new();
    if options.aws_sigv4.is_none() && !has(&headers, "authorization") {
        if let Some(user) = &options.user {
            headers.push(("Authorization".to_owned(), basic(user)));
        } else if let Some(credentials) = &curl_auth {
            curl_headers.push(("Authorization".to_owned(), basic(credentials)));
        }
    }
    if options.compressed && !has(&headers, "accept-encoding") {
        headers.push(("Accept-Encoding".to_owned(), "gzip, deflate, br".to_owned()));
    }
    if let Some(provider) = &options.aws_sigv4 {
        let scope = crate::runner::sigv4::parse_provider(provider)
            .map_err(|message| RenderError { message, span: None })?;
        let keys = options.user.clone().or(section_auth).or(curl_auth);
        let Some((access_key, secret_key)) = keys.as_deref().and_then(|u| u.split_once(':')) else {
            return Err(RenderError {
                message: "aws-sigv4 needs the keys in `user: ACCESS_KEY:SECRET_KEY`".to_owned(),
                span: None,
            });
        };
        // curl signs its list (Hurl's, the User-Agent included), not the multipart
        // `Content-Type` it writes itself.
        let mut signed = headers.clone();
        if let Some(at) = user_agent_in_list {
            signed.insert(
                at,
                ("User-Agent".to_owned(), crate::transport::DEFAULT_USER_AGENT.to_owned()),
            );
        }
        let signature = crate::runner::sigv4::sign(
            &scope,
            access_key,
            secret_key,
            &request.method.value,
            &url,
            &signed,
            &body_bytes,
            chrono::Utc::now(),
        );
        curl_headers.extend(signature);
    }
    let cookie_slot = curl_headers.len();
    let accept = (!has(&headers, "accept")).then_some(cookie_slot);
    let mut all_cookies = cookies.cookies_for(&url);
    all_cookies.extend(request_cookies);
    if !all_cookies.is_empty() && !has(&headers, "cookie") {
        let line = crate::runner::cookies::cookie_header(&all_cookies);
        curl_headers.push(("Cookie".to_owned(), line));
    }
    let user_agent = user_agent_in_list.map(|at| at + curl_headers.len());
    if !curl_headers.is_empty() {
        headers.splice(0..0, curl_headers);
    }
    headers.append(&mut content_headers);

    let spec = RequestSpec {
        method: request.method.value.clone(),
        url,
        headers,
        body: Bytes::from(body_bytes),
        default_slots: DefaultSlots { accept, user_agent },
        options: RequestOptions { raw_target, ..transport_options(options, context)? },
    };
    Ok(Rendered { spec, cookie_slot })
}

/// `Authorization: Basic` of `user:password`.
fn basic(credentials: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials))
}

/// `name=value` pairs joined by `&` as Hurl writes them for `[Query]` and `[Form]`: the
/// name as written, the value percent-encoded as curl's `curl_easy_escape` does (all but
/// ASCII letters, digits and `-._~`).
fn encode_params(
    out: &mut String,
    params: &[crate::scenario::ast::KeyValue],
    variables: &Variables,
) -> Result<(), RenderError> {
    for (i, param) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&template::render(&param.key, variables)?);
        out.push('=');
        out.extend(percent_encoding::utf8_percent_encode(
            &template::render(&param.value, variables)?,
            CURL_ESCAPE,
        ));
    }
    Ok(())
}

/// What `curl_easy_escape` encodes: everything but RFC 3986's unreserved characters.
const CURL_ESCAPE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The request target exactly as written in `url` (`--path-as-is`): from the
/// path to the end of the query, dot segments kept.
fn raw_request_target(url: &str) -> Option<String> {
    let after_scheme = url.split_once("://")?.1;
    let start = after_scheme.find(['/', '?'])?;
    let target = after_scheme.get(start..)?;
    let target = target.split('#').next().unwrap_or_default();
    Some(if target.starts_with('?') { format!("/{target}") } else { target.to_owned() })
}

/// `user:password` from the URL's userinfo, percent-decoded.
fn url_credentials(url: &url::Url) -> Option<String> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let decode =
        |text: &str| percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned();
    Some(format!("{}:{}", decode(url.username()), decode(url.password().unwrap_or_default())))
}

/// Basic credentials for the URL's host from a netrc file, as curl reads it.
/// A netrc file path is taken as given (relative to the working directory, as in curl);
/// a host without an entry gets no credentials.
fn netrc_credentials(
    netrc: &crate::runner::options::Netrc,
    url: &url::Url,
) -> Result<Option<String>, RenderError> {
    let path = match &netrc.file {
        Some(file) => file.clone(),
        None => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(".netrc"),
            None if netrc.optional => return Ok(None),
            None => {
                return Err(RenderError {
                    message: "cannot find the .netrc file: HOME is not set".to_owned(),
                    span: None,
                });
            }
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(_) if netrc.optional => return Ok(None),
        Err(e) => {
            return Err(RenderError {
                message: format!("cannot read netrc file {}: {e}", path.display()),
                span: None,
            });
        }
    };
    let host = url.host_str().unwrap_or_default();
    Ok(netrc_lookup(&text, host).map(|(login, password)| format!("{login}:{password}")))
}

/// The login and password of `host` (or of `default`) in netrc text.
fn netrc_lookup(text: &str, host: &str) -> Option<(String, String)> {
    let mut tokens = text.split_whitespace();
    let mut current: Option<bool> = None; // Some(true): the machine we look for
    let (mut login, mut password) = (None::<String>, None::<String>);
    let mut fallback: Option<(String, String)> = None;
    let mut default = false;
    let finish = |matched: Option<bool>,
                  default: bool,
                  login: &mut Option<String>,
                  password: &mut Option<String>,
                  fallback: &mut Option<(String, String)>|
     -> Option<(String, String)> {
        let pair = (login.take().unwrap_or_default(), password.take().unwrap_or_default());
        if matched == Some(true) {
            return Some(pair);
        }
        if default && fallback.is_none() {
            *fallback = Some(pair);
        }
        None
    };
    while let Some(token) = tokens.next() {
        match token {
            "machine" => {
                if let Some(found) =
                    finish(current, default, &mut login, &mut password, &mut fallback)
                {
                    return Some(found);
                }
                default = false;
                current = Some(tokens.next() == Some(host));
            }
            "default" => {
                if let Some(found) =
                    finish(current, default, &mut login, &mut password, &mut fallback)
                {
                    return Some(found);
                }
                default = true;
                current = Some(false);
            }
            "login" => login = tokens.next().map(str::to_owned),
            "password" => password = tokens.next().map(str::to_owned),
            "account" | "macdef" => {
                tokens.next();
            }
            _ => {}
        }
    }
    finish(current, default, &mut login, &mut password, &mut fallback).or(fallback)
}

thread_local! {
    // A file sends the same few URLs again and again (repeats, polls, long sequential
    // files); parsing one costs more than the rest of rendering the request. Bounded,
    // per worker thread.
    static URLS: std::cell::RefCell<std::collections::HashMap<String, url::Url>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

thread_local! {
    // The URL parsed last on this thread: a sequential file sends the same one again and
    // again, found here with one comparison instead of a hash.
    static LAST_URL: std::cell::RefCell<Option<(String, url::Url)>> =
        const { std::cell::RefCell::new(None) };
}

/// Parses an absolute URL (memoised per thread).
fn parse_url(text: &str) -> Result<url::Url, url::ParseError> {
    let last = LAST_URL.with(|last| {
        last.borrow().as_ref().filter(|(given, _)| given == text).map(|(_, url)| url.clone())
    });
    if let Some(url) = last {
        return Ok(url);
    }
    let url = parse_url_cached(text)?;
    LAST_URL.with(|last| *last.borrow_mut() = Some((text.to_owned(), url.clone())));
    Ok(url)
}

/// [`parse_url`] through the per-thread map.
fn parse_url_cached(text: &str) -> Result<url::Url, url::ParseError> {
    if let Some(url) = URLS.with(|cache| cache.borrow().get(text).cloned()) {
        return Ok(url);
    }
    let url = url::Url::parse(text)?;
    URLS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= 512 {
            cache.clear();
        }
        cache.insert(text.to_owned(), url.clone());
    });
    Ok(url)
}

/// The transport options for an entry.
pub fn transport_options(
    options: &EntryOptions,
    context: &RequestContext<'_>,
) -> Result<RequestOptions, RenderError> {
    // Parsed once, where they were given (the command line or `[Options]`).
    let resolve = options.resolve.iter().map(|r| (r.host.clone(), r.port, r.addr)).collect();
    let connect_to = options
        .connect_to
        .iter()
        .map(|c| (c.host.clone(), c.port, c.to_host.clone(), c.to_port))
        .collect();
    Ok(RequestOptions {
        http_version: options.http_version,
        insecure: options.insecure,
        ca_certificates: options
            .cacert
            .iter()
            .map(|p| resolve_path(context.file_root, p))
            .collect(),
        client_certificate: options.cert.as_ref().map(|c| (c.clone(), options.key.clone())),
        connect_timeout: options.connect_timeout,
        max_time: options.max_time,
        ip_version: options.ip_version,
        resolve,
        connect_to,
        no_keepalive: context.no_keepalive,
        raw_target: None,
        limit_rate: options.limit_rate,
        max_filesize: options.max_filesize,
        // Narrowed by the entry loop (`execute::run_poll`) when nothing reads the body.
        keep_body: true,
        // Set per attempt by the retry loop (`execute::send_with_retries`).
        deadline: None,
        connect_deadline: None,
    })
}

fn resolve_path(root: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() { path.to_path_buf() } else { root.join(path) }
}

fn read_file(root: &Path, name: &str, span: Span) -> Result<Vec<u8>, RenderError> {
    let path = resolve_path(root, Path::new(name));
    std::fs::read(&path).map_err(|e| RenderError {
        message: format!("cannot read file {}: {e}", path.display()),
        span: Some(span),
    })
}

fn render_body(
    body: &Body,
    variables: &Variables,
    context: &RequestContext<'_>,
) -> Result<(Vec<u8>, Option<String>), RenderError> {
    let root = context.file_root;
    Ok(match &body.kind {
        BodyKind::Json(json) => (
            template::render_json_as_written(json, context.source, variables)?.into_bytes(),
            Some("application/json".to_owned()),
        ),
        BodyKind::Xml(xml) => (xml.value.clone().into_bytes(), Some("application/xml".to_owned())),
        BodyKind::Oneline(text) => (template::render(text, variables)?.into_bytes(), None),
        BodyKind::Multiline(multiline) => {
            let text = template::render(&multiline.value, variables)?;
            match &multiline.kind {
                MultilineKind::Text => (text.into_bytes(), None),
                MultilineKind::Json => (text.into_bytes(), Some("application/json".to_owned())),
                MultilineKind::Xml => (text.into_bytes(), Some("application/xml".to_owned())),
                MultilineKind::Graphql { .. } => (
                    template::graphql_document(multiline, variables)?.into_bytes(),
                    Some("application/json".to_owned()),
                ),
            }
        }
        BodyKind::Bytes(BytesLiteral::Base64(bytes) | BytesLiteral::Hex(bytes)) => {
            (bytes.value.clone(), None)
        }
        BodyKind::Bytes(BytesLiteral::File(name)) => {
            let name = template::render(name, variables)?;
            (read_file(root, &name, body.span)?, None)
        }
    })
}

fn multipart(
    params: &[MultipartParam],
    variables: &Variables,
    root: &Path,
) -> Result<(Vec<u8>, Option<String>), RenderError> {
    // curl's shape: 24 dashes and 16 random hex digits (so the body is as long as Hurl's).
    let random = uuid::Uuid::new_v4().as_u128() as u64;
    let boundary = format!("------------------------{random:016x}");
    let mut out: Vec<u8> = Vec::new();
    for param in params {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match param {
            MultipartParam::Field(kv) => {
                let name = template::render(&kv.key, variables)?;
                let value = template::render(&kv.value, variables)?;
                out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                );
                out.extend_from_slice(value.as_bytes());
            }
            MultipartParam::File(file) => {
                let name = template::render(&file.key, variables)?;
                let filename = template::render(&file.filename, variables)?;
                let content = read_file(root, &filename, file.span)?;
                let content_type = match &file.content_type {
                    Some(t) => template::render(t, variables)?,
                    None => guess_content_type(&filename).to_owned(),
                };
                out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n")
                        .as_bytes(),
                );
                out.extend_from_slice(&content);
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Ok((out, Some(format!("multipart/form-data; boundary={boundary}"))))
}

/// The content type Hurl (through curl) gives a multipart file by its extension.
fn guess_content_type(filename: &str) -> &'static str {
    let extension = Path::new(filename)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "txt" => "text/plain",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "xml" => "application/xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "pdf" => "application/pdf",
        "csv" => "text/csv",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netrc_finds_the_host_then_the_default() {
        let text = "machine other login a password b\nmachine localhost\nlogin bob@email.com\npassword secret\ndefault login d password e\n";
        assert_eq!(
            netrc_lookup(text, "localhost"),
            Some(("bob@email.com".to_owned(), "secret".to_owned()))
        );
        assert_eq!(netrc_lookup(text, "nowhere"), Some(("d".to_owned(), "e".to_owned())));
        assert_eq!(netrc_lookup("machine x login a password b", "y"), None);
    }

    #[test]
    fn raw_targets_keep_dot_segments() {
        assert_eq!(raw_request_target("http://h:1/a/../b?x=1#f").as_deref(), Some("/a/../b?x=1"));
        assert_eq!(raw_request_target("http://h?q").as_deref(), Some("/?q"));
        assert_eq!(raw_request_target("http://h").as_deref(), None);
    }

    #[test]
    fn content_types_follow_extensions() {
        assert_eq!(guess_content_type("a/b.TXT"), "text/plain");
        assert_eq!(guess_content_type("x.bin"), "application/octet-stream");
        assert_eq!(guess_content_type("noext"), "application/octet-stream");
    }
}

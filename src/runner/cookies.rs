//! The per-file cookie store, and the Netscape cookie-file format of `-b`/`-c`.
//!
//! One store is shared by all entries of a file, as in Hurl: cookies set by a
//! response are sent with later requests whose URL matches their domain, path
//! and `Secure` flag, until they expire. Matching follows RFC 6265 §5.1.3–5.1.4
//! closely enough for test services; no public-suffix list is consulted
//! because shakedown talks to one service under test.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One stored cookie.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCookie {
    /// The domain, without a leading dot.
    pub domain: String,
    /// Sent only to exactly `domain` (no `Domain` attribute was given).
    pub host_only: bool,
    /// The path prefix.
    pub path: String,
    /// Sent over HTTPS only.
    pub secure: bool,
    /// Expiry as seconds since the epoch; `None` for a session cookie.
    pub expires: Option<u64>,
    /// The name.
    pub name: String,
    /// The value.
    pub value: String,
    /// `HttpOnly`.
    pub http_only: bool,
}

impl StoredCookie {
    /// Whether `other` replaces this cookie: the same name, domain and path.
    fn same_key(&self, other: &StoredCookie) -> bool {
        self.name == other.name && self.domain == other.domain && self.path == other.path
    }
}

/// The cookies of one file.
#[derive(Clone, Debug, Default)]
pub struct CookieStore {
    cookies: Vec<StoredCookie>,
}

impl CookieStore {
    /// Every stored cookie, in insertion order.
    pub fn cookies(&self) -> &[StoredCookie] {
        &self.cookies
    }

    /// Stores the cookies of a response's `Set-Cookie` headers for `url`.
    pub fn store_response_cookies<'a>(
        &mut self,
        url: &url::Url,
        set_cookies: impl Iterator<Item = &'a str>,
    ) {
        let now = now_secs();
        for header in set_cookies {
            if let Some(cookie) = parse_set_cookie(header, url, now) {
                if cookie.expires.is_some_and(|e| e <= now) {
                    self.cookies.retain(|c| !c.same_key(&cookie));
                } else {
                    self.add(cookie);
                }
            }
        }
    }

    /// Adds a cookie read from a cookie file. A cookie replacing one of the same name,
    /// domain and path takes its place, so it keeps its age, as in curl.
    pub fn add(&mut self, cookie: StoredCookie) {
        match self.cookies.iter_mut().find(|c| c.same_key(&cookie)) {
            Some(old) => *old = cookie,
            None => self.cookies.push(cookie),
        }
    }

    /// The `name=value` pairs to send to `url`.
    pub fn cookies_for(&self, url: &url::Url) -> Vec<(String, String)> {
        if self.cookies.is_empty() {
            // The common case: no clock reading, no host lowered.
            return Vec::new();
        }
        let now = now_secs();
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let path = url.path();
        let secure = url.scheme() == "https";
        let mut matching: Vec<(usize, &StoredCookie)> = self
            .cookies
            .iter()
            .enumerate()
            .filter(|(_, c)| c.expires.is_none_or(|e| e > now))
            .filter(|(_, c)| domain_matches(&host, c))
            .filter(|(_, c)| path_matches(path, &c.path))
            .filter(|(_, c)| secure || !c.secure)
            .collect();
        // curl's order (which Hurl sends): longer paths first, then longer domains, then
        // longer names, then the newer cookie first.
        matching.sort_by_key(|(age, c)| {
            std::cmp::Reverse((c.path.len(), c.domain.len(), c.name.len(), *age))
        });
        matching.into_iter().map(|(_, c)| (c.name.clone(), c.value.clone())).collect()
    }

    /// The store in Netscape cookie-file format (curl's and Hurl's `--cookie-jar`).
    pub fn to_netscape(&self) -> String {
        let mut out = String::from("# Netscape HTTP Cookie File\n# Written by shakedown\n\n");
        for c in &self.cookies {
            let domain = if c.host_only { c.domain.clone() } else { format!(".{}", c.domain) };
            let domain = if c.http_only { format!("#HttpOnly_{domain}") } else { domain };
            let include_subdomains = if c.host_only { "FALSE" } else { "TRUE" };
            let secure = if c.secure { "TRUE" } else { "FALSE" };
            let expires = c.expires.unwrap_or(0);
            out.push_str(&format!(
                "{domain}\t{include_subdomains}\t{}\t{secure}\t{expires}\t{}\t{}\n",
                c.path, c.name, c.value
            ));
        }
        out
    }

    /// Reads a Netscape cookie file. Returns the 1-based numbers of lines that could not be read.
    pub fn read_netscape(&mut self, text: &str) -> Vec<usize> {
        let mut bad = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let (line, http_only) = match line.strip_prefix("#HttpOnly_") {
                Some(rest) => (rest, true),
                None => (line, false),
            };
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let [domain, include_subdomains, path, secure, expires, name, value] = fields[..]
            else {
                bad.push(i + 1);
                continue;
            };
            let Ok(expires) = expires.parse::<u64>() else {
                bad.push(i + 1);
                continue;
            };
            self.add(StoredCookie {
                domain: domain.trim_start_matches('.').to_ascii_lowercase(),
                host_only: include_subdomains != "TRUE",
                path: path.to_owned(),
                secure: secure == "TRUE",
                expires: (expires != 0).then_some(expires),
                name: name.to_owned(),
                value: value.to_owned(),
                http_only,
            });
        }
        bad
    }
}

impl CookieStore {
    /// Applies Hurl's experimental cookie-storage comments found in `comments`
    /// (the lines before an entry): `# @cookie_storage_set: <Netscape fields>`
    /// adds a cookie (fields separated by tabs or spaces), `# @cookie_storage_clear`
    /// empties the store.
    pub fn apply_storage_comments(&mut self, comments: &str) {
        for line in comments.lines() {
            let Some(comment) = line.trim_start().strip_prefix('#') else { continue };
            let comment = comment.trim();
            if comment == "@cookie_storage_clear" {
                self.cookies.clear();
            } else if let Some(fields) = comment.strip_prefix("@cookie_storage_set:") {
                let line = fields.split_whitespace().collect::<Vec<_>>().join("\t");
                self.read_netscape(&line);
            }
        }
    }
}

/// The value of a `Cookie` request header for these `name=value` pairs (RFC 6265 §5.4).
pub fn cookie_header(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ")
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs()
}

fn domain_matches(host: &str, cookie: &StoredCookie) -> bool {
    if cookie.host_only {
        return host == cookie.domain;
    }
    host == cookie.domain
        || (host.ends_with(&cookie.domain)
            && host.as_bytes().get(host.len() - cookie.domain.len() - 1) == Some(&b'.'))
}

fn path_matches(request_path: &str, cookie_path: &str) -> bool {
    if request_path == cookie_path {
        return true;
    }
    request_path.starts_with(cookie_path)
        && (cookie_path.ends_with('/')
            || request_path.as_bytes().get(cookie_path.len()) == Some(&b'/'))
}

/// The default path of a cookie set by `url` (RFC 6265 §5.1.4).
fn default_path(url: &url::Url) -> String {
    let path = url.path();
    match path.rfind('/') {
        Some(0) | None => "/".to_owned(),
        Some(i) => path[..i].to_owned(),
    }
}

/// Parses one `Set-Cookie` header value into a stored cookie.
pub fn parse_set_cookie(header: &str, url: &url::Url, now: u64) -> Option<StoredCookie> {
    let mut parts = header.split(';');
    let (name, value) = parts.next()?.split_once('=')?;
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let mut cookie = StoredCookie {
        domain: host.clone(),
        host_only: true,
        path: default_path(url),
        secure: false,
        expires: None,
        name: name.to_owned(),
        value: value.trim().trim_matches('"').to_owned(),
        http_only: false,
    };
    let mut max_age_seen = false;
    for attribute in parts {
        let (key, val) = match attribute.split_once('=') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => (attribute.trim(), ""),
        };
        match key.to_ascii_lowercase().as_str() {
            "domain" if !val.is_empty() => {
                let domain = val.trim_start_matches('.').to_ascii_lowercase();
                // A server may only set cookies for its own domain or a parent of it.
                let allowed = host == domain || host.ends_with(&format!(".{domain}"));
                if !allowed {
                    return None;
                }
                cookie.domain = domain;
                cookie.host_only = false;
            }
            "path" if val.starts_with('/') => cookie.path = val.to_owned(),
            "secure" => cookie.secure = true,
            "httponly" => cookie.http_only = true,
            "max-age" => {
                if let Ok(seconds) = val.parse::<i64>() {
                    max_age_seen = true;
                    cookie.expires = Some(if seconds <= 0 {
                        0
                    } else {
                        now.saturating_add(seconds.unsigned_abs())
                    });
                }
            }
            "expires" if !max_age_seen => {
                if let Ok(date) = chrono::DateTime::parse_from_rfc2822(&val.replace('-', " ")) {
                    cookie.expires = Some(u64::try_from(date.timestamp()).unwrap_or(0));
                }
            }
            _ => {}
        }
    }
    Some(cookie)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn cookies_are_sent_back_by_domain_and_path() {
        let mut store = CookieStore::default();
        let origin = url("http://127.0.0.1:8000/cookies/set");
        store.store_response_cookies(
            &origin,
            ["a=1", "b=2; Path=/api", "c=3; Secure", "d=4; Max-Age=0"].into_iter(),
        );
        assert_eq!(
            store.cookies_for(&url("http://127.0.0.1:8000/cookies/echo")),
            [("a".to_owned(), "1".to_owned())]
        );
        let api: Vec<_> = store
            .cookies_for(&url("http://127.0.0.1:8000/api/x"))
            .into_iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(api, ["b"]);
        assert!(store.cookies_for(&url("http://127.0.0.2:8000/cookies/echo")).is_empty());
    }

    #[test]
    fn cookies_go_out_in_curls_order_and_a_replaced_cookie_keeps_its_age() {
        let mut store = CookieStore::default();
        let origin = url("http://127.0.0.1:8000/api/x");
        store.store_response_cookies(
            &origin,
            ["old=1; Path=/", "ab=2; Path=/", "cd=3; Path=/", "deep=4; Path=/api", "z=5; Path=/"]
                .into_iter(),
        );
        // Longer path first, then longer name, then the newer first.
        let names = |store: &CookieStore| -> Vec<String> {
            store.cookies_for(&origin).into_iter().map(|(n, _)| n).collect()
        };
        assert_eq!(names(&store), ["deep", "old", "cd", "ab", "z"]);
        // `ab` replaced: it keeps its place among the cookies of its length (older than `cd`).
        store.store_response_cookies(&origin, ["ab=9; Path=/"].into_iter());
        assert_eq!(names(&store), ["deep", "old", "cd", "ab", "z"]);
        assert!(store.cookies_for(&origin).contains(&("ab".to_owned(), "9".to_owned())));
    }

    #[test]
    fn netscape_round_trip() {
        let mut store = CookieStore::default();
        store.store_response_cookies(&url("http://localhost/"), ["s=v; HttpOnly"].into_iter());
        let text = store.to_netscape();
        let mut read = CookieStore::default();
        assert!(read.read_netscape(&text).is_empty());
        assert_eq!(read.cookies(), store.cookies());
        assert_eq!(read.read_netscape("bad line\n"), [1]);
    }

    #[test]
    fn foreign_domain_is_refused() {
        assert!(parse_set_cookie("a=1; Domain=evil.test", &url("http://localhost/"), 0).is_none());
        let c = parse_set_cookie("a=1; Domain=.example.com", &url("http://api.example.com/"), 0);
        assert!(c.is_some_and(|c| !c.host_only && c.domain == "example.com"));
    }
}

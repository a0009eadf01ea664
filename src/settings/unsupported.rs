//! The one table of Hurl features shakedown does not support: the name, the reason,
//! and what to use instead. `shakedown test` refuses the flags, the runner refuses the
//! `[Options]` when an entry runs, `shakedown check` reports the options before
//! anything runs, and `docs/hurl-coverage.md` is checked against it by a test.

use crate::scenario::ParseDiagnostic;
use crate::scenario::ast::{
    EntryOption, HurlFile, OptionName, OptionValue, RequestSectionKind, Span,
};

/// How the command line treats an unsupported feature's flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagRule {
    /// No such flag in `shakedown test` (the feature is an `[Options]` name only).
    None,
    /// Declared, and refused with a usage error (exit 1) that names it.
    Usage,
    /// Declared, and refused with a runtime error (exit 3), as Hurl does when its
    /// libcurl lacks the feature.
    Runtime,
}

/// One unsupported feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unsupported {
    /// Hurl's name: `--NAME` on the command line, `NAME:` in `[Options]`.
    pub name: &'static str,
    /// How the command line treats `--NAME`.
    pub flag: FlagRule,
    /// The `[Options]` name, when Hurl has the option.
    pub option: Option<OptionName>,
    /// Why shakedown does not support it.
    pub reason: &'static str,
    /// What to use instead, if anything.
    pub instead: Option<&'static str>,
}

impl Unsupported {
    /// The reason, then what to use instead: one sentence for every error message.
    pub fn explanation(&self) -> String {
        match self.instead {
            Some(instead) => format!("{}; instead, {instead}", self.reason),
            None => self.reason.to_owned(),
        }
    }
}

const DIRECT: &str = "shakedown talks to the service under test directly";
const AUTH: &str = "only Basic authentication and AWS SigV4 are supported";
const AUTH_INSTEAD: &str = "use Basic authentication (`--user`, `[BasicAuth]`) or `--aws-sigv4`";

/// Every unsupported feature.
pub const UNSUPPORTED: &[Unsupported] = &[
    Unsupported {
        name: "proxy",
        flag: FlagRule::Usage,
        option: Some(OptionName::Proxy),
        reason: DIRECT,
        instead: Some(
            "point the URL at the service; to inject faults, run `shakedown proxy` in front of it",
        ),
    },
    Unsupported {
        name: "noproxy",
        flag: FlagRule::Usage,
        option: None,
        reason: DIRECT,
        instead: Some("leave it out: no proxy is ever used"),
    },
    Unsupported {
        name: "unix-socket",
        flag: FlagRule::Usage,
        option: Some(OptionName::UnixSocket),
        reason: "only TCP connections are instrumented",
        instead: Some("let the service listen on a loopback TCP port"),
    },
    Unsupported {
        name: "ntlm",
        flag: FlagRule::Usage,
        option: Some(OptionName::Ntlm),
        reason: AUTH,
        instead: Some(AUTH_INSTEAD),
    },
    Unsupported {
        name: "negotiate",
        flag: FlagRule::Usage,
        option: Some(OptionName::Negotiate),
        reason: AUTH,
        instead: Some(AUTH_INSTEAD),
    },
    Unsupported {
        name: "digest",
        flag: FlagRule::Usage,
        option: Some(OptionName::Digest),
        reason: AUTH,
        instead: Some(AUTH_INSTEAD),
    },
    Unsupported {
        name: "pinnedpubkey",
        flag: FlagRule::Usage,
        option: Some(OptionName::PinnedPubkey),
        reason: "public key pinning is not supported",
        instead: Some("trust the service's certificate with `--cacert`"),
    },
    Unsupported {
        name: "http3",
        flag: FlagRule::Runtime,
        option: Some(OptionName::Http3),
        reason: "HTTP/3 is not supported",
        instead: Some("use `--http2` or `--http1.1`"),
    },
    Unsupported {
        name: "tls-max",
        flag: FlagRule::None,
        option: Some(OptionName::TlsMax),
        reason: "TLS version bounds are not supported yet",
        instead: None,
    },
    Unsupported {
        name: "tls-min",
        flag: FlagRule::None,
        option: Some(OptionName::TlsMin),
        reason: "TLS version bounds are not supported yet",
        instead: None,
    },
    Unsupported {
        name: "fail-with-body",
        flag: FlagRule::None,
        option: Some(OptionName::FailWithBody),
        reason: "fail-with-body has no meaning in test mode",
        instead: Some("leave it out: a failed assert already fails the entry"),
    },
    Unsupported {
        name: "no-header",
        flag: FlagRule::None,
        option: Some(OptionName::NoHeader),
        reason: "not supported yet",
        instead: None,
    },
    Unsupported {
        name: "no-jsonpath-coercion",
        flag: FlagRule::None,
        option: Some(OptionName::NoJsonpathCoercion),
        reason: "not supported yet",
        instead: None,
    },
];

/// The feature behind an `[Options]` name, if shakedown does not support it.
pub fn option(name: OptionName) -> Option<&'static Unsupported> {
    UNSUPPORTED.iter().find(|u| u.option == Some(name))
}

/// The feature behind `--NAME` (without the dashes), if shakedown does not support it.
pub fn flag(name: &str) -> Option<&'static Unsupported> {
    UNSUPPORTED.iter().find(|u| u.flag != FlagRule::None && u.name == name)
}

/// The error message of an unsupported option, and where: the same words whether
/// `check` or the runner says it.
pub fn option_error(option: &EntryOption, feature: &Unsupported) -> (String, Span) {
    (
        format!(
            "option `{}` is not supported by shakedown: {}",
            option.name.value,
            feature.explanation()
        ),
        option.name.span,
    )
}

/// What `shakedown check` finds in a parsed file before anything runs, so that a file it
/// accepts is one `test` and `run` can run: every unsupported option, and every literal
/// `header`, `resolve` and `connect-to` value the runner's parsers would refuse
/// (a templated value is only known when the entry runs).
pub fn check_options(file: &HurlFile) -> Vec<ParseDiagnostic> {
    let mut found = Vec::new();
    let options = file
        .entries
        .iter()
        .flat_map(|entry| &entry.request.sections)
        .filter_map(|section| match &section.kind {
            RequestSectionKind::Options(options) => Some(options),
            _ => None,
        })
        .flatten();
    for option in options {
        let name = option.name.value;
        if let Some(feature) = self::option(name) {
            let mut diagnostic = ParseDiagnostic::new(
                format!("option `{name}` is not supported by shakedown"),
                option.name.span,
                feature.reason,
            );
            diagnostic.help = feature.instead.map(|i| format!("instead, {i}"));
            found.push(diagnostic);
            continue;
        }
        let OptionValue::Template(template) = &option.value else { continue };
        let Some(text) = template.as_literal() else { continue };
        let error = match name {
            OptionName::Header => super::Header::parse(&text).err().map(|e| e.to_string()),
            OptionName::Resolve => super::ResolveRule::parse(&text).err().map(|e| e.to_string()),
            OptionName::ConnectTo => super::ConnectTo::parse(&text).err().map(|e| e.to_string()),
            _ => None,
        };
        if let Some(why) = error {
            found.push(ParseDiagnostic::new(
                format!("invalid option `{name}` <{text}>"),
                template.span,
                why,
            ));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_options_match_their_names() {
        for (i, a) in UNSUPPORTED.iter().enumerate() {
            assert!(UNSUPPORTED[i + 1..].iter().all(|b| b.name != a.name), "{}", a.name);
            if let Some(option) = a.option {
                assert_eq!(option.as_str(), a.name);
            }
            assert!(a.flag != FlagRule::None || a.option.is_some(), "{}: neither", a.name);
        }
        assert!(option(OptionName::Http3).is_some());
        assert!(option(OptionName::Retry).is_none());
        assert_eq!(flag("proxy").map(|u| u.flag), Some(FlagRule::Usage));
        assert!(flag("tls-max").is_none());
    }

    #[test]
    fn an_unsupported_option_in_a_file_is_found_before_it_runs() {
        let (file, diagnostics) = crate::scenario::parse(
            "GET http://a.test/\n[Options]\nretry: 2\nhttp3: true\n\nGET http://a.test/\n",
        );
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let found = check_options(&file);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message, "option `http3` is not supported by shakedown");
        assert_eq!(found[0].label, "HTTP/3 is not supported");
        let (file, _) = crate::scenario::parse(
            "GET http://a.test/\n[Options]\nresolve: nonsense\nconnect-to: a.test:80:b:81\nheader: {{h}}\nheader: nope\n",
        );
        let found: Vec<String> = check_options(&file).into_iter().map(|d| d.message).collect();
        assert_eq!(
            found,
            ["invalid option `resolve` <nonsense>", "invalid option `header` <nope>"]
        );
    }
}

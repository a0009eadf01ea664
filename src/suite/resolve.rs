//! From the raw file to a validated [`Suite`]: every semantic check lives here.
//!
//! [`parse_suite`] deserialises with `toml` (which stops at the first syntax or
//! type error: that one is reported alone), then runs every check over what it
//! got and reports every problem it finds, sorted by position. It never reads
//! the filesystem: `suite_dir` is only joined to the paths in the file.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use regex::Regex;
use toml::Spanned;

use crate::scenario::{LineIndex, work};
use crate::suite::diagnostic::{self, SuiteDiagnostic, did_you_mean, known_list};
use crate::suite::file::{
    self, Argv, DurationText, Entries, EnvText, GlobList, LayerFile, LoadFile, ReadyFile, RunFile,
    ServerFile, StopFile, Strings, SuiteFile,
};
use crate::suite::model::{
    AddressGroup, CommandSpec, EnvVar, FlakyResult, Isolation, Layer, LayerKind, LoadDef, Program,
    Readiness, RunSettings, ServerDef, ServerId, ServerTarget, Signal, StopDef, Suite,
    TransportRetry, Variable, VariableValue,
};
use crate::suite::template::{self, Part, Placeholder, RawPart, ScanError, Template};

/// How long a readiness check waits when the file does not say.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a stop waits before `SIGKILL` when the file does not say.
pub const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(5);

/// Parses and validates a suite file.
///
/// `source` is the file's text; `suite_dir` is the directory that holds it
/// (pass an absolute path to get absolute paths back). On failure, every
/// diagnostic found, in source order; render them with
/// [`super::render`].
pub fn parse_suite(source: &str, suite_dir: &Path) -> Result<Suite, Vec<SuiteDiagnostic>> {
    let file: SuiteFile = match toml::from_str(source) {
        Ok(file) => file,
        Err(error) => return Err(vec![diagnostic::from_toml(&error, source)]),
    };
    let mut resolver = Resolver { source, dir: suite_dir, diags: Vec::new() };
    let suite = resolver.suite(file);
    let mut diags = resolver.diags;
    match suite {
        Some(suite) if diags.is_empty() => Ok(suite),
        _ => {
            if diags.is_empty() {
                // A check returned nothing without saying why: a bug, but still
                // not a reason to accept the file.
                diags.push(SuiteDiagnostic::new("invalid suite", 0..0, "here"));
            }
            diags.sort_by_key(|d| (d.span.start, d.span.end));
            Err(diags)
        }
    }
}

/// The placeholders every template may use, for help texts.
const PLACEHOLDER_HELP: &str = "placeholders are `{port}`, `{url}`, `{servers.NAME.port}` and `{servers.NAME.url}`; write `{{` and `}}` for literal braces";

/// The duration syntax, for help texts.
const DURATION_HELP: &str = r#"write a whole number and a unit: "500ms", "10s", "2m" or "1h""#;

/// Where a template is used, which decides what its placeholders may name.
struct Scope<'a> {
    /// Every `[servers.NAME]`, in declared order.
    declared: &'a [String],
    /// How many of `declared` have started when this command starts.
    started: usize,
    /// The named server this command launches, if any.
    own_name: Option<&'a str>,
    /// Whether `{port}` and `{url}` have a server to refer to.
    has_own: bool,
}

struct Resolver<'a> {
    source: &'a str,
    dir: &'a Path,
    diags: Vec<SuiteDiagnostic>,
}

impl Resolver<'_> {
    fn error(&mut self, diag: SuiteDiagnostic) {
        self.diags.push(diag);
    }

    fn suite(&mut self, file: SuiteFile) -> Option<Suite> {
        let named: Vec<(Spanned<String>, Spanned<ServerFile>)> =
            file.servers.map(|s| s.into_inner().0).unwrap_or_default();
        let declared: Vec<String> = named.iter().map(|(k, _)| k.get_ref().clone()).collect();

        let mut servers = Some(Vec::new());
        for (i, (name, server)) in named.iter().enumerate() {
            self.check_server_name(name);
            let scope = Scope {
                declared: &declared,
                started: i,
                own_name: Some(name.get_ref()),
                has_own: true,
            };
            let id = ServerId::Named(name.get_ref().clone());
            let def = self.server(id, name.span(), server.get_ref(), &scope);
            servers = servers.zip(def).map(|(mut v, d)| {
                v.push(d);
                v
            });
        }

        let main_scope =
            Scope { declared: &declared, started: declared.len(), own_name: None, has_own: true };
        let mut ok = true;
        let server = file
            .server
            .as_ref()
            .map(|s| self.server(ServerId::Main, s.span(), s.get_ref(), &main_scope));
        let server = settle(server, &mut ok);

        let variables = match &file.variables {
            Some(v) => self.variables(v.get_ref(), &declared),
            None => Some(Vec::new()),
        };

        let layer_scope = Scope {
            declared: &declared,
            started: declared.len(),
            own_name: None,
            has_own: file.server.is_some(),
        };
        if file.layer.is_empty() {
            // A gate that runs nothing would pass every deployment.
            self.error(
                SuiteDiagnostic::new("the suite has no layers", 0..0, "nothing to run")
                    .with_help(r#"add a [[layer]] with `name` and either `command = [...]` or `scenarios = ["*.hurl"]`"#),
            );
        }
        let layers = self.layers(&file.layer, &layer_scope, file.server.is_some());
        let run = match &file.run {
            Some(r) => self.run(r.get_ref()),
            None => Some(RunSettings::default()),
        };
        let faults = match file.faults {
            Some(raw) => {
                let span = raw.span();
                let raw = raw.into_inner();
                if let Some(servers) = &raw.servers {
                    let named: Vec<&str> = declared.iter().map(String::as_str).collect();
                    self.diags.extend(crate::suite::faults::check_server_names(
                        servers.get_ref(),
                        file.server.is_some(),
                        &named,
                    ));
                } else if file.server.is_none() {
                    self.error(
                        SuiteDiagnostic::new(
                            "[faults] fronts the main server, and the suite has no [server]",
                            span.clone(),
                            "this plan",
                        )
                        .with_help(r#"name the servers to front: servers = ["NAME"]"#),
                    );
                }
                crate::suite::faults::resolve_faults(raw, span, &mut self.diags).map(Some)
            }
            None => Some(None),
        };
        let load = file.load.as_ref().map(|table| self.load(table, false));
        let load = settle(load, &mut ok);

        if !ok {
            return None;
        }
        Some(Suite {
            dir: self.dir.to_path_buf(),
            server,
            servers: servers?,
            variables: variables?,
            layers: layers?,
            run: run?,
            faults: faults?,
            load,
        })
    }

    fn check_server_name(&mut self, name: &Spanned<String>) {
        if !is_identifier(name.get_ref()) {
            self.error(
                SuiteDiagnostic::new(
                    format!("invalid server name `{}`", name.get_ref()),
                    name.span(),
                    "not a name",
                )
                .with_help("a server name starts with a letter or `_` and has only letters, digits, `_` and `-`"),
            );
        }
    }

    fn server(
        &mut self,
        id: ServerId,
        span: Range<usize>,
        file: &ServerFile,
        scope: &Scope<'_>,
    ) -> Option<ServerDef> {
        let external = file.command.is_none() && file.url.is_some();
        let target = match (&file.command, &file.url) {
            (Some(_), Some(url)) => {
                self.error(
                    SuiteDiagnostic::new(
                        "a server has either `command` or `url`, not both",
                        url.span(),
                        "an external target launches nothing",
                    )
                    .with_help("remove `url` to launch the server, or `command` to test one that is already running"),
                );
                None
            }
            (None, None) => {
                self.error(
                    SuiteDiagnostic::new(
                        "the server has neither `command` nor `url`",
                        span.clone(),
                        "this server",
                    )
                    .with_help(r#"add `command = [...]` to launch it, or `url = "https://..."` for an external target"#),
                );
                None
            }
            (Some(command), None) => {
                let command =
                    self.command(command, file.cwd.as_ref(), file.env.as_ref(), scope, self.dir);
                let stop = self.stop(file.stop.as_ref());
                command.zip(stop).map(|(command, stop)| ServerTarget::Launch { command, stop })
            }
            (None, Some(url)) => {
                for (key, key_span) in [
                    ("cwd", file.cwd.as_ref().map(Spanned::span)),
                    ("env", file.env.as_ref().map(Spanned::span)),
                    ("stop", file.stop.as_ref().map(Spanned::span)),
                ] {
                    if let Some(key_span) = key_span {
                        self.error(
                            SuiteDiagnostic::new(
                                format!("`{key}` has no effect on an external target"),
                                key_span,
                                "nothing is launched",
                            )
                            .with_help(format!(
                                "remove `{key}`, or add `command` and remove `url`"
                            )),
                        );
                    }
                }
                self.url(url).map(|url| ServerTarget::External { url })
            }
        };
        let ready = match &file.ready {
            Some(ready) => self.readiness(ready, external),
            None => {
                self.error(
                    SuiteDiagnostic::new("the server has no `ready` check", span.clone(), "this server")
                        .with_help(r#"add one of: ready = { http = "/health" }, ready = { tcp = true }, ready = { stdout = "REGEX" }"#),
                );
                None
            }
        };
        Some(ServerDef { id, span, target: target?, ready: ready? })
    }

    fn url(&mut self, text: &Spanned<String>) -> Option<Spanned<url::Url>> {
        match url::Url::parse(text.get_ref()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                Some(Spanned::new(text.span(), url))
            }
            Ok(url) => {
                self.error(
                    SuiteDiagnostic::new(
                        format!("unsupported URL `{}`", text.get_ref()),
                        text.span(),
                        format!("scheme `{}`", url.scheme()),
                    )
                    .with_help("an external target is an `http://` or `https://` URL with a host"),
                );
                None
            }
            Err(error) => {
                self.error(
                    SuiteDiagnostic::new(
                        format!("invalid URL `{}`", text.get_ref()),
                        text.span(),
                        error.to_string(),
                    )
                    .with_help(r#"such as url = "https://staging.example.com""#),
                );
                None
            }
        }
    }

    fn readiness(&mut self, ready: &Spanned<ReadyFile>, external: bool) -> Option<Readiness> {
        let file = ready.get_ref();
        let kinds: Vec<(&str, Range<usize>)> = [
            ("http", file.http.as_ref().map(Spanned::span)),
            ("tcp", file.tcp.as_ref().map(Spanned::span)),
            ("stdout", file.stdout.as_ref().map(Spanned::span)),
        ]
        .into_iter()
        .filter_map(|(k, s)| s.map(|s| (k, s)))
        .collect();
        let timeout = match &file.timeout {
            Some(t) => self.duration(t, "timeout", false),
            None => Some(DEFAULT_READY_TIMEOUT),
        };
        let mut ok = true;
        if let Some(status) = &file.status
            && file.http.is_none()
        {
            ok = false;
            self.error(
                SuiteDiagnostic::new(
                    "`status` applies to `http` readiness only",
                    status.span(),
                    "no `http` check here",
                )
                .with_help(r#"add `http = "/health"`, or remove `status`"#),
            );
        }
        match kinds.as_slice() {
            [] => {
                self.error(
                    SuiteDiagnostic::new("`ready` names no readiness kind", ready.span(), "no kind")
                        .with_help(r#"add exactly one of `http = "/health"`, `tcp = true` or `stdout = "REGEX"`"#),
                );
                return None;
            }
            [_] => {}
            [(first, _), (second, second_span), ..] => {
                self.error(
                    SuiteDiagnostic::new(
                        format!("`ready` has two readiness kinds, `{first}` and `{second}`"),
                        second_span.clone(),
                        "second readiness kind",
                    )
                    .with_help("keep exactly one of `http`, `tcp` or `stdout`"),
                );
                return None;
            }
        }
        let kind = if let Some(path) = &file.http {
            let path = self.http_path(path);
            let status = self.status(file.status.as_ref());
            path.zip(status).map(|(path, status)| ReadyKind::Http { path, status })
        } else if let Some(tcp) = &file.tcp {
            if *tcp.get_ref() {
                Some(ReadyKind::Tcp)
            } else {
                self.error(
                    SuiteDiagnostic::new("`tcp = false` checks nothing", tcp.span(), "false")
                        .with_help("write `tcp = true`, or use `http` or `stdout`"),
                );
                None
            }
        } else if let Some(stdout) = &file.stdout {
            if external {
                self.error(
                    SuiteDiagnostic::new(
                        "`stdout` readiness needs a launched server",
                        stdout.span(),
                        "an external target has no output to watch",
                    )
                    .with_help("use `http` or `tcp` readiness for an external target"),
                );
                None
            } else {
                self.pattern(stdout)
            }
        } else {
            None
        };
        let (kind, timeout) = kind.zip(timeout)?;
        if !ok {
            return None;
        }
        Some(match kind {
            ReadyKind::Tcp => Readiness::Tcp { timeout },
            ReadyKind::Http { path, status } => Readiness::Http { path, status, timeout },
            ReadyKind::Stdout { pattern, address } => {
                Readiness::Stdout { pattern, address, timeout }
            }
        })
    }

    fn http_path(&mut self, path: &Spanned<String>) -> Option<String> {
        if path.get_ref().starts_with('/') {
            return Some(path.get_ref().clone());
        }
        let help = if path.get_ref().contains("://") {
            r#"give the path only, such as http = "/health"; the server's address is known"#
        } else {
            r#"such as http = "/health""#
        };
        self.error(
            SuiteDiagnostic::new(
                "the readiness path must start with `/`",
                path.span(),
                "not an absolute path",
            )
            .with_help(help),
        );
        None
    }

    fn status(&mut self, status: Option<&Spanned<i64>>) -> Option<u16> {
        let Some(status) = status else { return Some(200) };
        match u16::try_from(*status.get_ref()) {
            Ok(code @ 100..=599) => Some(code),
            _ => {
                self.error(
                    SuiteDiagnostic::new(
                        format!("invalid HTTP status {}", status.get_ref()),
                        status.span(),
                        "not a status code",
                    )
                    .with_help("a status code is between 100 and 599"),
                );
                None
            }
        }
    }

    fn pattern(&mut self, text: &Spanned<String>) -> Option<ReadyKind> {
        match Regex::new(text.get_ref()) {
            Ok(pattern) => {
                let has_group = |group: &str| pattern.capture_names().flatten().any(|n| n == group);
                let address = if has_group("url") {
                    Some(AddressGroup::Url)
                } else if has_group("port") {
                    Some(AddressGroup::Port)
                } else {
                    None
                };
                Some(ReadyKind::Stdout { pattern, address })
            }
            Err(error) => {
                let text_error = error.to_string();
                let reason = text_error
                    .lines()
                    .rev()
                    .find_map(|l| l.trim().strip_prefix("error: "))
                    .unwrap_or("does not compile")
                    .to_owned();
                self.error(
                    SuiteDiagnostic::new("invalid regular expression", text.span(), reason)
                        .with_help(r"the syntax is the `regex` crate's; in a TOML basic string write `\\` for a backslash"),
                );
                None
            }
        }
    }

    fn stop(&mut self, stop: Option<&Spanned<StopFile>>) -> Option<StopDef> {
        let Some(stop) = stop else {
            return Some(StopDef { signal: Signal::Term, grace: DEFAULT_STOP_GRACE });
        };
        let stop = stop.get_ref();
        let signal = match &stop.signal {
            Some(signal) => self.signal(signal),
            None => Some(Signal::Term),
        };
        let grace = match &stop.grace {
            Some(grace) => self.duration(grace, "grace", true),
            None => Some(DEFAULT_STOP_GRACE),
        };
        let (signal, grace) = signal.zip(grace)?;
        Some(StopDef { signal, grace })
    }

    fn signal(&mut self, text: &Spanned<String>) -> Option<Signal> {
        let name = text.get_ref();
        if let Some(signal) = Signal::ALL.into_iter().find(|s| s.name() == name) {
            return Some(signal);
        }
        let names: Vec<&str> = Signal::ALL.iter().map(|s| s.name()).collect();
        let prefixed = format!("SIG{}", name.to_uppercase());
        let best = names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(name) || **n == prefixed)
            .copied()
            .or_else(|| did_you_mean(name, &names));
        let list = known_list(&names);
        let help = match best {
            Some(best) => format!("did you mean `{best}`? {list}"),
            None => list,
        };
        self.error(
            SuiteDiagnostic::new(format!("unknown signal `{name}`"), text.span(), "unknown signal")
                .with_help(help),
        );
        None
    }

    fn duration(
        &mut self,
        text: &Spanned<DurationText>,
        key: &str,
        allow_zero: bool,
    ) -> Option<Duration> {
        let raw = text.get_ref().0.as_str();
        // The one grammar of the command line: a bare number is seconds, as for `run`'s flags.
        match crate::settings::parse_duration(raw, crate::scenario::ast::DurationUnit::Second) {
            Ok(d) if d.is_zero() && !allow_zero => {
                self.error(
                    SuiteDiagnostic::new(
                        format!("`{key}` must be greater than zero"),
                        text.span(),
                        "zero",
                    )
                    .with_help(DURATION_HELP),
                );
                None
            }
            Ok(d) => Some(d),
            Err(reason) => {
                self.error(
                    SuiteDiagnostic::new(
                        format!("invalid duration `{raw}`"),
                        text.span(),
                        reason.to_string(),
                    )
                    .with_help(DURATION_HELP),
                );
                None
            }
        }
    }

    fn command(
        &mut self,
        argv: &Spanned<Argv>,
        cwd: Option<&Spanned<String>>,
        env: Option<&Spanned<Entries<EnvText>>>,
        scope: &Scope<'_>,
        default_cwd: &Path,
    ) -> Option<CommandSpec> {
        let cwd = match cwd {
            Some(cwd) => Spanned::new(cwd.span(), join(self.dir, cwd.get_ref())),
            None => Spanned::new(argv.span(), clean(default_cwd)),
        };
        let env = match env {
            Some(env) => self.env(env.get_ref(), scope),
            None => Some(Vec::new()),
        };
        let Some((first, rest)) = argv.get_ref().items.split_first() else {
            self.error(
                SuiteDiagnostic::new("the command is empty", argv.span(), "no program")
                    .with_help(r#"give the program and its arguments, such as ["python", "manage.py", "test"]"#),
            );
            return None;
        };
        let program = self.program(first, cwd.get_ref());
        let mut args = Some(Vec::new());
        for arg in rest {
            let t = self.template(arg, scope);
            args = args.zip(t).map(|(mut v, t)| {
                v.push(t);
                v
            });
        }
        Some(CommandSpec { program: program?, args: args?, cwd, env: env?, span: argv.span() })
    }

    fn program(&mut self, first: &Spanned<String>, cwd: &Path) -> Option<Program> {
        let name = first.get_ref();
        if name.is_empty() {
            self.error(
                SuiteDiagnostic::new("the program name is empty", first.span(), "empty")
                    .with_help("`command[0]` is the program to run"),
            );
            return None;
        }
        if name.contains(['{', '}']) {
            self.error(
                SuiteDiagnostic::new(
                    "the program name cannot contain placeholders or braces",
                    first.span(),
                    "`command[0]`",
                )
                .with_help("placeholders go in the arguments; the program is found before any server starts"),
            );
            return None;
        }
        if name.contains('/') {
            Some(Program::Path(Spanned::new(first.span(), join(cwd, name))))
        } else {
            Some(Program::Search(first.clone()))
        }
    }

    fn env(&mut self, env: &Entries<EnvText>, scope: &Scope<'_>) -> Option<Vec<EnvVar>> {
        let mut vars = Some(Vec::new());
        for (name, value) in &env.0 {
            let name_ok = !name.get_ref().is_empty() && !name.get_ref().contains(['=', '\0']);
            if !name_ok {
                self.error(
                    SuiteDiagnostic::new(
                        format!("invalid environment variable name `{}`", name.get_ref()),
                        name.span(),
                        "not a variable name",
                    )
                    .with_help("a name is not empty and has no `=`"),
                );
            }
            let text = Spanned::new(value.span(), value.get_ref().0.clone());
            let value = self.template(&text, scope).filter(|_| name_ok);
            vars = vars.zip(value).map(|(mut v, value)| {
                v.push(EnvVar { name: name.clone(), value });
                v
            });
        }
        vars
    }

    /// Parses a string with placeholders and checks each one against `scope`.
    fn template(&mut self, text: &Spanned<String>, scope: &Scope<'_>) -> Option<Template> {
        let value = text.get_ref();
        let offset = value_offset(self.source, text.span(), value);
        let sub = |range: Range<usize>| match offset {
            Some(o) => o + range.start..o + range.end,
            None => text.span(),
        };
        let raw = match template::scan(value) {
            Ok(raw) => raw,
            Err(ScanError::Unclosed(range)) => {
                self.error(
                    SuiteDiagnostic::new(
                        "unclosed `{` in a placeholder",
                        sub(range),
                        "no matching `}`",
                    )
                    .with_help(PLACEHOLDER_HELP),
                );
                return None;
            }
            Err(ScanError::Unmatched(range)) => {
                self.error(
                    SuiteDiagnostic::new("unmatched `}`", sub(range), "closes nothing")
                        .with_help(PLACEHOLDER_HELP),
                );
                return None;
            }
        };
        let mut parts = Some(Vec::new());
        for part in raw {
            let part = match part {
                RawPart::Literal(text) => Some(Part::Literal(text)),
                RawPart::Name(name, range) => {
                    let span = sub(range);
                    self.placeholder(&name, span.clone(), scope)
                        .map(|p| Part::Placeholder(Spanned::new(span, p)))
                }
            };
            parts = parts.zip(part).map(|(mut v, p)| {
                v.push(p);
                v
            });
        }
        Some(Template::new(parts?, text.span()))
    }

    fn placeholder(
        &mut self,
        name: &str,
        span: Range<usize>,
        scope: &Scope<'_>,
    ) -> Option<Placeholder> {
        let placeholder = match name {
            "port" => Placeholder::Port,
            "url" => Placeholder::Url,
            _ => match name.split('.').collect::<Vec<_>>().as_slice() {
                ["servers", server, "port"] => Placeholder::ServerPort((*server).to_owned()),
                ["servers", server, "url"] => Placeholder::ServerUrl((*server).to_owned()),
                _ => {
                    self.unknown_placeholder(name, span, scope);
                    return None;
                }
            },
        };
        match &placeholder {
            Placeholder::Port | Placeholder::Url if !scope.has_own => {
                self.error(
                    SuiteDiagnostic::new(
                        format!(
                            "`{{{name}}}` refers to the main server, and there is no `[server]`"
                        ),
                        span,
                        "no server to refer to",
                    )
                    .with_help(
                        "declare `[server]`, or use `{servers.NAME.port}` for a named server",
                    ),
                );
                None
            }
            Placeholder::ServerPort(server) | Placeholder::ServerUrl(server) => {
                let field =
                    if matches!(placeholder, Placeholder::ServerPort(_)) { "port" } else { "url" };
                match scope.declared.iter().position(|d| d == server) {
                    None => {
                        let names: Vec<&str> = scope.declared.iter().map(String::as_str).collect();
                        let help = match did_you_mean(server, &names) {
                            Some(best) => format!("did you mean `{{servers.{best}.{field}}}`?"),
                            None => format!("declare it as `[servers.{server}]`"),
                        };
                        self.error(
                            SuiteDiagnostic::new(
                                format!("no server named `{server}`"),
                                span,
                                "unknown server",
                            )
                            .with_help(help),
                        );
                        None
                    }
                    Some(_) if scope.own_name == Some(server.as_str()) => {
                        self.error(
                            SuiteDiagnostic::new(
                                format!("server `{server}` refers to itself by name"),
                                span,
                                "its own address",
                            )
                            .with_help(format!("write `{{{field}}}` for the server's own {field}")),
                        );
                        None
                    }
                    Some(index) if index >= scope.started => {
                        let own = scope.own_name.unwrap_or("this server");
                        self.error(
                            SuiteDiagnostic::new(
                                format!("server `{server}` starts after `{own}`"),
                                span,
                                "not started yet",
                            )
                            .with_help(format!(
                                "servers start in declared order; declare `[servers.{server}]` before `[servers.{own}]`"
                            )),
                        );
                        None
                    }
                    Some(_) => Some(placeholder),
                }
            }
            Placeholder::Port | Placeholder::Url => Some(placeholder),
        }
    }

    fn unknown_placeholder(&mut self, name: &str, span: Range<usize>, scope: &Scope<'_>) {
        let mut candidates = vec!["port".to_owned(), "url".to_owned()];
        for server in scope.declared {
            candidates.push(format!("servers.{server}.port"));
            candidates.push(format!("servers.{server}.url"));
        }
        let known: Vec<&str> = candidates.iter().map(String::as_str).collect();
        let help = match did_you_mean(name.trim(), &known) {
            Some(best) => format!("did you mean `{{{best}}}`? {PLACEHOLDER_HELP}"),
            None => PLACEHOLDER_HELP.to_owned(),
        };
        self.error(
            SuiteDiagnostic::new(
                format!("unknown placeholder `{{{name}}}`"),
                span,
                "unknown placeholder",
            )
            .with_help(help),
        );
    }

    fn variables(
        &mut self,
        vars: &Entries<file::VariableValue>,
        declared: &[String],
    ) -> Option<Vec<Variable>> {
        let mut reserved = vec!["base_url".to_owned(), "port".to_owned()];
        for server in declared {
            reserved.push(format!("{server}_url"));
            reserved.push(format!("{server}_port"));
        }
        let mut out = Some(Vec::new());
        for (name, value) in &vars.0 {
            let ok = if !is_identifier(name.get_ref()) {
                self.error(
                    SuiteDiagnostic::new(
                        format!("invalid variable name `{}`", name.get_ref()),
                        name.span(),
                        "not a name",
                    )
                    .with_help("a variable name starts with a letter or `_` and has only letters, digits, `_` and `-`"),
                );
                false
            } else if reserved.contains(name.get_ref()) {
                self.error(
                    SuiteDiagnostic::new(
                        format!("variable `{}` is set by shakedown", name.get_ref()),
                        name.span(),
                        "reserved name",
                    )
                    .with_help("shakedown sets `base_url` and `port` for [server] and `NAME_url` and `NAME_port` for [servers.NAME]; choose another name"),
                );
                false
            } else {
                true
            };
            let value = match value.get_ref() {
                file::VariableValue::String(s) => VariableValue::String(s.clone()),
                file::VariableValue::Integer(i) => VariableValue::Integer(*i),
                file::VariableValue::Float(f) => VariableValue::Float(*f),
                file::VariableValue::Bool(b) => VariableValue::Bool(*b),
            };
            if !ok {
                out = None;
            }
            if let Some(v) = out.as_mut() {
                v.push(Variable { name: name.clone(), value });
            }
        }
        out
    }

    fn layers(
        &mut self,
        layers: &[Spanned<LayerFile>],
        scope: &Scope<'_>,
        has_server: bool,
    ) -> Option<Vec<Layer>> {
        let mut out = Some(Vec::new());
        // Names seen so far, with where: one lookup per layer, so that a suite of
        // many layers is checked in linear time.
        let mut seen: HashMap<&str, &Spanned<String>> = HashMap::new();
        // Built at the first duplicate only.
        let mut lines: Option<LineIndex> = None;
        for layer in layers {
            // One step per layer and one lookup per name: the linear-cost tests read this.
            work::charge(1);
            let file = layer.get_ref();
            let name = match &file.name {
                None => {
                    self.error(
                        SuiteDiagnostic::new("the layer has no `name`", layer.span(), "this layer")
                            .with_help(r#"add `name = "..."`; `shakedown run --layer NAME` selects layers by name"#),
                    );
                    None
                }
                Some(name) if name.get_ref().trim().is_empty() => {
                    self.error(
                        SuiteDiagnostic::new("the layer name is empty", name.span(), "empty name")
                            .with_help("`shakedown run --layer NAME` selects layers by name"),
                    );
                    None
                }
                Some(name) => {
                    work::charge(name.get_ref().len());
                    if let Some(first) = seen.get(name.get_ref().as_str()) {
                        let line = lines
                            .get_or_insert_with(|| LineIndex::new(self.source))
                            .line(first.span().start);
                        self.error(
                            SuiteDiagnostic::new(
                                format!("duplicate layer name `{}`", name.get_ref()),
                                name.span(),
                                "already used",
                            )
                            .with_help(format!("the first layer named `{}` is on line {line}; layer names are unique", name.get_ref())),
                        );
                        None
                    } else {
                        seen.insert(name.get_ref(), name);
                        Some(name.clone())
                    }
                }
            };
            let kind = self.layer_kind(layer, scope, has_server);
            out = match (out, name, kind) {
                (Some(mut v), Some(name), Some(kind)) => {
                    v.push(Layer { name, kind });
                    Some(v)
                }
                _ => None,
            };
        }
        out
    }

    /// A command layer's `needs`: `"main"` (the `[server]`) or a `[servers.NAME]`.
    fn needs(
        &mut self,
        file: &LayerFile,
        scope: &Scope<'_>,
        has_server: bool,
    ) -> Option<Vec<Option<String>>> {
        let Some(needs) = &file.needs else { return Some(Vec::new()) };
        let mut out = Some(Vec::new());
        for name in needs.get_ref() {
            let wanted = name.get_ref();
            let found = if wanted == "main" {
                has_server.then_some(None)
            } else {
                scope.declared.iter().any(|d| d == wanted).then(|| Some(wanted.clone()))
            };
            match (found, &mut out) {
                (Some(server), Some(list)) => list.push(server),
                (Some(_), None) => {}
                (None, _) => {
                    let mut known: Vec<String> = Vec::new();
                    if has_server {
                        known.push("`main`".to_owned());
                    }
                    known.extend(scope.declared.iter().map(|d| format!("`{d}`")));
                    let help = if known.is_empty() {
                        "the suite declares no server".to_owned()
                    } else {
                        format!("the servers are {}", known.join(", "))
                    };
                    self.error(
                        SuiteDiagnostic::new(
                            format!(
                                "`needs` names `{wanted}`, which is not a server of this suite"
                            ),
                            name.span(),
                            "unknown server",
                        )
                        .with_help(help),
                    );
                    out = None;
                }
            }
        }
        out
    }

    fn layer_kind(
        &mut self,
        layer: &Spanned<LayerFile>,
        scope: &Scope<'_>,
        has_server: bool,
    ) -> Option<LayerKind> {
        let file = layer.get_ref();
        match (&file.command, &file.scenarios) {
            (Some(_), Some(scenarios)) => {
                self.error(
                    SuiteDiagnostic::new(
                        "a layer has either `command` or `scenarios`, not both",
                        scenarios.span(),
                        "second kind of layer",
                    )
                    .with_help("split it into two [[layer]] tables"),
                );
                None
            }
            (None, None) => {
                self.error(
                    SuiteDiagnostic::new("the layer has neither `command` nor `scenarios`", layer.span(), "this layer")
                        .with_help(r#"add `command = [...]` to run a program, or `scenarios = ["scenarios/*.hurl"]`"#),
                );
                None
            }
            (Some(command), None) => {
                self.misplaced(
                    &[
                        ("isolation", file.isolation.as_ref().map(Spanned::span)),
                        ("reset", file.reset.as_ref().map(Spanned::span)),
                        ("load", file.load.as_ref().map(Spanned::span)),
                    ],
                    "scenario",
                );
                let spec =
                    self.command(command, file.cwd.as_ref(), file.env.as_ref(), scope, self.dir);
                let timeout = match &file.timeout {
                    Some(t) => self.duration(t, "timeout", false).map(Some),
                    None => Some(None),
                };
                let junit = file
                    .junit
                    .as_ref()
                    .map(|j| Spanned::new(j.span(), join(self.dir, j.get_ref())));
                let needs = self.needs(file, scope, has_server);
                let (command, timeout) = spec.zip(timeout)?;
                Some(LayerKind::Command { command, timeout, junit, needs: needs? })
            }
            (None, Some(scenarios)) => {
                let misplaced_ok = self.misplaced(
                    &[
                        ("timeout", file.timeout.as_ref().map(Spanned::span)),
                        ("junit", file.junit.as_ref().map(Spanned::span)),
                        ("needs", file.needs.as_ref().map(Spanned::span)),
                        ("cwd", file.cwd.as_ref().map(Spanned::span)),
                        ("env", file.env.as_ref().map(Spanned::span)),
                    ],
                    "command",
                );
                if !has_server {
                    self.error(
                        SuiteDiagnostic::new(
                            "a scenario layer needs a `[server]` to test",
                            scenarios.span(),
                            "no `[server]` in this file",
                        )
                        .with_help(r#"declare `[server]` with a `command` to launch, or a `url = "https://..."` to test"#),
                    );
                }
                let globs = self.globs(scenarios);
                let isolation = match &file.isolation {
                    Some(i) => self.isolation(i),
                    None => Some(Isolation::Shared),
                };
                let reset = match (&file.reset, isolation) {
                    (Some(reset), Some(Isolation::Restart)) => {
                        self.error(
                            SuiteDiagnostic::new(
                                "`reset` is for `isolation = \"shared\"`",
                                reset.span(),
                                "with `restart` every scenario file gets a fresh server",
                            )
                            .with_help("remove `reset`, or use `isolation = \"shared\"`"),
                        );
                        None
                    }
                    (Some(reset), _) => self.command(reset, None, None, scope, self.dir).map(Some),
                    (None, _) => Some(None),
                };
                let load = match &file.load {
                    Some(table) => {
                        let mut shared_only = true;
                        for (key, span) in [
                            ("isolation", file.isolation.as_ref().map(Spanned::span)),
                            ("reset", file.reset.as_ref().map(Spanned::span)),
                        ] {
                            if let Some(span) = span {
                                shared_only = false;
                                self.error(
                                    SuiteDiagnostic::new(
                                        format!("`{key}` does not apply to a load layer"),
                                        span,
                                        "not for a load layer",
                                    )
                                    .with_help(format!(
                                        "a load layer runs its files against the shared servers: remove `{key}`"
                                    )),
                                );
                            }
                        }
                        let load = self.load(table, true);
                        if shared_only { load.map(Some) } else { None }
                    }
                    None => Some(None),
                };
                if !misplaced_ok || !has_server {
                    return None;
                }
                let (globs, (isolation, reset)) = globs.zip(isolation.zip(reset))?;
                Some(LayerKind::Scenarios { globs, isolation, reset, load: load? })
            }
        }
    }

    /// Reports keys that belong to the other kind of layer; `true` if none.
    fn misplaced(&mut self, keys: &[(&str, Option<Range<usize>>)], kind: &str) -> bool {
        let mut ok = true;
        for (key, span) in keys {
            if let Some(span) = span {
                ok = false;
                self.error(
                    SuiteDiagnostic::new(
                        format!("`{key}` applies to {kind} layers only"),
                        span.clone(),
                        "not for this kind of layer",
                    )
                    .with_help(format!("remove `{key}`, or move it to a {kind} layer")),
                );
            }
        }
        ok
    }

    fn globs(&mut self, scenarios: &Spanned<Strings<GlobList>>) -> Option<Vec<Spanned<String>>> {
        if scenarios.get_ref().items.is_empty() {
            self.error(
                SuiteDiagnostic::new("`scenarios` is empty", scenarios.span(), "no pattern")
                    .with_help(r#"such as scenarios = ["scenarios/*.hurl"]"#),
            );
            return None;
        }
        // The directory may contain `*` or `[`: escape it so that only the
        // pattern as written is a pattern.
        let mut prefix = glob::Pattern::escape(&self.dir.to_string_lossy());
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        let mut out = Some(Vec::new());
        for pattern in &scenarios.get_ref().items {
            let text = pattern.get_ref();
            let glob = if text.is_empty() {
                self.error(
                    SuiteDiagnostic::new("empty glob", pattern.span(), "empty")
                        .with_help(r#"such as "scenarios/*.hurl""#),
                );
                None
            } else if let Err(error) = glob::Pattern::new(text) {
                self.error(
                    SuiteDiagnostic::new(
                        format!("invalid glob `{text}`"),
                        pattern.span(),
                        error.msg,
                    )
                    .with_help(
                        "`*`, `**`, `?` and `[...]` are wildcards; write `[*]` for a literal `*`",
                    ),
                );
                None
            } else if Path::new(text).is_absolute() {
                Some(text.clone())
            } else {
                let mut rel = text.as_str();
                while let Some(rest) = rel.strip_prefix("./") {
                    rel = rest;
                }
                Some(format!("{prefix}{rel}"))
            };
            out = out.zip(glob).map(|(mut v, g)| {
                v.push(Spanned::new(pattern.span(), g));
                v
            });
        }
        out
    }

    fn isolation(&mut self, text: &Spanned<String>) -> Option<Isolation> {
        let choices = [("shared", Isolation::Shared), ("restart", Isolation::Restart)];
        self.choice(text, "isolation", &choices)
    }

    /// A string that must be one of `choices`, with a did-you-mean otherwise.
    fn choice<T: Copy>(
        &mut self,
        text: &Spanned<String>,
        key: &str,
        choices: &[(&str, T)],
    ) -> Option<T> {
        if let Some((_, value)) = choices.iter().find(|(name, _)| name == text.get_ref()) {
            return Some(*value);
        }
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        let list = known_list(&names);
        let help = match did_you_mean(text.get_ref(), &names) {
            Some(best) => format!("did you mean `{best}`? {list}"),
            None => list,
        };
        self.error(
            SuiteDiagnostic::new(
                format!("unknown `{key}` value `{}`", text.get_ref()),
                text.span(),
                "unknown value",
            )
            .with_help(help),
        );
        None
    }

    /// `[load]` (`layer` false) or a load layer's `load = { ... }` (`layer` true, where a model
    /// is required and the files are the layer's `scenarios`).
    fn load(&mut self, table: &Spanned<LoadFile>, layer: bool) -> Option<LoadDef> {
        use crate::load::plan::{self, Options, PlanError};
        use crate::load::threshold::Threshold;
        let file = table.get_ref();
        let mut ok = true;
        let globs = match (&file.scenarios, layer) {
            (Some(scenarios), true) => {
                self.error(
                    SuiteDiagnostic::new(
                        "a load layer's files are the layer's `scenarios`",
                        scenarios.span(),
                        "not in `load`",
                    )
                    .with_help("move these globs to the layer's `scenarios`"),
                );
                Some(None)
            }
            (Some(scenarios), false) => Some(self.globs(scenarios)),
            (None, _) => None,
        };
        let globs = settle(globs, &mut ok);
        let mut count = |value: &Option<Spanned<i64>>, key: &str, min: u64| {
            value.as_ref().map(|v| {
                let n = u64::try_from(*v.get_ref()).ok().filter(|n| *n >= min);
                if n.is_none() {
                    self.error(
                        SuiteDiagnostic::new(
                            format!("`{key}` must be at least {min}"),
                            v.span(),
                            "out of range",
                        )
                        .with_help(format!("such as `{key} = 10`")),
                    );
                }
                n
            })
        };
        let vus = count(&file.vus, "vus", 0);
        let max_vus = count(&file.max_vus, "max_vus", 1);
        let max_requests = count(&file.max_requests, "max_requests", 1);
        let stages = file.stages.as_ref().map(|text| {
            let parsed = plan::parse_stages(text.get_ref(), &|d| {
                crate::settings::parse_duration(d, crate::scenario::ast::DurationUnit::Second).ok()
            });
            parsed
                .map_err(|e| {
                    self.error(
                        SuiteDiagnostic::new(e.to_string(), text.span(), "invalid stages")
                            .with_help(r#"such as stages = "10s:5,20s:20""#),
                    );
                })
                .ok()
        });
        let rate = file.rate.as_ref().map(|text| {
            plan::parse_rate(&text.get_ref().0)
                .map_err(|e| {
                    self.error(
                        SuiteDiagnostic::new(e.to_string(), text.span(), "invalid rate")
                            .with_help(r#"such as rate = "200/s""#),
                    );
                })
                .ok()
        });
        let duration = file.duration.as_ref().map(|d| self.duration(d, "duration", false));
        let graceful_stop =
            file.graceful_stop.as_ref().map(|d| self.duration(d, "graceful_stop", true));
        let mut thresholds = Some(Vec::new());
        for text in file.thresholds.iter().flat_map(|t| &t.get_ref().items) {
            match Threshold::parse(text.get_ref()) {
                Ok(threshold) => {
                    if let Some(list) = &mut thresholds {
                        list.push(threshold);
                    }
                }
                Err(e) => {
                    self.error(
                        SuiteDiagnostic::new(e.to_string(), text.span(), "invalid threshold")
                            .with_help("see docs/load.md for the metrics"),
                    );
                    thresholds = None;
                }
            }
        }
        let options = Options {
            vus: settle(vus, &mut ok),
            stages: settle(stages, &mut ok),
            rate: settle(rate, &mut ok),
            max_vus: settle(max_vus, &mut ok),
            duration: settle(duration, &mut ok),
            max_requests: settle(max_requests, &mut ok),
            graceful_stop: settle(graceful_stop, &mut ok),
        };
        let thresholds = thresholds?;
        if !ok {
            return None;
        }
        let has_model = options.vus.is_some() || options.stages.is_some() || options.rate.is_some();
        if layer || has_model || options.max_vus.is_some() {
            let help = r#"a closed model: `vus = 10` (with `stages = "10s:5,20s:20"` to ramp); an open one: `rate = "200/s"` (with `max_vus`, and `stages` to ramp the rate)"#;
            let message = match options.plan() {
                Ok(_) => None,
                Err(PlanError::NoModel) => Some("the load layer has no load model".to_owned()),
                Err(PlanError::ModelConflict) => {
                    Some("give `vus` (a closed model) or `rate` (an open one), not both".to_owned())
                }
                Err(PlanError::Range(text)) if text.starts_with("--max-vus belongs") => {
                    Some("`max_vus` belongs to the open model (`rate`)".to_owned())
                }
                Err(e) => Some(e.to_string().replace("--", "").replace('-', "_")),
            };
            if let Some(message) = message {
                self.error(
                    SuiteDiagnostic::new(message, table.span(), "these load options")
                        .with_help(help),
                );
                return None;
            }
        }
        Some(LoadDef { options, thresholds, globs })
    }

    fn run(&mut self, run: &RunFile) -> Option<RunSettings> {
        let mut ok = true;
        let transport_retry = run.transport_retry.as_ref().map(|t| {
            self.choice(
                t,
                "transport_retry",
                &[("safe", TransportRetry::Safe), ("off", TransportRetry::Off)],
            )
        });
        let flaky_result = run.flaky_result.as_ref().map(|f| {
            self.choice(
                f,
                "flaky_result",
                &[("pass", FlakyResult::Pass), ("fail", FlakyResult::Fail)],
            )
        });
        let retry_methods = run.retry_methods.as_ref().map(|methods| {
            let mut out = Some(Vec::new());
            for method in &methods.get_ref().items {
                let m = method.get_ref();
                let valid = !m.is_empty() && m.chars().all(|c| c.is_ascii_uppercase());
                if !valid {
                    let help = if !m.is_empty() && m.chars().all(|c| c.is_ascii_alphabetic()) {
                        format!("methods are upper case: `{}`", m.to_ascii_uppercase())
                    } else {
                        "a method is a word in upper case, such as `GET`".to_owned()
                    };
                    self.error(
                        SuiteDiagnostic::new(
                            format!("invalid HTTP method `{m}`"),
                            method.span(),
                            "not a method",
                        )
                        .with_help(help),
                    );
                }
                out = out.filter(|_| valid).map(|mut v| {
                    v.push(m.clone());
                    v
                });
            }
            out
        });
        let idempotency_key_header = run.idempotency_key_header.as_ref().map(|h| {
            if http::HeaderName::from_bytes(h.get_ref().as_bytes()).is_ok() {
                Some(h.get_ref().clone())
            } else {
                self.error(
                    SuiteDiagnostic::new(
                        format!("invalid header name `{}`", h.get_ref()),
                        h.span(),
                        "not a header name",
                    )
                    .with_help("such as `Idempotency-Key`"),
                );
                None
            }
        });
        let jobs = run.jobs.as_ref().map(|j| {
            let jobs = usize::try_from(*j.get_ref()).ok().and_then(NonZeroUsize::new);
            if jobs.is_none() {
                self.error(
                    SuiteDiagnostic::new(
                        "`jobs` must be at least 1",
                        j.span(),
                        "not a number of workers",
                    )
                    .with_help("`jobs = 1` runs one scenario file at a time"),
                );
            }
            jobs
        });
        let connect_timeout =
            run.connect_timeout.as_ref().map(|d| self.duration(d, "connect_timeout", false));
        let max_time = run.max_time.as_ref().map(|d| self.duration(d, "max_time", false));
        let deadline = run.deadline.as_ref().map(|d| self.duration(d, "deadline", false));
        let max_filesize = run.max_filesize.as_ref().map(|n| {
            let bytes = u64::try_from(*n.get_ref()).ok().filter(|b| *b > 0);
            if bytes.is_none() {
                self.error(
                    SuiteDiagnostic::new(
                        "`max_filesize` must be at least 1",
                        n.span(),
                        "not a number of bytes",
                    )
                    .with_help("such as `max_filesize = 104857600` (100 MiB)"),
                );
            }
            bytes
        });

        let settings = RunSettings {
            transport_retry: settle(transport_retry, &mut ok),
            retry_methods: settle(retry_methods, &mut ok),
            idempotency_key_header: settle(idempotency_key_header, &mut ok),
            flaky_result: settle(flaky_result, &mut ok),
            jobs: settle(jobs, &mut ok),
            connect_timeout: settle(connect_timeout, &mut ok),
            max_time: settle(max_time, &mut ok),
            deadline: settle(deadline, &mut ok),
            max_filesize: settle(max_filesize, &mut ok),
        };
        ok.then_some(settings)
    }
}

/// An optional key after its check: absent (`None`), valid (`Some(Some)`), or
/// invalid (`Some(None)`, already reported), which clears `ok`.
fn settle<T>(value: Option<Option<T>>, ok: &mut bool) -> Option<T> {
    match value {
        Some(None) => {
            *ok = false;
            None
        }
        Some(Some(v)) => Some(v),
        None => None,
    }
}

/// A readiness kind before its timeout is attached.
enum ReadyKind {
    Tcp,
    Http { path: String, status: u16 },
    Stdout { pattern: Regex, address: Option<AddressGroup> },
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Parses `"500ms"`, `"10s"`, `"2m"`, `"1h"`; the error is a label.
/// Joins a path from the suite file to `base`, dropping `.` components
/// (`..` stays: removing it would be wrong across symbolic links).
fn join(base: &Path, path: &str) -> PathBuf {
    clean(&base.join(path))
}

fn clean(path: &Path) -> PathBuf {
    let cleaned: PathBuf = path.components().filter(|c| !matches!(c, Component::CurDir)).collect();
    if cleaned.as_os_str().is_empty() { PathBuf::from(".") } else { cleaned }
}

/// The 1-based line of a byte offset.
/// Where the value of a string starts in the source, when the source text
/// between the quotes is exactly the value (no escapes, not multi-line), so
/// that a span inside the value maps to a span in the file.
fn value_offset(source: &str, span: Range<usize>, value: &str) -> Option<usize> {
    let raw = source.get(span.clone())?;
    if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        return None;
    }
    let quote = raw.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let inner = raw.strip_prefix(quote)?.strip_suffix(quote)?;
    (inner == value).then_some(span.start + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: &str = "[server]\ncommand = [\"app\", \"{port}\"]\nready = { tcp = true }\n";

    /// `source`, with a command layer at the end if it has none.
    fn with_layer(source: &str) -> String {
        if source.contains("[[layer]]") {
            source.to_owned()
        } else {
            format!("{source}\n[[layer]]\nname = \"zz\"\ncommand = [\"true\"]\n")
        }
    }

    fn parse(source: &str) -> Result<Suite, Vec<SuiteDiagnostic>> {
        parse_suite(&with_layer(source), Path::new("/s"))
    }

    /// Each diagnostic as (message, the text under the caret, help).
    fn errors(source: &str) -> Vec<(String, String, Option<String>)> {
        let source = &with_layer(source);
        match parse_suite(source, Path::new("/s")) {
            Ok(suite) => panic!("expected errors, got {suite:#?}"),
            Err(diags) => {
                diags.into_iter().map(|d| (d.message, source[d.span].to_owned(), d.help)).collect()
            }
        }
    }

    fn messages(source: &str) -> Vec<String> {
        errors(source).into_iter().map(|(m, ..)| m).collect()
    }

    /// The suite takes the command line's duration grammar (`settings::parse_duration`):
    /// a bare number is seconds, as for `shakedown run --connect-timeout`.
    #[test]
    fn durations_are_spelled_as_on_the_command_line() {
        let run = |value: &str| {
            let suite = parse(&format!("[run]\nconnect_timeout = \"{value}\"\n"));
            suite.map(|s| s.run().connect_timeout).map_err(|d| d[0].label.clone())
        };
        let s = Duration::from_secs;
        assert_eq!(run("500ms"), Ok(Some(Duration::from_millis(500))));
        assert_eq!(run("10s"), Ok(Some(s(10))));
        assert_eq!(run("2m"), Ok(Some(s(120))));
        assert_eq!(run("1h"), Ok(Some(s(3600))));
        assert_eq!(run("10"), Ok(Some(s(10))));
        assert_eq!(run("1.5s"), Err("expected a whole number".to_owned()));
        assert_eq!(run("10 s"), Err("no space between the number and the unit".to_owned()));
        assert_eq!(run("10sec"), Err("unknown unit `sec`".to_owned()));
        assert_eq!(run("18446744073709551615h"), Err("too long".to_owned()));
    }

    #[test]
    fn zero_timeouts_are_rejected_but_zero_grace_is_not() {
        let src = "[server]\ncommand = [\"app\"]\nready = { tcp = true, timeout = \"0s\" }\nstop = { grace = \"0ms\" }\n";
        assert_eq!(messages(src), ["`timeout` must be greater than zero"]);
    }

    #[test]
    fn a_server_refers_to_itself_with_port_not_its_name() {
        let src = "[servers.a]\ncommand = [\"a\", \"{servers.a.port}\"]\nready = { tcp = true }\n";
        let errs = errors(src);
        assert_eq!(errs[0].0, "server `a` refers to itself by name");
        assert_eq!(errs[0].1, "{servers.a.port}");
        assert_eq!(errs[0].2.as_deref(), Some("write `{port}` for the server's own port"));
    }

    #[test]
    fn undeclared_servers_get_a_did_you_mean() {
        let src = "[servers.pricing]\ncommand = [\"p\"]\nready = { tcp = true }\n[server]\ncommand = [\"app\", \"{servers.prcing.url}\"]\nready = { tcp = true }\n";
        let errs = errors(src);
        assert_eq!(errs[0].0, "no server named `prcing`");
        assert_eq!(errs[0].2.as_deref(), Some("did you mean `{servers.pricing.url}`?"));
    }

    #[test]
    fn the_main_server_and_layers_may_use_every_named_server() {
        let src = "[server]\ncommand = [\"app\", \"{servers.z.url}\"]\nready = { tcp = true }\n[servers.z]\ncommand = [\"z\"]\nready = { tcp = true }\n[[layer]]\nname = \"l\"\ncommand = [\"t\", \"{url}\", \"{servers.z.port}\"]\n";
        assert!(parse(src).is_ok());
    }

    #[test]
    fn port_in_a_layer_needs_a_main_server() {
        let src = "[[layer]]\nname = \"l\"\ncommand = [\"t\", \"--port={port}\"]\n";
        let errs = errors(src);
        assert_eq!(errs[0].0, "`{port}` refers to the main server, and there is no `[server]`");
        assert_eq!(errs[0].1, "{port}");
    }

    #[test]
    fn stray_braces_point_at_the_brace() {
        let src = "[server]\ncommand = [\"app\", \"a{port\", \"b}\"]\nready = { tcp = true }\n";
        let errs = errors(src);
        assert_eq!(
            (errs[0].0.as_str(), errs[0].1.as_str()),
            ("unclosed `{` in a placeholder", "{")
        );
        assert_eq!((errs[1].0.as_str(), errs[1].1.as_str()), ("unmatched `}`", "}"));
    }

    #[test]
    fn placeholders_in_escaped_strings_point_at_the_whole_string() {
        let src = "[server]\ncommand = [\"app\", \"\\t{nope}\"]\nready = { tcp = true }\n";
        assert_eq!(errors(src)[0].1, "\"\\t{nope}\"");
        let src = "[server]\ncommand = [\"app\", '{nope}']\nready = { tcp = true }\n";
        assert_eq!(errors(src)[0].1, "{nope}");
    }

    #[test]
    fn server_shape_errors() {
        let both = "[server]\ncommand = [\"app\"]\nurl = \"http://x\"\nready = { tcp = true }\n";
        assert_eq!(messages(both), ["a server has either `command` or `url`, not both"]);
        let neither = "[server]\nready = { tcp = true }\n";
        assert_eq!(messages(neither), ["the server has neither `command` nor `url`"]);
        let no_ready = "[server]\ncommand = [\"app\"]\n";
        assert_eq!(errors(no_ready)[0].1, "[server]");
        let empty = "[server]\ncommand = []\nready = { tcp = true }\n";
        assert_eq!(messages(empty), ["the command is empty"]);
        let program = "[server]\ncommand = [\"{url}/bin\"]\nready = { tcp = true }\n";
        assert_eq!(messages(program), ["the program name cannot contain placeholders or braces"]);
        let external = "[server]\nurl = \"https://x.example\"\ncwd = \"a\"\nstop = { grace = \"1s\" }\nready = { stdout = \"up\" }\n";
        assert_eq!(
            messages(external),
            [
                "`cwd` has no effect on an external target",
                "`stop` has no effect on an external target",
                "`stdout` readiness needs a launched server",
            ]
        );
        let bad_url = "[server]\nurl = \"ftp://x\"\nready = { tcp = true }\n";
        assert_eq!(messages(bad_url), ["unsupported URL `ftp://x`"]);
        let bad_name = "[servers.\"a b\"]\ncommand = [\"a\"]\nready = { tcp = true }\n";
        assert_eq!(messages(bad_name), ["invalid server name `a b`"]);
    }

    #[test]
    fn readiness_errors() {
        let check =
            |ready: &str| messages(&format!("[server]\ncommand = [\"app\"]\nready = {ready}\n"));
        assert_eq!(check("{ timeout = \"1s\" }"), ["`ready` names no readiness kind"]);
        assert_eq!(check("{ tcp = false }"), ["`tcp = false` checks nothing"]);
        assert_eq!(
            check("{ tcp = true, status = 200 }"),
            ["`status` applies to `http` readiness only"]
        );
        assert_eq!(check("{ http = \"health\" }"), ["the readiness path must start with `/`"]);
        assert_eq!(check("{ http = \"/\", status = 99 }"), ["invalid HTTP status 99"]);
        assert_eq!(check("{ stdout = \"(unclosed\" }"), ["invalid regular expression"]);
        let Ok(suite) =
            parse("[server]\ncommand = [\"app\"]\nready = { stdout = 'port (?P<port>\\d+)' }\n")
        else {
            panic!()
        };
        let Some(Readiness::Stdout { address, .. }) = suite.server().map(ServerDef::ready) else {
            panic!()
        };
        assert_eq!(*address, Some(AddressGroup::Port));
    }

    #[test]
    fn layer_errors() {
        let src = format!(
            "{SERVER}[[layer]]\ncommand = [\"t\"]\nisolation = \"shared\"\n[[layer]]\nname = \" \"\nscenarios = []\njunit = \"x.xml\"\n[[layer]]\nname = \"r\"\nscenarios = [\"a.hurl\", \"[\"]\nisolation = \"restart\"\nreset = [\"reload\"]\n[[layer]]\nname = \"n\"\n"
        );
        assert_eq!(
            messages(&src),
            [
                "the layer has no `name`",
                "`isolation` applies to scenario layers only",
                "the layer name is empty",
                "`scenarios` is empty",
                "`junit` applies to command layers only",
                "invalid glob `[`",
                "`reset` is for `isolation = \"shared\"`",
                "the layer has neither `command` nor `scenarios`",
            ]
        );
    }

    #[test]
    fn a_suite_without_layers_is_an_error() {
        let diags = parse_suite(SERVER, Path::new("/s")).unwrap_err();
        assert_eq!(diags[0].message, "the suite has no layers");
        assert_eq!(diags.len(), 1);
    }

    #[test]
    fn scenario_layers_need_a_server() {
        let src = "[[layer]]\nname = \"i\"\nscenarios = [\"*.hurl\"]\n";
        assert_eq!(messages(src), ["a scenario layer needs a `[server]` to test"]);
    }

    #[test]
    fn variable_and_run_errors() {
        let src = "[servers.db]\ncommand = [\"db\"]\nready = { tcp = true }\n[variables]\nbase_url = \"x\"\ndb_port = 1\n\"a b\" = 2\n[run]\ntransport_retry = \"saf\"\nflaky_result = \"no\"\nretry_methods = [\"get\", \"GE T\"]\nidempotency_key_header = \"a b\"\njobs = 0\nconnect_timeout = \"1x\"\n";
        let errs = errors(src);
        let got: Vec<(&str, Option<&str>)> =
            errs.iter().map(|(m, _, h)| (m.as_str(), h.as_deref())).collect();
        assert_eq!(got[0].0, "variable `base_url` is set by shakedown");
        assert_eq!(got[1].0, "variable `db_port` is set by shakedown");
        assert_eq!(got[2].0, "invalid variable name `a b`");
        assert_eq!(
            got[3],
            (
                "unknown `transport_retry` value `saf`",
                Some("did you mean `safe`? expected one of: `safe`, `off`")
            )
        );
        assert_eq!(
            got[4],
            ("unknown `flaky_result` value `no`", Some("expected one of: `pass`, `fail`"))
        );
        assert_eq!(got[5], ("invalid HTTP method `get`", Some("methods are upper case: `GET`")));
        assert_eq!(got[6].0, "invalid HTTP method `GE T`");
        assert_eq!(got[7].0, "invalid header name `a b`");
        assert_eq!(got[8].0, "`jobs` must be at least 1");
        assert_eq!(got[9].0, "invalid duration `1x`");
        assert_eq!(got.len(), 10);
    }

    #[test]
    fn max_filesize_is_a_positive_number_of_bytes() {
        let ok = parse("[run]\nmax_filesize = 1000\n").unwrap();
        assert_eq!(ok.run().max_filesize, Some(1000));
        assert_eq!(
            errors("[run]\nmax_filesize = 0\n")[0],
            (
                "`max_filesize` must be at least 1".to_owned(),
                "0".to_owned(),
                Some("such as `max_filesize = 104857600` (100 MiB)".to_owned())
            )
        );
    }

    #[test]
    fn paths_are_joined_without_dot_components() {
        assert_eq!(join(Path::new("/s"), "."), PathBuf::from("/s"));
        assert_eq!(join(Path::new("/s"), "./a/./b"), PathBuf::from("/s/a/b"));
        assert_eq!(join(Path::new("/s"), "/abs"), PathBuf::from("/abs"));
        assert_eq!(join(Path::new("/s"), "../up"), PathBuf::from("/s/../up"));
        assert_eq!(join(Path::new(""), "."), PathBuf::from("."));
    }

    #[test]
    fn globs_escape_the_suite_directory() {
        let src =
            format!("{SERVER}[[layer]]\nname = \"i\"\nscenarios = [\"*.hurl\", \"/abs/*.hurl\"]\n");
        let suite = parse_suite(&src, Path::new("/srv/[x]")).unwrap();
        let LayerKind::Scenarios { globs, .. } = suite.layers()[0].kind() else { panic!() };
        assert_eq!(globs[0].get_ref(), "/srv/[[]x[]]/*.hurl");
        assert_eq!(globs[1].get_ref(), "/abs/*.hurl");
        assert!(glob::Pattern::new(globs[0].get_ref()).unwrap().matches("/srv/[x]/a.hurl"));
        let suite = parse_suite(&src, Path::new("/")).unwrap();
        let LayerKind::Scenarios { globs, .. } = suite.layers()[0].kind() else { panic!() };
        assert_eq!(globs[0].get_ref(), "/*.hurl");
    }

    #[test]
    fn program_paths_are_relative_to_cwd() {
        let src = "[server]\ncommand = [\"../bin/app\"]\ncwd = \"srv\"\nready = { tcp = true }\n";
        let suite = parse(src).unwrap();
        let Some(ServerTarget::Launch { command, .. }) = suite.server().map(ServerDef::target)
        else {
            panic!()
        };
        assert_eq!(
            command.program(),
            &Program::Path(Spanned::new(20..32, PathBuf::from("/s/srv/../bin/app")))
        );
    }

    #[test]
    fn a_load_layer_and_the_load_table_are_checked() {
        use crate::load::plan::Model;
        let suite = parse(&format!(
            "{SERVER}[[layer]]\nname = \"capacity\"\nscenarios = [\"s/*.hurl\"]\nload = {{ rate = \"20/s\", stages = \"1s:40,1s:0\", max_vus = 5, thresholds = [\"p95<300ms\", \"cause.keepalive_race==0\"] }}\n\n[load]\nscenarios = [\"s/a.hurl\"]\nvus = 2\nduration = \"10s\"\n"
        ))
        .unwrap();
        let LayerKind::Scenarios { load: Some(load), isolation, .. } = suite.layers()[0].kind()
        else {
            panic!("a load layer")
        };
        assert_eq!(*isolation, Isolation::Shared);
        assert_eq!(load.thresholds().len(), 2);
        let plan = load.options().plan().unwrap();
        assert!(
            matches!(&plan.model, Model::Open { rate, max_vus: 5, stages } if *rate == 20.0 && stages.len() == 2)
        );
        let table = suite.load().unwrap();
        assert_eq!(table.options().vus, Some(2));
        assert_eq!(table.options().duration, Some(Duration::from_secs(10)));
        assert_eq!(table.globs().unwrap()[0].get_ref(), "/s/s/a.hurl");
        // `[load]` may leave the model to the command line.
        assert!(parse(&format!("{SERVER}[load]\nduration = \"5s\"\n")).is_ok());

        let layer = |load: &str| {
            format!("{SERVER}[[layer]]\nname = \"l\"\nscenarios = [\"s/*.hurl\"]\nload = {load}\n")
        };
        assert_eq!(messages(&layer("{ duration = \"5s\" }")), ["the load layer has no load model"]);
        assert_eq!(
            messages(&layer("{ vus = 2, rate = 5 }")),
            ["give `vus` (a closed model) or `rate` (an open one), not both"]
        );
        assert_eq!(
            messages(&layer("{ vus = 2, max_vus = 5 }")),
            ["`max_vus` belongs to the open model (`rate`)"]
        );
        let errors = errors(&layer(
            "{ vus = -1, rate = \"5/fortnight\", stages = \"10x:5\", duration = \"0s\", thresholds = [\"p95<<1\"], scenarios = [\"x\"] }",
        ));
        let under: Vec<&str> = errors.iter().map(|(_, under, _)| under.as_str()).collect();
        assert_eq!(
            under,
            ["-1", "\"5/fortnight\"", "\"10x:5\"", "\"0s\"", "\"p95<<1\"", "[\"x\"]"],
            "{errors:?}"
        );
        assert_eq!(
            messages(&format!(
                "{SERVER}[[layer]]\nname = \"l\"\nscenarios = [\"s/*.hurl\"]\nisolation = \"restart\"\nload = {{ vus = 1 }}\n"
            )),
            ["`isolation` does not apply to a load layer"]
        );
        assert_eq!(
            messages("[[layer]]\nname = \"c\"\ncommand = [\"t\"]\nload = { vus = 1 }\n"),
            ["`load` applies to scenario layers only"]
        );
    }
}

//! Tests of the whole module against the sample suites in `fixtures/suites/`.
//!
//! Valid files are checked field by field; invalid files against golden
//! renderings (`*.expected`, plain theme) beside them. When a rendering changes
//! on purpose, paste the new text from the failed assertion into the
//! `.expected` file (this module may not touch the filesystem, so there is no
//! bless mode).

use std::path::Path;
use std::time::Duration;

use super::*;

const DIR: &str = "/srv/project";

fn parse(source: &str) -> Suite {
    match parse_suite(source, Path::new(DIR)) {
        Ok(suite) => suite,
        Err(diags) => panic!("{}", render(&diags, "shakedown.toml", source, false)),
    }
}

fn rendered(source: &str) -> String {
    match parse_suite(source, Path::new(DIR)) {
        Ok(suite) => panic!("expected errors, got {suite:#?}"),
        Err(diags) => render(&diags, "shakedown.toml", source, false),
    }
}

macro_rules! golden {
    ($($test:ident => $name:literal,)*) => {
        $(
            #[test]
            fn $test() {
                let source = include_str!(concat!("../../fixtures/suites/invalid/", $name, ".toml"));
                let expected = include_str!(concat!("../../fixtures/suites/invalid/", $name, ".expected"));
                assert_eq!(rendered(source), expected);
            }
        )*
    };
}

golden! {
    unknown_key_has_did_you_mean => "unknown-key",
    wrong_type => "wrong-type",
    bad_duration => "bad-duration",
    bad_signal => "bad-signal",
    two_readiness_kinds => "two-readiness-kinds",
    unknown_readiness_kind_has_did_you_mean => "unknown-readiness-kind",
    unknown_placeholder => "unknown-placeholder",
    placeholder_to_a_later_server => "later-server",
    layer_with_command_and_scenarios => "command-and-scenarios",
    duplicate_layer_names => "duplicate-layer",
    toml_syntax_error => "syntax-error",
    three_semantic_errors_all_reported => "three-errors",
}

fn program(spec: &CommandSpec) -> String {
    match spec.program() {
        Program::Path(p) => p.get_ref().display().to_string(),
        Program::Search(s) => s.get_ref().clone(),
    }
}

fn args(spec: &CommandSpec) -> Vec<String> {
    spec.args()
        .iter()
        .map(|t| {
            t.render(|p| {
                Some(match p {
                    Placeholder::Port => "P".to_owned(),
                    Placeholder::Url => "U".to_owned(),
                    Placeholder::ServerPort(n) => format!("P:{n}"),
                    Placeholder::ServerUrl(n) => format!("U:{n}"),
                })
            })
            .unwrap()
        })
        .collect()
}

fn env(spec: &CommandSpec) -> Vec<(String, Vec<Part>)> {
    spec.env().iter().map(|e| (e.name.get_ref().clone(), e.value.parts().to_vec())).collect()
}

fn launch(server: &ServerDef) -> (&CommandSpec, &StopDef) {
    match server.target() {
        ServerTarget::Launch { command, stop } => (command, stop),
        ServerTarget::External { .. } => panic!("not launched"),
    }
}

#[test]
fn the_issue_example_parses() {
    let source = include_str!("../../fixtures/suites/valid/issue-example.toml");
    let suite = parse(source);
    assert_eq!(suite.dir(), Path::new(DIR));

    let main = suite.server().unwrap();
    assert_eq!(main.id(), &ServerId::Main);
    assert_eq!(&source[main.span()], "[server]");
    let (command, stop) = launch(main);
    assert_eq!(program(command), "python");
    assert_eq!(
        args(command),
        ["manage.py", "testserver", "fixtures/app.json", "--addrport", "127.0.0.1:P", "--noinput"]
    );
    assert_eq!(command.cwd().get_ref(), Path::new(DIR));
    assert_eq!(&source[command.cwd().span()], "\".\"");
    let env = env(command);
    assert_eq!(env[0].0, "DJANGO_SETTINGS_MODULE");
    assert_eq!(env[0].1, [Part::Literal("site.settings".to_owned())]);
    assert_eq!(env[1].0, "PRICING_URL");
    let [Part::Placeholder(p)] = env[1].1.as_slice() else { panic!("{:?}", env[1]) };
    assert_eq!(p.get_ref(), &Placeholder::ServerUrl("pricing".to_owned()));
    assert_eq!(&source[p.span()], "{servers.pricing.url}");
    let Readiness::Http { path, status, timeout } = main.ready() else { panic!() };
    assert_eq!((path.as_str(), *status, *timeout), ("/health", 200, Duration::from_secs(60)));
    assert_eq!(*stop, StopDef { signal: Signal::Term, grace: Duration::from_secs(5) });

    let [pricing] = suite.servers() else { panic!() };
    assert_eq!(pricing.name(), Some("pricing"));
    let (command, stop) = launch(pricing);
    assert_eq!(program(command), "python");
    assert_eq!(args(command), ["pricing.py", "--port", "P"]);
    assert!(
        matches!(pricing.ready(), Readiness::Tcp { timeout } if *timeout == Duration::from_secs(10))
    );
    assert_eq!(*stop, StopDef { signal: Signal::Term, grace: DEFAULT_STOP_GRACE });
    let order: Vec<Option<&str>> = suite.start_order().map(ServerDef::name).collect();
    assert_eq!(order, [Some("pricing"), None]);

    let [currency] = suite.variables() else { panic!() };
    assert_eq!(currency.name.get_ref(), "currency");
    assert_eq!(currency.value, VariableValue::String("EUR".to_owned()));

    let [unit, integration] = suite.layers() else { panic!() };
    assert_eq!(unit.name(), "unit");
    let LayerKind::Command { command, timeout, junit, .. } = unit.kind() else { panic!() };
    assert_eq!(program(command), "python");
    assert_eq!(args(command), ["manage.py", "test"]);
    assert_eq!(*timeout, Some(Duration::from_secs(600)));
    assert_eq!(*junit, None);
    assert_eq!(integration.name(), "integration");
    let LayerKind::Scenarios { globs, isolation, reset, load: None } = integration.kind() else {
        panic!()
    };
    let globs: Vec<&str> = globs.iter().map(|g| g.get_ref().as_str()).collect();
    assert_eq!(globs, ["/srv/project/scenarios/*.hurl"]);
    assert_eq!(*isolation, Isolation::Shared);
    assert!(reset.is_none());
    assert!(suite.layer("integration").is_some());
    assert_eq!(suite.run(), &RunSettings::default());
}

#[test]
fn an_external_target_and_run_settings() {
    let source = include_str!("../../fixtures/suites/valid/external.toml");
    let suite = parse(source);
    let main = suite.server().unwrap();
    let ServerTarget::External { url } = main.target() else { panic!() };
    assert_eq!(url.get_ref().as_str(), "https://staging.example.com/");
    assert_eq!(&source[url.span()], "\"https://staging.example.com\"");
    let Readiness::Http { status, timeout, .. } = main.ready() else { panic!() };
    assert_eq!((*status, *timeout), (204, Duration::from_secs(30)));

    let values: Vec<(&str, &VariableValue)> =
        suite.variables().iter().map(|v| (v.name.get_ref().as_str(), &v.value)).collect();
    assert_eq!(
        values,
        [
            ("retries", &VariableValue::Integer(3)),
            ("ratio", &VariableValue::Float(0.5)),
            ("strict", &VariableValue::Bool(true)),
        ]
    );

    let LayerKind::Scenarios { globs, .. } = suite.layers()[0].kind() else { panic!() };
    let globs: Vec<&str> = globs.iter().map(|g| g.get_ref().as_str()).collect();
    assert_eq!(globs, ["/srv/project/smoke/**/*.hurl", "/srv/project/extra.hurl"]);

    let run = suite.run();
    assert_eq!(run.transport_retry, Some(TransportRetry::Off));
    assert_eq!(run.retry_methods.as_deref(), Some(&["GET".to_owned(), "PUT".to_owned()][..]));
    assert_eq!(run.idempotency_key_header.as_deref(), Some("Idempotency-Key"));
    assert_eq!(run.flaky_result, Some(FlakyResult::Fail));
    assert_eq!(run.jobs.map(|j| j.get()), Some(4));
    assert_eq!(run.connect_timeout, Some(Duration::from_millis(500)));
    assert_eq!(run.max_time, Some(Duration::from_secs(120)));
    assert_eq!(run.deadline, Some(Duration::from_secs(3600)));
}

#[test]
fn stdout_readiness_restart_isolation_and_paths() {
    let source = include_str!("../../fixtures/suites/valid/stdout-restart.toml");
    let suite = parse(source);

    let [db] = suite.servers() else { panic!() };
    let (command, _) = launch(db);
    assert_eq!(command.cwd().get_ref(), Path::new("/srv/project/tools"));
    // `command[0]` with a `/` is relative to the server's cwd.
    assert_eq!(program(command), "/srv/project/tools/bin/fake-db");
    assert_eq!(&source[command.span()], r#"["./bin/fake-db", "--listen", "127.0.0.1:{port}"]"#);
    assert!(matches!(db.ready(), Readiness::Tcp { timeout } if *timeout == DEFAULT_READY_TIMEOUT));

    let main = suite.server().unwrap();
    let (command, stop) = launch(main);
    assert_eq!(program(command), "/srv/project/target/debug/app");
    assert_eq!(args(command), ["--port", "0", "--db", "U:db", "--literal", "{x}"]);
    let env: Vec<(String, String)> = command
        .env()
        .iter()
        .map(|e| (e.name.get_ref().clone(), e.value.render(|p| Some(p.to_string())).unwrap()))
        .collect();
    assert_eq!(
        env,
        [
            ("DB_PORT".to_owned(), "{servers.db.port}".to_owned()),
            ("SELF".to_owned(), "{url}".to_owned()),
        ]
    );
    let Readiness::Stdout { pattern, address, timeout } = main.ready() else { panic!() };
    assert_eq!(pattern.as_str(), r"listening on (?P<url>http://\S+)");
    assert_eq!(*address, Some(AddressGroup::Url));
    assert_eq!(*timeout, Duration::from_secs(5));
    let caps = pattern.captures("listening on http://127.0.0.1:4321").unwrap();
    assert_eq!(&caps["url"], "http://127.0.0.1:4321");
    assert_eq!(*stop, StopDef { signal: Signal::Int, grace: Duration::ZERO });

    let [api, fixtures, contract] = suite.layers() else { panic!() };
    let LayerKind::Scenarios { isolation, reset, .. } = api.kind() else { panic!() };
    assert_eq!((*isolation, reset.is_none()), (Isolation::Restart, true));
    let LayerKind::Scenarios { isolation, reset: Some(reset), .. } = fixtures.kind() else {
        panic!()
    };
    assert_eq!(*isolation, Isolation::Shared);
    assert_eq!(program(reset), "/srv/project/reset.sh");
    assert_eq!(args(reset), ["U"]);
    let LayerKind::Command { command, timeout, junit, .. } = contract.kind() else { panic!() };
    assert_eq!(program(command), "/srv/project/contract/bin/contract");
    assert_eq!(args(command), ["--base", "U"]);
    assert_eq!(command.cwd().get_ref(), Path::new("/srv/project/contract"));
    assert_eq!(*timeout, None);
    let junit = junit.as_ref().unwrap();
    assert_eq!(junit.get_ref(), Path::new("/srv/project/reports/contract.xml"));
    assert_eq!(&source[junit.span()], "\"reports/contract.xml\"");

    let checks: Vec<String> = suite
        .paths_to_check()
        .iter()
        .map(|c| match c {
            PathCheck::Directory(p) => format!("dir {}", p.get_ref().display()),
            PathCheck::Program(p) => format!("program {}", p.get_ref().display()),
            PathCheck::Glob(g) => format!("glob {}", g.get_ref()),
        })
        .collect();
    assert_eq!(
        checks,
        [
            "dir /srv/project/tools",
            "program /srv/project/tools/bin/fake-db",
            "dir /srv/project",
            "program /srv/project/target/debug/app",
            "glob /srv/project/api/*.hurl",
            "glob /srv/project/fixtures/*.hurl",
            "dir /srv/project",
            "program /srv/project/reset.sh",
            "dir /srv/project/contract",
            "program /srv/project/contract/bin/contract",
        ]
    );
}

#[test]
fn the_example_in_the_module_docs_parses() {
    let docs = include_str!("mod.rs");
    let example: String = docs
        .lines()
        .filter_map(|l| l.strip_prefix("//!").map(|l| l.strip_prefix(' ').unwrap_or(l)))
        .skip_while(|l| *l != "```toml")
        .skip(1)
        .take_while(|l| *l != "```")
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(example.contains("[[layer]]"), "{example}");
    let suite = parse(&example);
    assert_eq!(suite.layers().len(), 2);
    assert_eq!(suite.run().jobs.map(|j| j.get()), Some(1));
}

// ---------- large inputs: no panic, linear work ----------

/// `n` command layers, named `l0`, `l1`, … or all the same name.
fn many_layers(n: usize, same_name: bool) -> String {
    (0..n)
        .map(|i| {
            let name = if same_name { "same".to_owned() } else { format!("l{i}") };
            format!("[[layer]]\nname = \"{name}\"\ncommand = [\"true\"]\n\n")
        })
        .collect()
}

/// Validates and, when invalid, renders: what `check SUITE.toml` does with the text.
fn check_and_render(source: &str) -> String {
    match parse_suite(source, Path::new(DIR)) {
        Ok(suite) => format!("{} layers", suite.layers().len()),
        Err(diags) => render(&diags, "shakedown.toml", source, false),
    }
}

#[test]
fn eighty_thousand_layers_cost_linear_work() {
    use crate::scenario::work;
    for same_name in [false, true] {
        let (small, w1) = work::measure(|| check_and_render(&many_layers(20_000, same_name)));
        let (large, w4) = work::measure(|| check_and_render(&many_layers(80_000, same_name)));
        if same_name {
            assert!(large.contains("… and 79899 more error(s), not shown"), "{large}");
            assert!(small.contains("the first layer named `same` is on line 2"), "{small}");
        } else {
            assert_eq!(large, "80000 layers");
        }
        let ratio = w4 as f64 / w1.max(1) as f64;
        assert!(
            w1 > 0 && ratio <= 5.0,
            "work {w1} for 20,000 layers, {w4} for 80,000 (x{ratio:.1})"
        );
    }
}

#[test]
fn an_error_past_column_65535_is_drawn_at_its_character_column() {
    let source = format!(
        "[[layer]]\nname = \"{}\"\ncommand = [\"true\"]\ntimeout = 5\n",
        "é".repeat(70_000)
    );
    let text = rendered(&source);
    assert!(text.contains("shakedown.toml:4:11"), "{text}");
    let source = format!(
        "[[layer]]\nname = \"u\"\ncommand = [\"true\"]\ntimeout ={}\"5 s\"\n",
        " ".repeat(70_000)
    );
    let text = rendered(&source);
    assert!(text.contains("shakedown.toml:4:70010]"), "{text}");
    assert!(text.len() < 2_000, "{} bytes", text.len());
    // The span is a long value: underlined within a window.
    let source = format!(
        "[[layer]]\nname = \"u\"\ncommand = [\"true\"]\ntimeout = \"{}\"\n",
        "9".repeat(70_000)
    );
    let text = rendered(&source);
    assert!(text.contains("shakedown.toml:4:11"), "{text}");
    // The title quotes the value: cut, too.
    assert!(text.len() < 5_000, "{} bytes", text.len());
}

#[test]
fn a_suite_file_that_is_not_utf8_renders_at_its_first_invalid_byte() {
    let bytes = b"[[layer]]\nname = \"\xc3\xa9\xff\"\ncommand = [\"true\"]\n".to_vec();
    let error = crate::scenario::decode(bytes).unwrap_err();
    let span = error.lossy_span();
    let diag = diagnostic::SuiteDiagnostic::new("the suite file is not valid UTF-8", span, "here");
    let text = render(&[diag], "shakedown.toml", &error.lossy, false);
    assert!(text.contains("shakedown.toml:2:10"), "{text}");
}

#[test]
fn needs_names_servers_of_the_suite_and_applies_to_command_layers_only() {
    let source = "[servers.data]\ncommand = [\"d\", \"{port}\"]\nready = { tcp = true }\n[server]\ncommand = [\"m\", \"{port}\"]\nready = { tcp = true }\n[[layer]]\nname = \"setup\"\ncommand = [\"prepare\"]\nneeds = [\"main\", \"data\"]\n";
    let suite = parse_suite(source, Path::new("/srv")).unwrap();
    let LayerKind::Command { needs, .. } = suite.layers()[0].kind() else { panic!() };
    assert_eq!(needs, &[None, Some("data".to_owned())]);
    let bad = "[server]\ncommand = [\"m\", \"{port}\"]\nready = { tcp = true }\n[[layer]]\nname = \"setup\"\ncommand = [\"prepare\"]\nneeds = [\"dta\"]\n[[layer]]\nname = \"api\"\nscenarios = [\"a.hurl\"]\nneeds = [\"main\"]\n";
    let errors = parse_suite(bad, Path::new("/srv")).unwrap_err();
    let messages: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
    assert!(messages.iter().any(|m| m.contains("`needs` names `dta`")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("`needs`")), "{messages:?}");
    assert_eq!(messages.len(), 2, "{messages:?}");
}

//! Repository rules as tests (rust-analyzer's tidy): what the architecture promises, checked.

use std::path::{Path, PathBuf};

use crate::support::repo_root;

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_source_file_starts_with_a_module_comment() {
    let root = repo_root();
    let mut missing = Vec::new();
    for dir in ["src", "fixtures/service/src", "tests/integration"] {
        for file in rust_files(&root.join(dir)) {
            let text = std::fs::read_to_string(&file).expect("read source");
            if !text.starts_with("//!") {
                missing.push(file.strip_prefix(&root).unwrap_or(&file).display().to_string());
            }
        }
    }
    assert!(missing.is_empty(), "files without a leading //! comment: {missing:?}");
}

#[test]
fn every_top_level_module_has_a_section_in_architecture_md() {
    let root = repo_root();
    let architecture =
        std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md exists");
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).expect("src/lib.rs");
    let modules: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod ").or_else(|| l.trim().strip_prefix("mod ")))
        .map(|l| l.trim_end_matches(';'))
        .collect();
    assert!(modules.len() >= 5, "found modules {modules:?}");
    let missing: Vec<_> =
        modules.iter().filter(|m| !architecture.contains(&format!("### `{m}`"))).collect();
    assert!(
        missing.is_empty(),
        "modules without a `### `name`` section in ARCHITECTURE.md: {missing:?}"
    );
}

/// The import table of the architecture: pure modules stay pure.
#[test]
fn pure_modules_import_no_io() {
    let root = repo_root();
    let rules: &[(&str, &[&str])] = &[
        (
            "src/scenario",
            &["tokio", "hyper", "std::fs", "std::net", "crate::runner", "crate::transport"],
        ),
        (
            "src/retry",
            &[
                "tokio",
                "hyper",
                "std::fs",
                "std::net",
                "crate::transport::client",
                "crate::transport::pool",
                "crate::runner",
            ],
        ),
        (
            "src/diagnosis",
            &[
                "tokio",
                "hyper",
                "std::fs",
                "std::net",
                "std::time::Instant",
                "SystemTime",
                "crate::transport::client",
                "crate::transport::pool",
                "crate::runner",
                "crate::report",
                "crate::cli",
            ],
        ),
        ("src/report", &["tokio", "hyper", "std::fs", "std::net", "crate::transport::client"]),
        ("src/transport", &["crate::retry", "crate::runner", "crate::diagnosis"]),
        // The engine and the process lifecycle return values and events; only `cli` prints.
        (
            "src/session",
            &["crate::cli", "println!", "eprintln!", "std::io::stdout", "std::io::stderr"],
        ),
        ("src/server", &["crate::cli", "crate::session"]),
        // Setting values: text in, typed values out.
        (
            "src/settings",
            &[
                "tokio",
                "hyper",
                "std::fs",
                "TcpStream",
                "crate::cli",
                "crate::session",
                "crate::runner",
                "crate::transport",
                "println!",
                "eprintln!",
            ],
        ),
        (
            "src/hunt",
            &[
                "tokio",
                "hyper",
                "std::fs",
                "std::net",
                "Instant",
                "crate::cli",
                "crate::transport::client",
                "println!",
                "eprintln!",
            ],
        ),
    ];
    let mut violations = Vec::new();
    for (dir, forbidden) in rules {
        let dir = root.join(dir);
        if !dir.exists() {
            continue;
        }
        for file in rust_files(&dir) {
            let text = std::fs::read_to_string(&file).expect("read source");
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                for word in *forbidden {
                    if code.contains(word) {
                        violations.push(format!(
                            "{}:{}: mentions `{word}`",
                            file.strip_prefix(&root).unwrap_or(&file).display(),
                            n + 1
                        ));
                    }
                }
            }
        }
    }
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn no_system_c_library_in_the_lock_file() {
    let lock =
        std::fs::read_to_string(repo_root().join("Cargo.lock")).expect("Cargo.lock is committed");
    let banned =
        ["libxml", "bindgen", "clang-sys", "pkg-config", "curl-sys", "openssl-sys", "cmake"];
    let found: Vec<_> =
        banned.iter().filter(|b| lock.contains(&format!("name = \"{b}\""))).collect();
    assert!(
        found.is_empty(),
        "Cargo.lock pulls in {found:?}: shakedown must build with the C compiler alone"
    );
}

#[test]
fn no_ignored_or_should_panic_tests_and_no_process_exit() {
    let root = repo_root();
    let mut found = Vec::new();
    for dir in ["src", "tests", "fixtures/service/src"] {
        for file in rust_files(&root.join(dir)) {
            if file.ends_with("tidy.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&file).expect("read source");
            for needle in ["#[ignore", "#[should_panic", "process::exit("] {
                // The fixture service exits on purpose: it simulates a server crash.
                let allowed = needle == "process::exit(" && dir == "fixtures/service/src";
                if !allowed && text.contains(needle) {
                    found.push(format!("{}: {needle}", file.display()));
                }
            }
        }
    }
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn exit_codes_are_defined_in_one_file() {
    let root = repo_root();
    let mut found = Vec::new();
    for file in rust_files(&root.join("src")) {
        if file.ends_with("exit_code.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read source");
        for (n, line) in text.lines().enumerate() {
            if line.contains("ExitCode::from(") && line.chars().any(|c| c.is_ascii_digit()) {
                found.push(format!("{}:{}", file.display(), n + 1));
            }
        }
    }
    assert!(found.is_empty(), "numeric exit codes outside src/exit_code.rs: {found:?}");
}

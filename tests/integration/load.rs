//! `shakedown load` and `shakedown merge` against the real fixture service: the two load models
//! under a server that slows down (coordinated omission made visible), thresholds and their exit
//! code, local sharding with a merge, and `test --shard`. Every run is bounded by
//! `--duration` and `--max-requests`; assertions are on the recorded numbers.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{
    Fixture, ShakedownCmd, fixture_bin, processes_marked, read_json, repo_root, temp_dir,
    write_file,
};

fn load<S: AsRef<str>>(args: &[S], out: &Path) -> (i32, Value, String) {
    let mut all: Vec<String> = vec!["load".into(), "--quiet".into(), "--out".into()];
    all.push(out.display().to_string());
    all.extend(args.iter().map(|a| a.as_ref().to_owned()));
    let run = ShakedownCmd::new(&all).output();
    let text = std::fs::read_to_string(out).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    let doc: Value = serde_json::from_str(&text).expect("the result is JSON");
    assert_eq!(doc["schema"], "shakedown.load/v1", "{run:?}");
    (run.code(), doc, run.stderr())
}

fn n(doc: &Value, key: &str) -> u64 {
    doc[key].as_u64().unwrap_or_else(|| panic!("{key} in {doc}"))
}

fn p50(doc: &Value) -> u64 {
    doc["latency"]["p50_us"].as_u64().expect("p50")
}

#[test]
fn a_slow_server_lowers_closed_throughput_but_raises_open_latency() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let fast = write_file(
        dir.path(),
        "fast.hurl",
        &format!("GET {}/delay/0\nHTTP 200\n", fixture.base_url),
    );
    let slow = write_file(
        dir.path(),
        "slow.hurl",
        &format!("GET {}/delay/40\nHTTP 200\n", fixture.base_url),
    );
    let out = |name: &str| dir.path().join(name);
    let (fast, slow) = (fast.display().to_string(), slow.display().to_string());
    let run = |file: &str, flags: &[&str], name: &str| {
        let args: Vec<&str> = [file].into_iter().chain(flags.iter().copied()).collect();
        let (code, doc, stderr) = load(&args, &out(name));
        assert_eq!(code, 0, "{stderr}");
        doc
    };
    let starts = |doc: &Value| {
        n(doc, "iterations") + n(doc, "dropped_iterations") + n(doc, "interrupted_iterations")
    };
    // Only what holds however the machine schedules the processes: no comparison between two
    // runs (a starved run can be arbitrarily slow) and no wall-clock threshold.

    // Closed model, one VU: each iteration waits for the last, so the server's 40 ms cap the
    // throughput: at most one request per 40 ms of the recorded elapsed time, plus the one in
    // flight, each one at least 40 ms.
    let closed = ["--vus", "1", "--duration", "1", "--max-requests", "100000"];
    let closed_slow = run(&slow, &closed, "cs.json");
    assert!(n(&closed_slow, "requests") <= n(&closed_slow, "elapsed_ms") / 40 + 1, "{closed_slow}");
    assert!(n(&closed_slow["latency"], "min_us") >= 40_000, "{closed_slow}");

    // Open model: 50 starts a second whatever the server does, each either run, dropped or cut
    // off, and the latency, measured from each intended start, shows the slowdown.
    let open = ["--rate", "50/s", "--duration", "1", "--max-vus", "20"];
    let open_fast = run(&fast, &open, "of.json");
    let open_slow = run(&slow, &open, "os.json");
    assert_eq!(starts(&open_fast), 50, "{open_fast}");
    assert_eq!(starts(&open_slow), 50, "{open_slow}");
    assert!(n(&open_slow["latency"], "min_us") >= 40_000, "{open_slow}");
    assert!(p50(&open_slow) >= 40_000, "{open_slow}");

    // With a pool of one VU, a start that finds it busy is dropped and counted, not delayed:
    // the one VU runs at most one iteration per 40 ms, and the other starts are still counted.
    let starved = run(&slow, &["--rate", "50/s", "--duration", "1", "--max-vus", "1"], "st.json");
    assert_eq!(starts(&starved), 50, "{starved}");
    assert_eq!(n(&starved, "vus_max"), 1, "{starved}");
    assert!(n(&starved, "iterations") <= n(&starved, "elapsed_ms") / 40 + 1, "{starved}");

    // No graceful stop: the iterations in flight at the end are cut off and counted, the last
    // start (handed over just before the end, not yet begun) too.
    let abrupt = [&open[..], &["--graceful-stop", "0"]].concat();
    let cut = run(&slow, &abrupt, "cut.json");
    assert_eq!(starts(&cut), 50, "{cut}");
    assert!(n(&cut, "interrupted_iterations") >= 1, "{cut}");
}

#[test]
fn crossing_a_threshold_exits_7_and_assert_failures_are_counted_not_fatal() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = write_file(
        dir.path(),
        "a.hurl",
        &format!(
            "GET {}/delay/20\nHTTP 200\n[Asserts]\njsonpath \"$.delayed_ms\" == 999\n",
            fixture.base_url
        ),
    );
    let file = file.display().to_string();
    let base = [&file[..], "--vus", "2", "--max-requests", "10"];
    let with = |extra: &[&'static str]| -> Vec<String> {
        base.iter().chain(extra).map(|a| (*a).to_owned()).collect()
    };

    let (code, doc, stderr) = load(&with(&["--threshold", "p95<10s"]), &dir.path().join("ok.json"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(n(&doc, "assert_failures"), n(&doc, "requests"));
    assert!(n(&doc, "requests") >= 10);
    assert_eq!(doc["threshold_results"][0]["passed"], true);
    assert!(doc["requests_by_name"][0]["outcome"] == "failed", "{doc}");

    // Every request takes at least 20 ms: p95 below 1 ms cannot hold.
    let (code, doc, stderr) = load(
        &with(&["--threshold", "p95<1ms", "--threshold", "resets==0"]),
        &dir.path().join("bad.json"),
    );
    assert_eq!(code, 7, "{stderr}");
    assert!(stderr.contains("threshold p95<1ms: CROSSED"), "{stderr}");
    assert_eq!(doc["threshold_results"][1]["passed"], true);

    let run = ShakedownCmd::new(["load", &file, "--vus", "1", "--threshold", "p95<<1"]).output();
    assert_eq!(run.code(), 1, "{run:?}");
    assert!(run.stderr().contains("invalid threshold"), "{run:?}");
    let run = ShakedownCmd::new(["load", &file, "--vus", "1", "--rate", "5/s"]).output();
    assert_eq!(run.code(), 1, "{run:?}");
}

#[test]
fn four_shards_and_a_merge_equal_one_run() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let file = write_file(
        dir.path(),
        "a.hurl",
        &format!(
            "GET {}/health\nHTTP 200\n[Asserts]\njsonpath \"$.status\" == \"ok\"\n",
            fixture.base_url
        ),
    );
    let file = file.display().to_string();
    // One VU per shard and one request per iteration: --max-requests is met exactly.
    let (code, single, _) =
        load(&[&file[..], "--vus", "1", "--max-requests", "40"], &dir.path().join("single.json"));
    assert_eq!(code, 0);
    // Two client threads are two in-process shards: the same totals.
    let (code, threaded, _) = load(
        &[&file[..], "--vus", "2", "--threads", "2", "--max-requests", "40"],
        &dir.path().join("threaded.json"),
    );
    assert_eq!(code, 0);
    assert_eq!(threaded["requests"], single["requests"]);
    assert_eq!(threaded["latency"]["count"], 40);
    let mut parts: Vec<PathBuf> = Vec::new();
    for m in 1..=4 {
        let out = dir.path().join(format!("shard-{m}.json"));
        let shard = format!("{m}/4");
        let (code, doc, _) = load(
            &[
                &file[..],
                "--vus",
                "4",
                "--max-requests",
                "40",
                "--shard",
                &shard,
                "--threshold",
                "error_rate<1%",
            ],
            &out,
        );
        assert_eq!(code, 0);
        assert_eq!(n(&doc, "requests"), 10, "{doc}");
        assert_eq!(doc["shard"]["index"], m);
        parts.push(out);
    }
    let merged_path = dir.path().join("merged.json");
    let mut args: Vec<String> =
        vec!["merge".into(), "--out".into(), merged_path.display().to_string()];
    args.extend(parts.iter().map(|p| p.display().to_string()));
    let run = ShakedownCmd::new(&args).output();
    assert_eq!(run.code(), 0, "{run:?}");
    let merged: Value =
        serde_json::from_str(&std::fs::read_to_string(&merged_path).expect("merged"))
            .expect("json");
    for key in ["requests", "iterations", "errors", "asserts", "assert_failures"] {
        assert_eq!(merged[key], single[key], "{key}");
    }
    assert_eq!(merged["status_codes"], single["status_codes"]);
    assert_eq!(merged["latency"]["count"], 40);
    assert_eq!(merged["merged_from"].as_array().map(Vec::len), Some(4));
    assert_eq!(merged["threshold_results"][0]["threshold"], "error_rate<1%");

    // A retried shard wrote the same index twice: one is kept, and the merge says which.
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(parts.iter().map(|p| p.display().to_string()));
    args.push(parts[0].display().to_string());
    let run = ShakedownCmd::new(&args).output();
    assert_eq!(run.code(), 0, "{run:?}");
    assert!(run.stderr().contains("shard 1 appears twice"), "{run:?}");
    assert!(run.stderr().contains("requests: 40 "), "{run:?}");

    // A missing shard fails, naming it; thresholds are judged after merging.
    let run = ShakedownCmd::new([
        "merge",
        &parts[0].display().to_string(),
        &parts[2].display().to_string(),
    ])
    .output();
    assert_eq!(run.code(), 2, "{run:?}");
    assert!(run.stderr().contains("shard(s) missing: 2, 4 of 4"), "{run:?}");
    // A test report is not a load result: mixing them is a named refusal, not a silent pass.
    let report = write_file(dir.path(), "report.json", "{\"schema\": \"shakedown.report/v1\"}");
    let run = ShakedownCmd::new([
        "merge",
        &parts[0].display().to_string(),
        &report.display().to_string(),
    ])
    .output();
    assert_eq!(run.code(), 2, "{run:?}");
    assert!(run.stderr().contains("cannot merge a test/run report"), "{run:?}");
    let mut args: Vec<String> = vec!["merge".into(), "--threshold".into(), "requests<40".into()];
    args.extend(parts.iter().map(|p| p.display().to_string()));
    let run = ShakedownCmd::new(&args).output();
    assert_eq!(run.code(), 7, "{run:?}");
}

#[test]
fn test_shards_run_every_file_exactly_once() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let mut all = Vec::new();
    for i in 0..9 {
        let path = write_file(
            dir.path(),
            &format!("f{i}.hurl"),
            &format!("GET {}/health\nHTTP 200\n", fixture.base_url),
        );
        all.push(path.display().to_string());
    }
    for mode in ["hash", "slice"] {
        let mut seen = Vec::new();
        for m in 0..3 {
            let report = dir.path().join(format!("{mode}-{m}.json"));
            // The index from the environment, as a Kubernetes Indexed Job gives it (0-based).
            let run = ShakedownCmd::new([
                "test",
                &dir.path().display().to_string(),
                "--shard-mode",
                mode,
                "--report",
                &format!("json={}", report.display()),
            ])
            .env("JOB_COMPLETION_INDEX", &m.to_string())
            .env("SHAKEDOWN_SHARD_TOTAL", "3")
            .output();
            assert_eq!(run.code(), 0, "{run:?}");
            let doc: Value =
                serde_json::from_str(&std::fs::read_to_string(&report).expect("report"))
                    .expect("json");
            for file in doc["files"].as_array().expect("files") {
                seen.push(file["path"].as_str().expect("path").to_owned());
            }
        }
        seen.sort();
        let mut expected = all.clone();
        expected.sort();
        assert_eq!(seen, expected, "{mode}");
    }
}

/// A copy of a scenario of `tests/scenarios/faults/` (they use `{{base_url}}`).
fn fault_scenario(dir: &Path, name: &str) -> String {
    let text = std::fs::read_to_string(repo_root().join("tests/scenarios/faults").join(name))
        .expect("the fault scenario");
    write_file(dir, name, &text).display().to_string()
}

#[test]
fn diagnosed_causes_are_counted_and_judged_by_cause_thresholds() {
    let fixture = Fixture::start(&[]);
    let dir = temp_dir();
    let base_url = format!("base_url={}", fixture.base_url);
    // Every response is cut by an RST after 1000 body bytes: an abortive close each time.
    let cut = fault_scenario(dir.path(), "reset-mid-body.hurl");
    let (code, doc, stderr) = load(
        &[
            &cut[..],
            "--variable",
            &base_url,
            "--vus",
            "1",
            "--max-requests",
            "4",
            "--threshold",
            "cause.abortive_close==0",
            "--threshold",
            "cause.keepalive_race==0",
        ],
        &dir.path().join("cut.json"),
    );
    assert_eq!(code, 7, "{stderr}");
    let errors = n(&doc, "errors");
    assert!(errors >= 4, "{doc}");
    assert_eq!(doc["errors_by_class"]["cause.abortive_close"], errors, "{doc}");
    assert_eq!(doc["errors_by_class"]["reset"], errors, "{doc}");
    assert_eq!(doc["threshold_results"][0]["passed"], false);
    assert_eq!(doc["threshold_results"][0]["observed"].as_f64(), Some(errors as f64));
    assert_eq!(doc["threshold_results"][1]["passed"], true);
    assert!(stderr.contains("cause.abortive_close="), "{stderr}");

    // The keep-alive race of the fault suite: the reset of the reused connection is diagnosed,
    // retried (GET is idempotent) and counted by its cause.
    let race = fault_scenario(dir.path(), "keepalive-race-rst-get.hurl");
    let (code, doc, stderr) = load(
        &[&race[..], "--variable", &base_url, "--vus", "1", "--max-requests", "1"],
        &dir.path().join("race.json"),
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(n(&doc, "iterations"), 1, "{doc}");
    assert_eq!(doc["errors_by_class"]["cause.keepalive_race"], 1, "{doc}");
    assert_eq!(doc["retries_by_cause"]["keepalive_race"], 1, "{doc}");

    // A cause outside the diagnosis's vocabulary is a usage error that names the closest.
    let run =
        ShakedownCmd::new(["load", &cut, "--vus", "1", "--threshold", "cause.keepalive_rase<1"])
            .output();
    assert_eq!(run.code(), 1, "{run:?}");
    assert!(run.stderr().contains("did you mean `keepalive_race`?"), "{run:?}");
}

/// `[server]` as the fixture on `{port}`, marked so the test can see that it is gone after.
fn suite_server(marker: &str) -> String {
    format!(
        "[server]\ncommand = [\"{}\", \"--port\", \"{{port}}\", \"--max-seconds\", \"120\"]\nenv = {{ SHAKEDOWN_TEST_MARKER = \"{marker}\" }}\nready = {{ http = \"/health\", status = 200, timeout = \"10s\" }}\n",
        fixture_bin().display()
    )
}

fn marker(dir: &Path) -> String {
    format!("load-test-{}", dir.file_name().map(|n| n.to_string_lossy()).unwrap_or_default())
}

#[test]
fn load_on_a_suite_starts_its_servers_applies_the_load_table_and_stops_them() {
    let dir = temp_dir();
    let marker = marker(dir.path());
    write_file(dir.path(), "s/health.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "{}\n[[layer]]\nname = \"api\"\nscenarios = [\"s/*.hurl\"]\n\n[load]\nvus = 1\nmax_requests = 10\nthresholds = [\"errors==0\", \"requests<5\"]\n",
            suite_server(&marker)
        ),
    );
    let suite = dir.path().join("shakedown.toml").display().to_string();
    let out = dir.path().join("result.json");
    // The command line wins over [load]: 6 requests, and its threshold replaces the table's.
    let (code, doc, stderr) =
        load(&[&suite[..], "--max-requests", "6", "--threshold", "errors==0"], &out);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(n(&doc, "requests"), 6, "{doc}");
    assert_eq!(doc["status_codes"]["200"], 6, "{doc}");
    assert_eq!(doc["thresholds"], serde_json::json!(["errors==0"]));
    assert!(stderr.contains("server main: ready at http://127.0.0.1:"), "{stderr}");
    assert!(stderr.starts_with("shakedown load: output in "), "its own start line: {stderr}");
    assert!(!stderr.contains("shakedown run"), "{stderr}");
    assert!(processes_marked(&marker).is_empty(), "the server is stopped");
    // The run folder holds the servers' logs, the result and the run's report.
    let runs: Vec<PathBuf> = std::fs::read_dir(dir.path().join(".shakedown"))
        .expect("the output folder")
        .map(|e| e.expect("an entry").path())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let copy: Value = serde_json::from_str(
        &std::fs::read_to_string(runs[0].join("load.json")).expect("load.json"),
    )
    .expect("json");
    assert_eq!(copy["requests"], 6);
    assert!(runs[0].join("main.stdout.log").is_file() || runs[0].join("main.stderr.log").is_file());
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(runs[0].join("report.json")).expect("report.json"),
    )
    .expect("json");
    assert_eq!(report["outcome"], "passed", "{report:#}");
    assert_eq!(report["partial"], false, "{report:#}");
    let layers = report["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 1, "{report:#}");
    assert_eq!((&layers[0]["name"], &layers[0]["kind"]), (&"load".into(), &"load".into()));
    assert_eq!(layers[0]["load"], copy, "the layer's result is the load's");
    crate::reports::assert_valid_json_reports(&[runs[0].join("report.json")]);
    assert!(stderr.contains(&format!("report in {}", runs[0].join("report.json").display())));

    // [load]'s own options and thresholds when the command line gives none: 10 requests,
    // and `requests<5` is crossed.
    let (code, doc, stderr) = load(&[&suite[..]], &out);
    assert_eq!(code, 7, "{stderr}");
    assert_eq!(n(&doc, "requests"), 10, "{doc}");
    assert_eq!(doc["threshold_results"][1]["passed"], false);

    // A ramping arrival rate on the suite: 1/s → 20/s over 1 s is ∫ = 10.5, so 11 starts
    // (k = 0..10), each run, dropped or cut off ([load]'s max_requests = 10 lifted).
    let (code, doc, stderr) = load(
        &[
            &suite[..],
            "--rate",
            "1",
            "--stages",
            "1s:20",
            "--max-vus",
            "20",
            "--max-requests",
            "1000",
            "--threshold",
            "errors==0",
        ],
        &out,
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        n(&doc, "iterations") + n(&doc, "dropped_iterations") + n(&doc, "interrupted_iterations"),
        11,
        "{doc}"
    );
    assert!(doc["model"].as_str().is_some_and(|m| m.contains("through stages")), "{doc}");
    assert!(processes_marked(&marker).is_empty(), "the server is stopped");
}

#[test]
fn load_on_a_suite_applies_its_fault_plan_and_counts_the_resets() {
    let dir = temp_dir();
    let marker = marker(dir.path());
    write_file(dir.path(), "s/health.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "{}\n[[layer]]\nname = \"api\"\nscenarios = [\"s/*.hurl\"]\n\n[load]\nvus = 1\nmax_requests = 40\n\n[faults]\nseed = 7\n\n[[faults.fault]]\ntype = \"reset_peer\"\ntoxicity = 0.2\nper = \"request\"\n",
            suite_server(&marker)
        ),
    );
    let suite = dir.path().join("shakedown.toml").display().to_string();
    let (code, doc, stderr) = load(&[&suite[..]], &dir.path().join("result.json"));
    // Transport errors are counted, not fatal: no threshold, no failure.
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("faults: 1 fault(s) from "), "{stderr}");
    assert!(processes_marked(&marker).is_empty(), "the server is stopped");
    // The load went through the fault proxy: every reset it injected is a transport error of
    // the load, by class, and the result says what was injected.
    let injected = doc["faults"]["injected"]["reset_peer"].as_u64().expect("resets injected");
    assert!(injected >= 1, "{doc}");
    assert_eq!(doc["errors_by_class"]["reset"], injected, "{doc}");
    assert_eq!(doc["faults"]["seed"], 7, "{doc}");
    assert!(n(&doc["faults"], "connections") >= 1, "{doc}");
    assert_eq!(n(&doc, "requests"), 40, "{doc}");
    assert!(stderr.contains(&format!("faults injected: reset_peer={injected} ")), "{stderr}");

    // `--faults PLAN --fault-seed N` replace the suite's plan and seed, as in `run`.
    write_file(
        dir.path(),
        "plan.toml",
        "seed = 3\n\n[[fault]]\ntype = \"reset_peer\"\ntoxicity = 0.5\nper = \"request\"\n",
    );
    let plan = dir.path().join("plan.toml").display().to_string();
    let (code, doc, stderr) = load(
        &[&suite[..], "--faults", &plan[..], "--fault-seed", "11"],
        &dir.path().join("result.json"),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(&format!("faults: 1 fault(s) from {plan}, seed 11")), "{stderr}");
    assert_eq!(doc["faults"]["seed"], 11, "{doc}");
    let injected = doc["faults"]["injected"]["reset_peer"].as_u64().expect("resets injected");
    assert_eq!(doc["errors_by_class"]["reset"], injected, "{doc}");
    assert!(processes_marked(&marker).is_empty(), "the server is stopped");

    // Without a suite there are no servers to front.
    let hurl = dir.path().join("s/health.hurl").display().to_string();
    let out = ShakedownCmd::new(["load", &hurl[..], "--faults", &plan[..]]).output();
    assert_eq!(out.code(), 1, "{out:?}");
    assert!(out.stderr().contains("--faults and --fault-seed need a suite file"), "{out:?}");
}

#[test]
fn a_load_layer_runs_under_run_and_its_thresholds_decide_it() {
    let dir = temp_dir();
    let marker = marker(dir.path());
    write_file(dir.path(), "s/slow.hurl", "GET {{base_url}}/delay/5\nHTTP 200\n");
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "{}\n[[layer]]\nname = \"capacity\"\nscenarios = [\"s/*.hurl\"]\nload = {{ vus = 2, max_requests = 20, duration = \"30s\", thresholds = [\"errors==0\", \"requests>=20\"] }}\n\n[[layer]]\nname = \"latency\"\nscenarios = [\"s/*.hurl\"]\nload = {{ rate = \"50/s\", duration = \"1s\", max_vus = 5, thresholds = [\"p95<1ms\"] }}\n",
            suite_server(&marker)
        ),
    );
    let check = ShakedownCmd::new(["check", "shakedown.toml"]).current_dir(dir.path()).output();
    assert_eq!(check.code(), 0, "{check:?}");
    assert!(check.stdout().contains("layer capacity: load on 1 scenario file(s)"), "{check:?}");

    let run = ShakedownCmd::new(["run", "shakedown.toml", "--output-dir", "out", "--no-color"])
        .current_dir(dir.path())
        .output();
    // Every request takes at least 5 ms: `p95<1ms` is crossed, which fails its layer.
    assert_eq!(run.code(), 7, "{run:?}");
    let stderr = run.stderr();
    assert!(stderr.contains("layer latency: threshold p95<1ms: CROSSED"), "{stderr}");
    assert!(stderr.contains("layer capacity: requests: "), "{stderr}");
    assert!(stderr.contains("the selected layers are load and command layers"), "{stderr}");
    assert!(stderr.contains("suite shakedown.toml: FAILED"), "a crossed threshold fails: {stderr}");
    assert!(processes_marked(&marker).is_empty(), "the server is stopped");

    let run_dir: PathBuf = std::fs::read_dir(dir.path().join("out"))
        .expect("out")
        .map(|e| e.expect("entry").path())
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("run-")))
        .expect("a run folder");
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(run_dir.join("report.json")).expect("report.json"),
    )
    .expect("json");
    let layers = report["layers"].as_array().expect("layers");
    assert_eq!(layers[0]["kind"], "load");
    assert_eq!(layers[0]["outcome"], "passed", "{report:#}");
    assert!(n(&layers[0]["load"], "requests") >= 20, "{report:#}");
    assert_eq!(layers[0]["load"]["schema"], "shakedown.load/v1");
    assert_eq!(layers[1]["outcome"], "failed", "{report:#}");
    assert_eq!(layers[1]["load"]["threshold_results"][0]["passed"], false);
    // Each load layer's result is also a file of its own, mergeable like any load result.
    let own: Value = serde_json::from_str(
        &std::fs::read_to_string(run_dir.join("load-latency.json")).expect("load-latency.json"),
    )
    .expect("json");
    assert_eq!(own, layers[1]["load"]);
    // JUnit: one case per threshold.
    let junit = dir.path().join("junit.xml");
    let run = ShakedownCmd::new([
        "run",
        "shakedown.toml",
        "--output-dir",
        "out2",
        "--layer",
        "latency",
        "--report",
        &format!("junit={}", junit.display()),
    ])
    .current_dir(dir.path())
    .output();
    assert_eq!(run.code(), 7, "{run:?}");
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(xml.contains("name=\"p95&lt;1ms\""), "{xml}");
    assert!(xml.contains("<failure"), "{xml}");
}

/// `run --shard i/2` on a suite with a load layer: each shard runs half the load on all of
/// the layer's files (not half the files), and `merge` adds the two results up, judges the
/// thresholds on the sum and decides the layer (and the exit code) from it.
#[test]
fn a_load_layer_under_run_shard_runs_a_fraction_of_the_load_and_merges_to_the_sum() {
    let dir = temp_dir();
    let marker = marker(dir.path());
    write_file(dir.path(), "s/a.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    write_file(dir.path(), "s/b.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    // `requests>=30` holds for the sum of the shards (about 20 each) and for neither alone.
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "{}\n[[layer]]\nname = \"capacity\"\nscenarios = [\"s/*.hurl\"]\nload = {{ vus = 4, max_requests = 40, duration = \"30s\", thresholds = [\"errors==0\", \"requests>=30\"] }}\n",
            suite_server(&marker)
        ),
    );
    let mut results = Vec::new();
    for i in [1, 2] {
        let shard = format!("{i}/2");
        let report = format!("json=shard-{i}.json");
        let out = ShakedownCmd::new([
            "run",
            "shakedown.toml",
            "--output-dir",
            "out",
            "--no-color",
            "--shard",
            &shard[..],
            "--report",
            &report[..],
        ])
        .current_dir(dir.path())
        .output();
        // Alone, a shard's 20 or so requests cross `requests>=30`.
        assert_eq!(out.code(), 7, "{out:?}");
        let said = format!(
            "shard {i}/2: 0 of 0 scenario files; 1 load layer(s), each at this shard's fraction of its load"
        );
        assert!(out.stderr().contains(&said), "{out:?}");
        let report = read_json(&dir.path().join(format!("shard-{i}.json")));
        let layer = &report["layers"][0];
        assert_eq!(layer["outcome"], "failed", "{report:#}");
        let load = &layer["load"];
        assert_eq!(load["shard"]["index"], i, "{load:#}");
        assert_eq!(load["shard"]["total"], 2, "{load:#}");
        assert_eq!(load["vus_max"], 2, "half of the 4 VUs: {load:#}");
        assert_eq!(load["files"].as_array().map(Vec::len), Some(2), "every file: {load:#}");
        assert_eq!(layer["files"].as_array().map(Vec::len), Some(2), "{layer:#}");
        results.push(load.clone());
    }
    assert!(processes_marked(&marker).is_empty(), "the servers are stopped");

    let out = ShakedownCmd::new(["merge", "shard-1.json", "shard-2.json", "--out", "merged.json"])
        .current_dir(dir.path())
        .output();
    assert_eq!(out.code(), 0, "the sum holds every threshold: {out:?}");
    assert!(out.stderr().contains("layer capacity: threshold requests>=30: passed"), "{out:?}");
    let merged = read_json(&dir.path().join("merged.json"));
    let layer = &merged["layers"][0];
    assert_eq!(layer["outcome"], "passed", "{merged:#}");
    assert_eq!(layer["files"].as_array().map(Vec::len), Some(2), "each file once: {layer:#}");
    let load = &layer["load"];
    assert!(load["shard"].is_null(), "{load:#}");
    assert_eq!(load["merged_from"].as_array().map(Vec::len), Some(2), "{load:#}");
    assert_eq!(n(load, "requests"), n(&results[0], "requests") + n(&results[1], "requests"));
    assert_eq!(n(load, "iterations"), n(&results[0], "iterations") + n(&results[1], "iterations"));
    assert_eq!(load["vus_max"], 4, "{load:#}");
    assert_eq!(
        load["latency"]["count"],
        n(&results[0]["latency"], "count") + n(&results[1]["latency"], "count"),
        "the histograms are added: {load:#}"
    );
    let verdicts = load["threshold_results"].as_array().expect("verdicts");
    assert!(verdicts.iter().all(|v| v["passed"] == true), "{load:#}");
}

#[test]
fn a_load_layer_shows_its_numbers_on_the_live_display_in_a_terminal() {
    use std::io::{Read, Write};
    // A service that holds the load's one request until the test has seen the display.
    let hold = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = hold.local_addr().expect("address").port();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let (mut stream, _) = hold.accept().expect("shakedown connects");
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request);
        let _ = released.recv();
        let _ =
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    let dir = temp_dir();
    let marker = marker(dir.path());
    write_file(dir.path(), "s/held.hurl", &format!("GET http://127.0.0.1:{port}/held\nHTTP 200\n"));
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "{}\n[[layer]]\nname = \"capacity\"\nscenarios = [\"s/*.hurl\"]\nload = {{ vus = 1, max_requests = 1, duration = \"60s\" }}\n",
            suite_server(&marker)
        ),
    );
    let command = format!(
        "cd '{}' && '{}' run shakedown.toml --output-dir out --color=never",
        dir.path().display(),
        crate::support::shakedown_bin().display()
    );
    let tmux =
        crate::terminal::Tmux { socket: format!("shakedown-live-load-{}", std::process::id()) };
    tmux.run(&["new-session", "-d", "-x", "250", "-y", "40", "-s", "live", &command]);
    tmux.run(&["set-option", "-t", "live", "remain-on-exit", "on"]);
    // The first tick of the load's live view: one iteration in flight, held.
    let live = tmux.wait_for("the load's numbers on the status line", |s| {
        s.contains("layer capacity") && s.contains("active 1,")
    });
    assert!(live.contains("0 requests"), "{live}");
    assert!(live.contains("dropped 0, assert failures 0, errors none"), "{live}");
    release.send(()).expect("the holder waits");
    holder.join().expect("the holder ends");
    let done = tmux.wait_for("the end of the run", |s| s.contains("suite shakedown.toml: "));
    assert!(!done.contains("active 1,"), "the status line is cleared:\n{done}");
    assert!(done.contains("layer capacity: requests: 1 "), "the summary: {done}");
    assert!(processes_marked(&marker).is_empty(), "the server is stopped");
}

/// The pause between two polls of a bounded wait (never a synchronisation by itself).
#[expect(clippy::disallowed_methods, reason = "the pause between polls of a wait with a deadline")]
fn pause_between_polls() {
    std::thread::sleep(std::time::Duration::from_millis(20));
}

#[test]
fn sigint_stops_a_suite_load_and_its_servers() {
    let dir = temp_dir();
    let marker = marker(dir.path());
    write_file(dir.path(), "s/health.hurl", "GET {{base_url}}/health\nHTTP 200\n");
    write_file(
        dir.path(),
        "shakedown.toml",
        &format!(
            "{}\n[[layer]]\nname = \"api\"\nscenarios = [\"s/*.hurl\"]\n\n[load]\nrate = \"20/s\"\nduration = \"60s\"\n",
            suite_server(&marker)
        ),
    );
    let stderr_path = dir.path().join("stderr.txt");
    let out = dir.path().join("result.json");
    #[expect(
        clippy::disallowed_methods,
        reason = "the test runs the binary under test in the background"
    )]
    let mut child = std::process::Command::new(crate::support::shakedown_bin())
        .args(["load", "shakedown.toml", "--quiet", "--out"])
        .arg(&out)
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).expect("stderr file"))
        .spawn()
        .expect("shakedown starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    // The header is printed once the servers are ready and the load starts.
    while !std::fs::read_to_string(&stderr_path).unwrap_or_default().contains("load: open model") {
        assert!(std::time::Instant::now() < deadline, "the load did not start");
        assert!(child.try_wait().expect("try_wait").is_none(), "shakedown exited early");
        pause_between_polls();
    }
    assert!(!processes_marked(&marker).is_empty(), "the server runs during the load");
    let pid = rustix::process::Pid::from_raw(i32::try_from(child.id()).expect("a pid"))
        .expect("a valid pid");
    rustix::process::kill_process(pid, rustix::process::Signal::INT).expect("SIGINT is sent");
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("shakedown did not stop on SIGINT");
        }
        pause_between_polls();
    };
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(processes_marked(&marker).is_empty(), "the server is stopped: {stderr}");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("the result")).expect("json");
    assert_eq!(doc["interrupted"], true, "{doc}");
    // The run folder's report says so too.
    let run_dir = std::fs::read_dir(dir.path().join(".shakedown"))
        .expect("the output folder")
        .map(|e| e.expect("an entry").path())
        .next()
        .expect("a run folder");
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(run_dir.join("report.json")).expect("report.json"),
    )
    .expect("json");
    assert_eq!((&report["outcome"], &report["partial"]), (&"interrupted".into(), &true.into()));
    assert_eq!(report["layers"][0]["outcome"], "interrupted", "{report:#}");
    assert_eq!(report["layers"][0]["load"]["interrupted"], true, "{report:#}");
}

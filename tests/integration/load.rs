//! `shakedown load` and `shakedown merge` against the real fixture service: the two load models
//! under a server that slows down (coordinated omission made visible), thresholds and their exit
//! code, local sharding with a merge, and `test --shard`. Every run is bounded by
//! `--duration` and `--max-requests`; assertions are on the recorded numbers.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{Fixture, ShakedownCmd, temp_dir, write_file};

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

    // Closed model, one VU: each iteration waits for the last, so a slow server gets fewer requests.
    let closed = ["--vus", "1", "--duration", "1", "--max-requests", "100000"];
    let (code, closed_fast, _) =
        load(&[&fast[..]].iter().chain(&closed).copied().collect::<Vec<_>>(), &out("cf.json"));
    assert_eq!(code, 0);
    let (_, closed_slow, _) =
        load(&[&slow[..]].iter().chain(&closed).copied().collect::<Vec<_>>(), &out("cs.json"));
    // 40 ms per request: at most one per 40 ms of the recorded elapsed time, plus the one in flight.
    assert!(n(&closed_slow, "requests") <= n(&closed_slow, "elapsed_ms") / 40 + 1, "{closed_slow}");
    assert!(
        n(&closed_slow, "requests") < n(&closed_fast, "requests"),
        "{closed_slow} vs {closed_fast}"
    );

    // Open model: 50 starts a second whatever the server does: the same number of starts (50 in
    // one second, every one either run or dropped), and the latency shows the slowdown.
    let open = ["--rate", "50/s", "--duration", "1", "--max-vus", "20"];
    let (_, open_fast, _) =
        load(&[&fast[..]].iter().chain(&open).copied().collect::<Vec<_>>(), &out("of.json"));
    let (_, open_slow, _) =
        load(&[&slow[..]].iter().chain(&open).copied().collect::<Vec<_>>(), &out("os.json"));
    for doc in [&open_fast, &open_slow] {
        assert_eq!(
            n(doc, "iterations") + n(doc, "dropped_iterations") + n(doc, "interrupted_iterations"),
            50,
            "{doc}"
        );
    }
    assert!(p50(&open_slow) >= 40_000, "{open_slow}");
    assert!(p50(&open_slow) > p50(&open_fast), "{open_slow} vs {open_fast}");
    assert!(n(&open_slow, "iterations") > n(&closed_slow, "iterations"));

    // With a pool of one VU, starts that find it busy are dropped and counted, not delayed.
    let (_, starved, _) = load(
        &[&slow[..], "--rate", "50/s", "--duration", "1", "--max-vus", "1"],
        &out("starved.json"),
    );
    assert!(n(&starved, "dropped_iterations") >= 20, "{starved}");
    assert_eq!(
        n(&starved, "iterations")
            + n(&starved, "dropped_iterations")
            + n(&starved, "interrupted_iterations"),
        50
    );
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

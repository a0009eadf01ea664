//! Scale-out on a real engine: a single-node Slurm cluster (Debian's slurm-wlm and munge,
//! started by `tests/slurm/cluster`) runs a job array of 4 shards and a dependent merge job.
//! The merged load totals must equal a single run's, and every test file must run exactly
//! once across the shards. If the cluster cannot start, this test fails: it never skips.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::support::{Fixture, ShakedownCmd, repo_root, shakedown_bin, temp_dir, write_file};

/// Stops the cluster (by the PIDs its script recorded) however the test ends.
struct Cluster {
    dir: PathBuf,
    conf: String,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = script_command("stop", &self.dir, &[]).output();
    }
}

fn script_command(verb: &str, dir: &Path, extra: &[String]) -> Command {
    #[expect(
        clippy::disallowed_methods,
        reason = "the test starts and stops its own Slurm cluster through the repository's script"
    )]
    let mut command = Command::new(repo_root().join("tests/slurm/cluster"));
    command.arg(verb).arg(dir).args(extra).stdin(Stdio::null());
    command
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

fn slurm(conf: &str, program: &str, args: &[&str]) -> Output {
    #[expect(clippy::disallowed_methods, reason = "the test drives Slurm's own client tools")]
    let output = Command::new("timeout")
        .arg("300")
        .arg(program)
        .args(args)
        .env("SLURM_CONF", conf)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} does not run ({e}): apt-get install -y slurm-wlm munge")
        });
    output
}

fn text(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn start_cluster(dir: &Path) -> Cluster {
    let ports = [free_port().to_string(), free_port().to_string()];
    let output = script_command("start", dir, &ports).output().expect("tests/slurm/cluster runs");
    let cluster =
        Cluster { dir: dir.to_path_buf(), conf: dir.join("slurm.conf").display().to_string() };
    assert!(
        output.status.success(),
        "the Slurm cluster did not start (this test needs root and `apt-get install -y slurm-wlm munge`):\n{}",
        text(&output)
    );
    cluster
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("JSON")
}

#[test]
fn a_slurm_job_array_of_four_shards_and_a_dependent_merge_equal_one_run() {
    let fixture = Fixture::start(&[]);
    let work = temp_dir();
    let dir = work.path();
    let files = dir.join("files");
    let mut all = Vec::new();
    for i in 0..10 {
        let path = write_file(
            &files,
            &format!("f{i}.hurl"),
            &format!("GET {}/health\nHTTP 200\n", fixture.base_url),
        );
        all.push(path.display().to_string());
    }
    let load_file = write_file(
        dir,
        "load.hurl",
        &format!(
            "GET {}/health\nHTTP 200\n[Asserts]\njsonpath \"$.status\" == \"ok\"\n",
            fixture.base_url
        ),
    );
    let bin = shakedown_bin().display().to_string();
    let (d, f, l) = (dir.display(), files.display(), load_file.display());
    // Each array task finds its shard in SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT.
    let shard_job = write_file(
        dir,
        "shard.sh",
        &format!(
            "#!/bin/bash\nset -eu\n\
             {bin} load {l} --vus 4 --max-requests 40 --quiet --threshold 'error_rate<1%' --out {d}/load-$SLURM_ARRAY_TASK_ID.json\n\
             {bin} test {f} --report json={d}/test-$SLURM_ARRAY_TASK_ID.json\n"
        ),
    );
    let merge_job = write_file(
        dir,
        "merge.sh",
        &format!(
            "#!/bin/bash\nset -eu\n{bin} merge --out {d}/merged.json {d}/load-1.json {d}/load-2.json {d}/load-3.json {d}/load-4.json\n"
        ),
    );

    let cluster = start_cluster(&dir.join("cluster"));
    let array = slurm(
        &cluster.conf,
        "sbatch",
        &[
            "--parsable",
            "--array=1-4",
            "-o",
            &format!("{d}/shard-%a.out"),
            &shard_job.display().to_string(),
        ],
    );
    assert!(array.status.success(), "sbatch --array: {}", text(&array));
    let job_id = String::from_utf8_lossy(&array.stdout).trim().to_owned();
    assert!(!job_id.is_empty());
    // --wait: sbatch returns when the merge job ends, with its exit status.
    let merge = slurm(
        &cluster.conf,
        "sbatch",
        &[
            "--wait",
            &format!("--dependency=afterok:{job_id}"),
            "-o",
            &format!("{d}/merge.out"),
            &merge_job.display().to_string(),
        ],
    );
    let logs: String = (1..=4)
        .map(|i| std::fs::read_to_string(dir.join(format!("shard-{i}.out"))).unwrap_or_default())
        .chain([std::fs::read_to_string(dir.join("merge.out")).unwrap_or_default()])
        .collect();
    assert!(merge.status.success(), "the merge job: {}\n{logs}", text(&merge));

    let merged = read_json(&dir.join("merged.json"));
    let single_out = dir.join("single.json");
    let single = ShakedownCmd::new([
        "load",
        &l.to_string(),
        "--vus",
        "1",
        "--max-requests",
        "40",
        "--quiet",
        "--out",
        &single_out.display().to_string(),
    ])
    .output();
    assert_eq!(single.code(), 0, "{single:?}");
    let single = read_json(&single_out);
    for key in ["requests", "iterations", "errors", "asserts", "assert_failures"] {
        assert_eq!(merged[key], single[key], "{key}: {logs}");
    }
    assert_eq!(merged["status_codes"], single["status_codes"]);
    assert_eq!(merged["merged_from"].as_array().map(Vec::len), Some(4));
    assert_eq!(merged["threshold_results"][0]["passed"], true);

    let mut ran = Vec::new();
    for i in 1..=4 {
        let report = read_json(&dir.join(format!("test-{i}.json")));
        for file in report["files"].as_array().expect("files") {
            ran.push(file["path"].as_str().expect("path").to_owned());
        }
    }
    ran.sort();
    all.sort();
    assert_eq!(ran, all, "every file exactly once across the shards");
}

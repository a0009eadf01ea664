//! The HTML report: one self-contained file (inline CSS, JavaScript and SVG; nothing is
//! fetched) built from the JSON report document (`report::json`, and `shakedown run`'s
//! suite fields), which it embeds.
//!
//! The verdict and the totals are written as static HTML on top, so they show even
//! without JavaScript; the script draws the rest from the embedded document: a timeline
//! with one row per server and one per transport connection (every attempt a bar;
//! connection reuse, idle gaps, retries, resets, server ready/exit/start-failure marks),
//! the failures (the assert quoted with expected and actual, or the transport error and
//! the retry rule), and per-entry details (request, response status, connection and
//! timing facts of every attempt). The caller redacts secrets from the document before,
//! and from the page after, as for every report.

use std::io;

use serde_json::Value;

/// Writes the HTML page of the JSON report `document` to `out`.
pub fn write(document: &[u8], out: &mut dyn io::Write) -> io::Result<()> {
    let report: Value = serde_json::from_slice(document).map_err(io::Error::other)?;
    let outcome = report["outcome"].as_str().unwrap_or("error");
    let partial = report["partial"].as_bool().unwrap_or(false);
    let files = &report["totals"]["files"];
    let count = |key: &str| files[key].as_u64().unwrap_or(0);
    let mut summary = format!(
        "{} files: {} passed, {} flaky, {} failed, {} errored, {} skipped, {} interrupted; {} requests",
        count("total"),
        count("passed"),
        count("flaky"),
        count("failed"),
        count("error"),
        count("skipped"),
        count("interrupted"),
        report["totals"]["requests"].as_u64().unwrap_or(0),
    );
    if let Some(layers) = report["totals"]["layers"].as_object() {
        let n = |key: &str| layers.get(key).and_then(Value::as_u64).unwrap_or(0);
        summary.push_str(&format!(
            "; {} layers: {} passed, {} flaky, {} failed, {} errored, {} interrupted, {} not run",
            n("total"),
            n("passed"),
            n("flaky"),
            n("failed"),
            n("error"),
            n("interrupted"),
            n("not_run"),
        ));
    }
    let started = report["run"]["started_at"].as_str().unwrap_or_default();
    let title = report["suite"]["path"]
        .as_str()
        .map_or_else(|| "shakedown test".to_owned(), |path| format!("shakedown run {path}"));
    let outcome_upper = outcome.to_uppercase();
    let data = script_json(&report);
    let page = fill(
        TEMPLATE,
        &[
            ("title", &escape(&title)),
            ("outcome", &escape(outcome)),
            ("OUTCOME", &escape(&outcome_upper)),
            ("partial", if partial { " (partial: the run did not finish)" } else { "" }),
            ("summary", &escape(&summary)),
            ("started", &escape(started)),
            ("data", &data),
        ],
    );
    out.write_all(page.as_bytes())
}

/// `template` with each `{{key}}` replaced by its value, in one pass (a value that
/// contains `{{…}}`, such as a URL template, is never substituted again).
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let (before, after) = rest.split_at(start);
        out.push_str(before);
        let found = values.iter().find(|(key, _)| {
            after.get(2..).is_some_and(|a| a.starts_with(key) && a[key.len()..].starts_with("}}"))
        });
        match found {
            Some((key, value)) => {
                out.push_str(value);
                rest = after.get(key.len() + 4..).unwrap_or_default();
            }
            None => {
                out.push_str("{{");
                rest = after.get(2..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

/// HTML text and attribute escaping.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// JSON safe inside a `<script>` element: `<`, `>` and `&` occur only inside JSON
/// strings, where their `\u` escapes mean the same.
fn script_json(value: &Value) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "null".to_owned())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

const TEMPLATE: &str = r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{{title}}: {{OUTCOME}}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
header.verdict { padding: 14px 24px; color: #fff; }
header.verdict h1 { margin: 0; font-size: 26px; }
header.verdict p { margin: 4px 0 0; }
.passed { background: #1f7a3a; } .flaky { background: #b26a00; } .failed { background: #b3261e; }
.error { background: #7a1f5c; } .interrupted { background: #555; } .skipped, .not_run { background: #888; }
main { padding: 8px 24px 40px; }
h2 { font-size: 18px; margin: 22px 0 8px; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; color: #fff; font-size: 12px; }
#timeline-box { overflow-x: auto; background: #fff; border: 1px solid #ddd; }
svg text { font: 11px system-ui, sans-serif; }
.attempt.ok { fill: #2e9e4f; } .attempt.wrong { fill: #e08a00; } .attempt.failed { fill: #d0342c; }
.attempt.reused { stroke: #000; stroke-width: 1; }
.idle { stroke: #999; stroke-dasharray: 3 3; }
.retry { stroke: #d0342c; fill: none; stroke-width: 1.5; }
.reset { fill: #000; font-weight: bold; }
.server-bar { fill: #c9d7f2; } .server-event { stroke-width: 1.5; }
.server-event.ready { stroke: #2e6fd0; } .server-event.exit { stroke: #555; } .server-event.crash, .server-event.start-failed { stroke: #d0342c; }
.legend span { margin-right: 14px; } .legend i { display: inline-block; width: 12px; height: 10px; margin-right: 4px; }
.diagnosis { background: #fff; border-left: 4px solid #b26a00; padding: 6px 12px; margin: 6px 0; white-space: pre-wrap; font-size: 13px; }
.failure { background: #fff; border-left: 4px solid #d0342c; padding: 8px 12px; margin: 8px 0; white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 12.5px; }
table { border-collapse: collapse; background: #fff; width: 100%; }
td, th { border-bottom: 1px solid #eee; padding: 4px 8px; text-align: left; vertical-align: top; }
td.mono, pre { font-family: ui-monospace, monospace; font-size: 12.5px; }
details pre { margin: 4px 0; white-space: pre-wrap; }
</style>
</head>
<body>
<header class="verdict {{outcome}}" id="verdict">
<h1>{{OUTCOME}}{{partial}}</h1>
<p>{{title}} · started {{started}}</p>
<p>{{summary}}</p>
</header>
<main>
<noscript><p>The timeline and the details need JavaScript; the verdict above does not.</p></noscript>
<h2>Timeline</h2>
<p class="legend"><span><i style="background:#2e9e4f"></i>attempt answered</span><span><i style="background:#e08a00"></i>answered, asserts failed</span><span><i style="background:#d0342c"></i>attempt failed</span><span>× reset</span><span>outlined: reused connection</span><span>dashed: idle on the connection</span><span>red curve: retry</span></p>
<div id="timeline-box"></div>
<h2>Failures</h2>
<div id="failures"></div>
<h2>Diagnoses</h2>
<div id="diagnoses"></div>
<h2>Layers</h2>
<div id="layers"></div>
<h2>Files and entries</h2>
<div id="entries"></div>
</main>
<script type="application/json" id="report-data">{{data}}</script>
<script>
"use strict";
(function () {
  const report = JSON.parse(document.getElementById("report-data").textContent);
  const SVG = "http://www.w3.org/2000/svg";
  const el = (tag, attrs, text) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const svg = (tag, attrs, title) => {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (title) { const t = document.createElementNS(SVG, "title"); t.textContent = title; node.appendChild(t); }
    return node;
  };
  const time = (s) => (s ? Date.parse(s) : NaN);
  const ms = (v) => (typeof v === "number" ? v.toFixed(1) + " ms" : "?");

  // Every attempt, with its entry, in start order.
  const attempts = [];
  for (const file of report.files || []) {
    for (const entry of file.entries || []) {
      for (const it of entry.iterations || []) {
        for (const poll of it.polls || []) {
          (poll.attempts || []).forEach((a, i) => {
            const start = time(a.started_at);
            attempts.push({ file, entry, poll, a, prev: i > 0 ? poll.attempts[i - 1] : null,
              start, end: start + (a.duration_ms || 0) });
          });
        }
      }
    }
  }
  // Server rows: launched (startup bar to ready), ready, exit or start failure.
  const servers = (report.servers || []).map((s) => {
    const ready = time(s.ready && s.ready.ready_at);
    const startup = s.ready && typeof s.ready.startup_ms === "number" ? s.ready.startup_ms : 0;
    const exit = s.exit ? time(s.exit.at) : NaN;
    return { s, ready, launched: ready - startup, exit };
  });
  const points = [time(report.run.started_at)];
  for (const x of attempts) points.push(x.start, x.end);
  for (const x of servers) points.push(x.launched, x.ready, x.exit);
  const finite = points.filter((p) => Number.isFinite(p));
  const t0 = Math.min(...finite);
  const t1 = Math.max(...finite, t0 + 1);
  const LABEL = 150, WIDTH = 1150, ROW = 22;
  const x = (t) => LABEL + ((t - t0) / (t1 - t0)) * WIDTH;

  // Rows: servers first, then one per connection (attempts without one share a row).
  const rows = [];
  servers.forEach((srv) => rows.push({ kind: "server", label: "server " + srv.s.name, srv }));
  const connRows = new Map();
  for (const item of attempts) {
    const c = item.a.facts && item.a.facts.connection;
    const key = c ? "conn " + c.id : "no connection";
    if (!connRows.has(key)) { connRows.set(key, { kind: "conn", label: key, items: [] }); rows.push(connRows.get(key)); }
    connRows.get(key).items.push(item);
    item.row = connRows.get(key);
  }
  rows.forEach((r, i) => { r.y = 24 + i * ROW; });
  const height = 34 + rows.length * ROW;
  const root = svg("svg", { id: "timeline", width: LABEL + WIDTH + 20, height, role: "img",
    "aria-label": "timeline of every attempt per connection" });
  // Time axis.
  for (let i = 0; i <= 10; i++) {
    const t = t0 + ((t1 - t0) * i) / 10;
    root.appendChild(svg("line", { x1: x(t), x2: x(t), y1: 14, y2: height, stroke: "#eee" }));
    const label = svg("text", { x: x(t), y: 11, "text-anchor": "middle", fill: "#666" });
    label.textContent = Math.round(t - t0) + " ms";
    root.appendChild(label);
  }
  for (const r of rows) {
    const label = svg("text", { x: 4, y: r.y + 14, class: "row-label" });
    label.textContent = r.label;
    root.appendChild(label);
  }
  // Servers: the startup bar, then marks.
  for (const r of rows.filter((r) => r.kind === "server")) {
    const { s, ready, launched, exit } = r.srv;
    if (Number.isFinite(launched) && Number.isFinite(ready)) {
      root.appendChild(svg("rect", { class: "server-bar", x: x(launched), y: r.y + 4, height: 12,
        width: Math.max(2, x(ready) - x(launched)) }, s.name + " starting (" + ms(s.ready.startup_ms) + " to ready)"));
    }
    const mark = (t, cls, title) => {
      if (!Number.isFinite(t)) return;
      root.appendChild(svg("line", { class: "server-event " + cls, x1: x(t), x2: x(t), y1: 16, y2: height - 4 }, title));
    };
    mark(ready, "ready", s.name + " ready at " + s.url);
    const crashed = s.exit && s.exit.stop == null;
    mark(exit, crashed ? "crash" : "exit", s.name + ": " + (s.exit ? s.exit.description : ""));
    if (s.start_error) {
      const t = Number.isFinite(ready) ? ready : t0;
      root.appendChild(svg("line", { class: "server-event start-failed", x1: x(t) + 2, x2: x(t) + 2, y1: 16, y2: height - 4 },
        s.name + " did not start: " + s.start_error));
      const text = svg("text", { x: x(t) + 6, y: r.y + 14, fill: "#d0342c" });
      text.textContent = "did not start";
      root.appendChild(text);
    }
  }
  // Attempts, idle gaps and retries.
  for (const r of rows.filter((r) => r.kind === "conn")) {
    let last = null;
    for (const item of r.items) {
      const a = item.a, c = a.facts && a.facts.connection;
      if (last && c && c.reused) {
        root.appendChild(svg("line", { class: "idle", x1: x(last.end), x2: x(item.start), y1: r.y + 10, y2: r.y + 10 },
          "idle " + ms(c.idle_ms) + " before reuse #" + c.reuse_count));
      }
      const cls = a.error ? "failed" : (item.entry.outcome === "failed" ? "wrong" : "ok");
      const title = item.file.path + ":" + item.entry.line + " " + a.method + " " + a.url + " (attempt " + a.n + ")\n" +
        (a.error ? "error: " + (typeof a.error === "string" ? a.error : JSON.stringify(a.error)) : "status " + a.status) +
        "\n" + ms(a.duration_ms) + (c ? (c.reused ? ", reused connection, idle " + ms(c.idle_ms) : ", new connection") : ", no connection");
      item.rect = svg("rect", { class: "attempt " + cls + (c && c.reused ? " reused" : ""), x: x(item.start), y: r.y + 3,
        width: Math.max(3, x(item.end) - x(item.start)), height: 14, rx: 2 }, title);
      root.appendChild(item.rect);
      for (const d of a.diagnoses || []) item.rect.querySelector("title").textContent += "\ndiagnosis: " + d.cause + " (" + d.confidence + ")";
      const ended = a.facts && a.facts.ended_with;
      const kind = a.facts && a.facts.error && a.facts.error.kind;
      if (ended === "rst" || kind === "connection_reset") {
        const t = svg("text", { class: "reset", x: x(item.end) + 2, y: r.y + 15 }, "connection reset");
        t.textContent = "×";
        root.appendChild(t);
      }
      last = item;
    }
  }
  for (const item of attempts.filter((i) => i.prev)) {
    const from = attempts.find((o) => o.a === item.prev);
    if (!from) continue;
    const x1 = x(from.end), y1 = from.row.y + 10, x2 = x(item.start), y2 = item.row.y + 10;
    root.appendChild(svg("path", { class: "retry", d: `M ${x1} ${y1} C ${x1 + 20} ${y1}, ${x2 - 20} ${y2}, ${x2} ${y2}` },
      "retry: attempt " + item.a.n + " of " + item.file.path + ":" + item.entry.line));
  }
  document.getElementById("timeline-box").appendChild(root);

  // Failures.
  const failures = document.getElementById("failures");
  let failureCount = 0;
  const addFailure = (text) => { failures.appendChild(el("div", { class: "failure" }, text)); failureCount++; };
  for (const s of report.servers || []) if (s.start_error) addFailure("server " + s.name + " did not start: " + s.start_error);
  for (const l of report.layers || []) {
    if (l.kind === "command" && l.command && (l.outcome === "failed" || l.outcome === "error")) {
      const c = l.command;
      addFailure("layer " + l.name + ": command " + c.argv.join(" ") + " ended with " +
        (c.exit_code != null ? "exit code " + c.exit_code : c.signal || c.error || "an error") +
        (c.junit_error ? "\n" + c.junit_error : "") + "\nlogs: " + c.stdout_log + ", " + c.stderr_log);
    }
  }
  for (const file of report.files || []) {
    if (file.error) addFailure(file.path + ": " + file.error.messages.join("\n"));
    for (const entry of file.entries || []) {
      if (!["failed", "error", "interrupted"].includes(entry.outcome)) continue;
      const polls = entry.iterations.flatMap((i) => i.polls);
      const poll = polls[polls.length - 1];
      let text = file.path + ":" + entry.line + ": " + entry.method + " " + entry.url_template + " — " + entry.outcome.toUpperCase();
      if (poll && poll.failure) text += "\n" + poll.failure.message;
      for (const a of (poll ? poll.asserts : []).filter((a) => !a.success)) {
        text += "\n  " + file.path + ":" + a.line + ":" + a.column + ": " + a.text +
          (a.expected != null ? "\n    expected: " + a.expected : "") + (a.actual != null ? "\n    actual:   " + a.actual : "") +
          (a.message ? "\n    error:    " + a.message : "");
      }
      for (const rec of (report.ledger || []).filter((r) => r.file === file.path && r.entry.line === entry.line)) {
        text += "\n  attempt " + rec.attempt.n + "/" + rec.attempt.max + ": " + rec.message +
          (rec.decision ? " [" + rec.decision.rule + (rec.decision.retry ? ", retried" : ", not retried") + "]" : "");
      }
      addFailure(text);
    }
  }
  if (failureCount === 0) failures.appendChild(el("p", {}, "No failure."));

  // Diagnoses of attempts (why a connection failed or was replaced), where the report has them.
  const diagnoses = document.getElementById("diagnoses");
  let diagnosisCount = 0;
  for (const item of attempts) {
    for (const d of item.a.diagnoses || []) {
      diagnosisCount++;
      diagnoses.appendChild(el("div", { class: "diagnosis" },
        item.file.path + ":" + item.entry.line + " attempt " + item.a.n + ": " + d.cause + " (" + d.confidence + " confidence)" +
        (d.summary ? "\n" + d.summary : "") +
        ((d.evidence || []).length ? "\nevidence: " + d.evidence.join("; ") : "") +
        (d.may_have_executed ? "\nmay have executed on the server: " + d.may_have_executed : "") +
        (d.hint ? "\nhint: " + d.hint : "")));
    }
  }
  if (diagnosisCount === 0) diagnoses.appendChild(el("p", {}, "No diagnosis in this report."));

  // Layers.
  const layers = document.getElementById("layers");
  if ((report.layers || []).length === 0) layers.appendChild(el("p", {}, "No layers (shakedown test)."));
  else {
    const table = el("table", { id: "layer-table" });
    table.appendChild(el("tr")).append(el("th", {}, "layer"), el("th", {}, "kind"), el("th", {}, "outcome"), el("th", {}, "duration"), el("th", {}, "note"));
    for (const l of report.layers) {
      const tr = el("tr");
      const badge = el("span", { class: "badge " + l.outcome }, l.outcome);
      const cell = el("td"); cell.appendChild(badge);
      tr.append(el("td", {}, l.name), el("td", {}, l.kind), cell, el("td", {}, ms(l.duration_ms)), el("td", {}, l.note || ""));
      table.appendChild(tr);
    }
    layers.appendChild(table);
  }

  // Files and entries, with every attempt's request and response facts.
  const entries = document.getElementById("entries");
  for (const file of report.files || []) {
    const h = el("h3", {}, file.path + " ");
    h.appendChild(el("span", { class: "badge " + file.outcome }, file.outcome));
    entries.appendChild(h);
    const table = el("table", { class: "entries" });
    table.appendChild(el("tr")).append(el("th", {}, "line"), el("th", {}, "request"), el("th", {}, "outcome"), el("th", {}, "attempts"));
    for (const entry of file.entries || []) {
      const tr = el("tr", { class: "entry" });
      const outcome = el("td"); outcome.appendChild(el("span", { class: "badge " + entry.outcome }, entry.outcome));
      const details = el("details");
      const polls = entry.iterations.flatMap((i) => i.polls);
      const all = polls.flatMap((p) => p.attempts);
      details.appendChild(el("summary", {}, all.length + " attempt(s)"));
      for (const a of all) {
        const c = a.facts.connection;
        const t = a.facts.timings_ms || {};
        details.appendChild(el("pre", {}, "attempt " + a.n + ": " + a.method + " " + a.url + "\n" +
          (a.status != null ? "response: HTTP " + a.status : "no response") +
          (a.error ? "\nerror: " + (typeof a.error === "string" ? a.error : JSON.stringify(a.error)) : "") +
          "\nconnection: " + (c ? "#" + c.id + (c.reused ? " reused (idle " + ms(c.idle_ms) + ")" : " new") + (c.tls ? ", TLS" : "") + (c.http2 ? ", HTTP/2" : "") : "none") +
          "\nbytes: written " + a.facts.bytes.written + " of " + a.facts.bytes.total + ", read " + a.facts.bytes.read +
          "; framing " + a.facts.framing + "; ended with " + a.facts.ended_with +
          "\ntimings: total " + ms(t.total) + ", connect " + ms(t.connect) + ", wait " + ms(t.wait)));
      }
      const req = el("td", { class: "mono" }, entry.method + " " + entry.url_template);
      tr.append(el("td", {}, String(entry.line)), req, outcome);
      const cell = el("td"); cell.appendChild(details); tr.appendChild(cell);
      table.appendChild(tr);
    }
    entries.appendChild(table);
  }
  document.body.setAttribute("data-rendered", "yes");
})();
</script>
</body>
</html>
"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_carries_the_verdict_and_a_script_safe_document() {
        let document = br#"{"outcome":"failed","partial":false,"totals":{"files":{"total":2,"failed":1,"passed":1},"requests":3},"run":{"started_at":"2026-01-01T00:00:00.000Z"},"files":[{"path":"</script><b>.hurl"}]}"#;
        let mut out = Vec::new();
        write(document, &mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        assert!(page.contains(r#"<header class="verdict failed" id="verdict">"#), "{page}");
        assert!(page.contains("<h1>FAILED</h1>"));
        assert!(page.contains("2 files: 1 passed, 0 flaky, 1 failed"));
        assert!(!page.contains("</script><b>"), "the document cannot close the script");
        assert!(page.contains(r"\u003c/script\u003e\u003cb\u003e.hurl"));
        assert!(!page.contains("http://") || !page.contains("src=\"http"), "nothing is fetched");
    }

    #[test]
    fn placeholders_are_filled_once() {
        let filled = fill("<{{a}}|{{b}}|{{c}}>", &[("a", "{{b}}"), ("b", "x")]);
        assert_eq!(filled, "<{{b}}|x|{{c}}>");
    }

    #[test]
    fn a_document_that_is_not_json_is_an_error() {
        assert!(write(b"not json", &mut Vec::new()).is_err());
    }
}

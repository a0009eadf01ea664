//! A run with a fault plan (`[faults]` or `run --faults`): a fault proxy in front of each
//! fronted server, and the reconciliation of every injected fault with the run's attempts.
//!
//! When a fronted server is ready (its readiness went direct), [`Session::front`] binds an
//! in-process [`Proxy`] on `127.0.0.1:0` with the plan and the seed, forwarding to the
//! server; the scenarios' variables (`base_url`, `port`, `NAME_url`, `NAME_port`) then name
//! the proxy, while the suite's placeholders (`{url}`, `{servers.NAME.url}`: commands and
//! servers talking to each other) keep the direct address. Loopback only.
//!
//! Reconciliation ([`reconcile`], pure): the proxy knows each connection by the client's
//! address, and the transport records that address for each attempt
//! (`ConnectionFacts::local_addr`), so a fault logged at (connection c, request r) met the
//! attempt made on the client connection with c's address after r − 1 earlier attempts on
//! it. A fault with no request (a FIN on an idle connection, a reset before any byte) met
//! the last failed attempt on that connection, or was `prevented` when the client's pool
//! discarded the connection at checkout, or was `never_met`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::PoisonError;

use crate::fault_proxy::{Control, LogSnapshot, Proxy, ProxyConfig};
use crate::report::faults::{FaultOutcome, FaultsSection, InjectedFaultDto, MetByDto, ProxyDto};
use crate::runner::outcome::{AttemptRecord, FileOutcome};
use crate::suite::{FaultsDef, ServerDef};

use super::engine::Session;
use super::servers::{Endpoint, ServerName, StartError};

/// The fault plan of a run and its seed, decided by the command line.
#[derive(Clone, Debug)]
pub struct FaultSetup {
    /// The plan and the servers it fronts.
    pub plan: FaultsDef,
    /// The seed of every roll (`--fault-seed`, else the plan's `seed`, else random).
    pub seed: u64,
    /// Where the plan came from, for the report.
    pub source: String,
}

/// A proxy started in front of a server.
#[derive(Clone, Debug)]
pub(super) struct Fronted {
    pub(super) server: String,
    pub(super) listen: SocketAddr,
    pub(super) control: Control,
}

impl Session {
    /// Puts a fault proxy in front of `endpoint` when the plan fronts `def`: the endpoint
    /// then carries the proxy's address for the scenarios.
    pub(super) async fn front(
        &self,
        def: &ServerDef,
        name: &ServerName,
        mut endpoint: Endpoint,
    ) -> Result<Endpoint, StartError> {
        let Some(setup) = &self.settings.faults else { return Ok(endpoint) };
        if !setup.plan.fronts(def.name()) {
            return Ok(endpoint);
        }
        let fail = |message: String| StartError::Faults { name: name.clone(), message };
        let upstream = upstream_of(&endpoint.url).ok_or_else(|| {
            fail(format!(
                "the fault proxy forwards only to loopback addresses, and the server is at {}",
                endpoint.url
            ))
        })?;
        let config = ProxyConfig {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            upstream,
            seed: setup.seed,
            plan: setup.plan.plan().clone(),
        };
        let proxy = Proxy::bind(config).await.map_err(|e| fail(e.to_string()))?;
        let listen = proxy.local_addr();
        let control = proxy.control();
        let mut stop = self.proxy_stop.subscribe();
        tokio::spawn(proxy.run(async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
        }));
        self.proxies.lock().unwrap_or_else(PoisonError::into_inner).push(Fronted {
            server: name.to_string(),
            listen,
            control,
        });
        let scheme = endpoint.url.split("://").next().unwrap_or("http").to_owned();
        endpoint.scenario = Some((listen.port(), format!("{scheme}://{listen}")));
        Ok(endpoint)
    }

    /// Stops every fault proxy (their connections close).
    pub(super) fn stop_proxies(&self) {
        let _ = self.proxy_stop.send(true);
    }

    /// The report's `faults` section: every proxy's log reconciled with `files`.
    pub(super) fn faults_section(&self, files: &[FileOutcome]) -> Option<FaultsSection> {
        let setup = self.settings.faults.as_ref()?;
        let proxies = self.proxies.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let mut section = FaultsSection {
            seed: setup.seed,
            source: setup.source.clone(),
            plan: setup.plan.plan().faults().iter().map(ToString::to_string).collect(),
            ..FaultsSection::default()
        };
        for fronted in &proxies {
            let log = fronted.control.log();
            section.proxies.push(ProxyDto {
                server: fronted.server.clone(),
                listen: fronted.listen.to_string(),
                upstream: fronted.control.upstream().to_string(),
                connections: fronted.control.connections(),
                dropped: log.dropped,
            });
            let peer = |conn: u64| fronted.control.peer(conn);
            for mut dto in reconcile(&fronted.server, fronted.listen, &log, &peer, files) {
                // A URL may hold a secret, as in the ledger.
                if let Some(met) = &mut dto.met_by {
                    met.url = (self.redact)(&met.url);
                }
                section.counts.add(dto.outcome);
                section.injected.push(dto);
            }
        }
        Some(section)
    }
}

/// The loopback socket address of a server's base URL (`localhost` is 127.0.0.1).
fn upstream_of(url: &str) -> Option<SocketAddr> {
    let url = url::Url::parse(url).ok()?;
    let port = url.port_or_known_default()?;
    let ip = match url.host()? {
        url::Host::Ipv4(ip) => IpAddr::V4(ip),
        url::Host::Ipv6(ip) => IpAddr::V6(ip),
        url::Host::Domain("localhost") => IpAddr::V4(Ipv4Addr::LOCALHOST),
        url::Host::Domain(_) => return None,
    };
    ip.is_loopback().then_some(SocketAddr::new(ip, port))
}

/// One attempt of the run, located.
struct Located<'a> {
    file: &'a FileOutcome,
    entry: usize,
    line: usize,
    attempt: &'a AttemptRecord,
    /// Whether a later attempt of the same poll got a response.
    recovered: bool,
}

impl Located<'_> {
    fn met_by(&self) -> MetByDto {
        let a = self.attempt;
        let diagnosis = a.diagnoses.last();
        MetByDto {
            file: self.file.path.display().to_string(),
            entry: self.entry,
            line: self.line,
            method: a.method.clone(),
            url: a.url.clone(),
            attempt: a.n,
            connection: a.facts.connection.as_ref().map_or(0, |c| c.id.0),
            failed: a.error.is_some(),
            cause: diagnosis.map(|d| d.cause.as_str().to_owned()),
            may_have_executed: diagnosis.map(|d| d.may_have_executed.as_str().to_owned()),
        }
    }

    /// A transaction that met a fault: absorbed when it got its response.
    fn outcome(&self) -> FaultOutcome {
        if self.attempt.error.is_none() || self.recovered {
            FaultOutcome::Absorbed
        } else {
            FaultOutcome::Failed
        }
    }
}

/// Every injected fault of one proxy's log, with the attempt that met it and its outcome.
pub(super) fn reconcile(
    server: &str,
    listen: SocketAddr,
    log: &LogSnapshot,
    peer: &dyn Fn(u64) -> Option<SocketAddr>,
    files: &[FileOutcome],
) -> Vec<InjectedFaultDto> {
    // The attempts made through this proxy, by the client's address, in order.
    let mut by_addr: HashMap<SocketAddr, Vec<Located<'_>>> = HashMap::new();
    // Client addresses of discarded connections, with the attempt whose checkout did it.
    let mut discards: HashMap<SocketAddr, Located<'_>> = HashMap::new();
    for file in files {
        let mut addr_of: HashMap<u64, SocketAddr> = HashMap::new();
        let mut pending: Vec<(u64, Located<'_>)> = Vec::new();
        for entry in &file.entries {
            for poll in entry.iterations.iter().flat_map(|i| &i.polls) {
                for (k, attempt) in poll.attempts.iter().enumerate() {
                    let recovered = poll.attempts[k + 1..].iter().any(|a| a.error.is_none());
                    let located = |attempt| Located {
                        file,
                        entry: entry.index,
                        line: entry.line,
                        attempt,
                        recovered,
                    };
                    for discarded in &attempt.facts.discarded {
                        pending.push((discarded.id.0, located(attempt)));
                    }
                    let Some(conn) = &attempt.facts.connection else { continue };
                    let Some(local) = conn.local_addr else { continue };
                    if conn.remote_addr != listen {
                        continue;
                    }
                    addr_of.insert(conn.id.0, local);
                    by_addr.entry(local).or_default().push(located(attempt));
                }
            }
        }
        for (id, located) in pending {
            if let Some(addr) = addr_of.get(&id) {
                discards.entry(*addr).or_insert(located);
            }
        }
    }
    log.records
        .iter()
        .map(|record| {
            let attempts = peer(record.connection).and_then(|addr| by_addr.get(&addr));
            let met = match (record.request, attempts) {
                (Some(request), Some(list)) => list
                    .iter()
                    .find(|l| {
                        l.attempt
                            .facts
                            .connection
                            .as_ref()
                            .is_some_and(|c| u64::from(c.reuse_count) + 1 == request)
                    })
                    .map(|l| (l.outcome(), Some(l.met_by()))),
                (None, Some(list)) => list
                    .iter()
                    .rev()
                    .find(|l| l.attempt.error.is_some())
                    .map(|l| (l.outcome(), Some(l.met_by()))),
                _ => None,
            };
            let (outcome, met_by) = met
                .or_else(|| {
                    let addr = peer(record.connection)?;
                    discards.get(&addr).map(|l| (FaultOutcome::Prevented, Some(l.met_by())))
                })
                .unwrap_or((FaultOutcome::NeverMet, None));
            InjectedFaultDto {
                server: server.to_owned(),
                seq: record.seq,
                connection: record.connection,
                request: record.request,
                fault: record.fault.clone(),
                kind: record.kind.to_owned(),
                stream: record.stream.as_str().to_owned(),
                action: record.action.to_owned(),
                at_ms: record.at.as_secs_f64() * 1000.0,
                bytes: record.bytes,
                detail: record.detail.clone(),
                outcome,
                met_by,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::fault_proxy::Injected;
    use crate::fault_proxy::plan::Stream;

    #[test]
    fn a_fault_no_attempt_met_is_never_met() {
        let log = LogSnapshot {
            records: vec![Injected {
                seq: 1,
                connection: 1,
                request: None,
                fault: "idle_close".into(),
                kind: "idle_close",
                stream: Stream::Upstream,
                action: "close",
                at: Duration::from_millis(5),
                bytes: 0,
                detail: String::new(),
            }],
            dropped: 0,
        };
        let listen: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let peer = |_| Some("127.0.0.1:5000".parse().unwrap());
        let out = reconcile("main", listen, &log, &peer, &[]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].outcome, FaultOutcome::NeverMet);
        assert!(out[0].met_by.is_none());
        assert_eq!(out[0].at_ms, 5.0);
    }

    #[test]
    fn only_loopback_upstreams_are_fronted() {
        assert_eq!(upstream_of("http://127.0.0.1:8080"), Some("127.0.0.1:8080".parse().unwrap()));
        assert_eq!(upstream_of("http://localhost:81/x"), Some("127.0.0.1:81".parse().unwrap()));
        assert_eq!(upstream_of("http://[::1]:80"), Some("[::1]:80".parse().unwrap()));
        assert_eq!(upstream_of("https://example.com"), None);
        assert_eq!(upstream_of("http://10.0.0.1:80"), None);
    }
}

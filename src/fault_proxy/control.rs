//! The control API: a small HTTP/1.1 server on loopback (hyper's server side) that lists,
//! adds and removes faults and returns the injected-fault log, in Toxiproxy-like JSON.
//!
//! - `GET /faults` → `{"seed": 7, "faults": [FAULT...]}`
//! - `POST /faults` with a FAULT → `201` and the fault as stored (`400` invalid, `409` name taken)
//! - `DELETE /faults/NAME` → `204` (`404` unknown)
//! - `GET /log` → `{"injected": [RECORD...], "dropped": 0, "connections": N}`
//!
//! FAULT is `{"name", "type", "stream", "toxicity", "per", "attributes": {...}}`, as Toxiproxy's
//! toxics (`type`, `stream`, `toxicity`, `attributes`), plus `per` (`connection` or `request`).

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;

use super::log::Injected;
use super::plan::{AttrValue, Fault, PlanError};
use super::proxy::{Control, ProxyError, check_loopback};

/// The largest request body the control API reads.
const MAX_BODY: usize = 64 * 1024;

/// A fault as the control API shows and reads it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultDto {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stream: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    toxicity: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    per: Option<String>,
    #[serde(default)]
    attributes: Map<String, Value>,
}

/// The JSON of a fault.
pub fn fault_json(fault: &Fault) -> Value {
    let attributes: Map<String, Value> = fault
        .kind
        .attributes()
        .into_iter()
        .map(|(k, v)| {
            let value = match v {
                AttrValue::Number(n) => json!(n),
                AttrValue::Text(t) => json!(t),
            };
            (k.to_owned(), value)
        })
        .collect();
    let mut shown = Map::new();
    shown.insert("name".into(), json!(fault.name));
    shown.insert("type".into(), json!(fault.kind.type_name()));
    if fault.kind.has_stream() {
        shown.insert("stream".into(), json!(fault.stream.as_str()));
    }
    shown.insert("toxicity".into(), json!(fault.toxicity));
    if fault.kind.takes_scope() {
        shown.insert("per".into(), json!(fault.scope.as_str()));
    }
    shown.insert("attributes".into(), Value::Object(attributes));
    Value::Object(shown)
}

/// The JSON of a log record.
pub fn record_json(record: &Injected) -> Value {
    json!({
        "seq": record.seq,
        "connection": record.connection,
        "request": record.request,
        "fault": record.fault,
        "type": record.kind,
        "stream": record.stream.as_str(),
        "action": record.action,
        "at_ms": record.at.as_secs_f64() * 1000.0,
        "bytes": record.bytes,
        "detail": record.detail,
    })
}

/// The JSON of the whole log.
pub fn log_json(control: &Control) -> Value {
    let log = control.log();
    json!({
        "injected": log.records.iter().map(record_json).collect::<Vec<_>>(),
        "dropped": log.dropped,
        "connections": control.connections(),
    })
}

/// Reads a fault from the control API's JSON, with the same validation as `--fault`.
pub fn fault_from_json(text: &[u8]) -> Result<Fault, String> {
    let dto: FaultDto =
        serde_json::from_slice(text).map_err(|e| format!("invalid fault JSON: {e}"))?;
    let mut owned: Vec<(String, String)> = Vec::new();
    if let Some(name) = dto.name {
        owned.push(("name".into(), name));
    }
    if let Some(stream) = dto.stream {
        owned.push(("stream".into(), stream));
    }
    if let Some(toxicity) = dto.toxicity {
        owned.push(("toxicity".into(), toxicity.to_string()));
    }
    if let Some(per) = dto.per {
        owned.push(("per".into(), per));
    }
    for (key, value) in dto.attributes {
        let text = match value {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            other => {
                return Err(format!("attribute `{key}`: expected a number or a word, got {other}"));
            }
        };
        owned.push((key, text));
    }
    let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Fault::from_parts(&dto.kind, &pairs).map_err(|e| e.to_string())
}

/// A bound control API, not yet serving.
#[derive(Debug)]
pub struct ControlServer {
    listener: TcpListener,
    local: SocketAddr,
    control: Control,
}

impl ControlServer {
    /// Binds the control API on a loopback address.
    pub async fn bind(addr: SocketAddr, control: Control) -> Result<ControlServer, ProxyError> {
        check_loopback("control", addr)?;
        let listener =
            TcpListener::bind(addr).await.map_err(|source| ProxyError::Bind { addr, source })?;
        let local = listener.local_addr().map_err(|source| ProxyError::Bind { addr, source })?;
        Ok(ControlServer { listener, local, control })
    }

    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Serves until the task is dropped.
    pub async fn serve(self) {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            let Ok((stream, _)) = self.listener.accept().await else {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            };
            let control = self.control.clone();
            connections.spawn(async move {
                let service = service_fn(move |req| {
                    let control = control.clone();
                    async move { Ok::<_, Infallible>(handle(&control, req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
            while connections.try_join_next().is_some() {}
        }
    }
}

fn reply(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    resp
}

fn error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    reply(status, &json!({ "error": message }))
}

async fn handle(control: &Control, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    match (&method, path.as_str()) {
        (&Method::GET, "/faults") => {
            let faults: Vec<Value> = control.faults().iter().map(fault_json).collect();
            reply(StatusCode::OK, &json!({ "seed": control.seed(), "faults": faults }))
        }
        (&Method::POST, "/faults") => {
            let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
                Ok(body) => body.to_bytes(),
                Err(_) => return error(StatusCode::PAYLOAD_TOO_LARGE, "body over 64 KiB"),
            };
            let fault = match fault_from_json(&body) {
                Ok(fault) => fault,
                Err(message) => return error(StatusCode::BAD_REQUEST, &message),
            };
            let shown = fault_json(&fault);
            match control.add(fault) {
                Ok(()) => reply(StatusCode::CREATED, &shown),
                Err(e) => error(StatusCode::CONFLICT, &e.to_string()),
            }
        }
        (&Method::GET, "/log") => reply(StatusCode::OK, &log_json(control)),
        (&Method::DELETE, p) if p.starts_with("/faults/") => {
            let name = &p["/faults/".len()..];
            match control.remove(name) {
                Ok(_) => {
                    let mut resp = Response::new(Full::new(Bytes::new()));
                    *resp.status_mut() = StatusCode::NO_CONTENT;
                    resp
                }
                Err(e @ PlanError::NoSuchFault(_)) => error(StatusCode::NOT_FOUND, &e.to_string()),
                Err(e) => error(StatusCode::BAD_REQUEST, &e.to_string()),
            }
        }
        (_, "/faults" | "/log") => error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
        _ => error(
            StatusCode::NOT_FOUND,
            "no such endpoint: GET/POST /faults, DELETE /faults/NAME, GET /log",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_faults_use_the_same_validation_as_the_command_line() {
        let f = fault_from_json(
            br#"{"type":"reset_peer","stream":"upstream","toxicity":0.25,"per":"request","attributes":{"timeout":5}}"#,
        )
        .unwrap();
        assert_eq!(
            f,
            Fault::parse_spec("reset_peer:stream=upstream,toxicity=0.25,per=request,timeout=5")
                .unwrap()
        );
        let shown = fault_json(&f);
        assert_eq!(shown["name"], "reset_peer_upstream");
        assert_eq!(shown["attributes"]["timeout"], 5);
        let again = fault_from_json(shown.to_string().as_bytes()).unwrap();
        assert_eq!(again, f);
        let f = fault_from_json(br#"{"type":"idle_close","attributes":{"idle":10,"mode":"rst"}}"#)
            .unwrap();
        assert_eq!(fault_json(&f)["attributes"]["mode"], "rst");
        assert_eq!(fault_from_json(fault_json(&f).to_string().as_bytes()).unwrap(), f);
        let f = Fault::parse_spec("accept_backlog:after=1,hold=5,toxicity=0.5").unwrap();
        assert_eq!(fault_from_json(fault_json(&f).to_string().as_bytes()).unwrap(), f);
        for (bad, expected) in [
            (&br#"{"type":"nope"}"#[..], "unknown fault type"),
            (br#"{"type":"latency","attributes":{"latency":true}}"#, "expected a number"),
            (br#"{"type":"latency","colour":1}"#, "unknown field"),
            (br#"{"type":"latency","toxicity":2}"#, "probability"),
            (b"not json", "invalid fault JSON"),
        ] {
            let err = fault_from_json(bad).unwrap_err();
            assert!(err.contains(expected), "{err}");
        }
    }
}

//! Contract stub (replaced by the transport work): one attempt at a time.

use crate::transport::facts::{AttemptFacts, Phase};
use crate::transport::request::{RequestSpec, Response};

/// Settings shared by every request of a client.
#[derive(Clone, Debug, Default)]
pub struct ClientSettings {}

/// A client: one per file worker.
#[derive(Debug)]
pub struct Client {}

/// A failed attempt.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct TransportFailure {
    /// Where it failed.
    pub phase: Phase,
    /// A sentence for people.
    pub message: String,
}

/// A client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("failed to build the HTTP client")]
pub struct TransportError {}

/// The result and facts of one attempt.
#[derive(Debug)]
pub struct Exchange {
    /// The response, or why there is none.
    pub result: Result<Response, TransportFailure>,
    /// What was observed.
    pub facts: AttemptFacts,
}

impl Client {
    /// A new client.
    pub fn new(_settings: ClientSettings) -> Result<Client, TransportError> {
        Ok(Client {})
    }

    /// Sends one attempt.
    pub async fn send(&mut self, _request: &RequestSpec) -> Exchange {
        Exchange {
            result: Err(TransportFailure {
                phase: Phase::Connect,
                message: "the transport is not written yet".to_owned(),
            }),
            facts: AttemptFacts::default(),
        }
    }
}

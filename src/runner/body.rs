//! Contract stub (replaced by the evaluation work): body decoding.

use crate::runner::error::EvalError;
use crate::transport::request::Response;

/// The body with its content encodings removed.
pub fn decompressed(response: &Response) -> Result<Vec<u8>, EvalError> {
    Ok(response.body.to_vec())
}

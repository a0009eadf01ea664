//! Evaluation errors: what can go wrong while rendering templates and running
//! queries, filters and predicates, each tied to the span of the source text at fault.
//!
//! Messages are lowercase fragments in Hurl's vocabulary ("undefined variable `id`",
//! "invalid JSON body"), so a report can print them after the failing line.

use crate::scenario::ast::Span;

/// An evaluation error at a place in the scenario.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{kind}")]
pub struct EvalError {
    /// What went wrong.
    pub kind: EvalErrorKind,
    /// The source text the error is about.
    pub span: Span,
}

impl EvalError {
    /// An error of this kind at this span.
    pub fn new(kind: EvalErrorKind, span: Span) -> EvalError {
        EvalError { kind, span }
    }

    /// What went wrong.
    pub fn kind(&self) -> &EvalErrorKind {
        &self.kind
    }
}

/// The kinds of evaluation error.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EvalErrorKind {
    /// `{{name}}` names no variable.
    #[error("undefined variable `{0}`")]
    UndefinedVariable(String),
    /// A list, object, node-set or bytes value placed in a string template.
    #[error("variable `{name}` of type {type_name} can not be rendered")]
    UnrenderableVariable {
        /// The variable (or function) name.
        name: String,
        /// The value's type.
        type_name: &'static str,
    },
    /// `getEnv "NAME"` with no such environment variable.
    #[error("environment variable `{0}` is not defined")]
    UndefinedEnvVariable(String),
    /// The body could not be decompressed.
    #[error("could not decompress the body ({0})")]
    Decompression(String),
    /// A `Content-Encoding` shakedown does not know.
    #[error("unsupported content encoding `{0}`")]
    UnsupportedContentEncoding(String),
    /// A charset label `encoding_rs` does not know.
    #[error("invalid charset `{0}`")]
    InvalidCharset(String),
    /// The body is not valid text in its charset.
    #[error("invalid decoding of the body with charset `{0}`")]
    InvalidDecoding(String),
    /// A bare `{{value}}` in a JSON body that is not a JSON number, boolean or null.
    #[error(
        "invalid JSON value <{0}>: a bare placeholder in a JSON body must be a number, a boolean or null (quote it for a string)"
    )]
    InvalidJsonValue(String),
    /// The `variables` of a GraphQL body are not JSON.
    #[error("invalid GraphQL variables ({0})")]
    InvalidGraphqlVariables(String),
    /// A cookie's `Expires` attribute is not a date.
    #[error("could not parse Cookie Expires attribute value <{0}>")]
    InvalidCookieExpires(String),
    /// A capture marked `redact` whose value is not a string.
    #[error("secret must be string, actual value is <{0}>")]
    SecretNotString(&'static str),
    /// The body (or a filter input) is not JSON.
    #[error("invalid JSON body")]
    InvalidJson,
    /// The body (or a filter input) is not well-formed XML.
    #[error("invalid XML body")]
    InvalidXml,
    /// The JSONPath expression does not parse.
    #[error("invalid jsonpath expression `{0}`")]
    InvalidJsonpath(String),
    /// The XPath expression does not parse.
    #[error("xpath expression is invalid")]
    InvalidXpath,
    /// The XPath expression parses but cannot be evaluated.
    #[error("xpath expression can not be evaluated ({0})")]
    XpathEval(String),
    /// The regex does not compile.
    #[error("invalid regex `{0}`")]
    InvalidRegex(String),
    /// `certificate` on a response received without TLS.
    #[error("no certificate was received")]
    NoCertificate,
    /// The peer certificate could not be parsed.
    #[error("invalid certificate ({0})")]
    InvalidCertificate(String),
    /// A filter got an input of the wrong type.
    #[error("filter `{filter}` got invalid input {input}")]
    FilterInvalidInput {
        /// The filter keyword.
        filter: &'static str,
        /// The input as Hurl prints it.
        input: String,
    },
    /// A filter got no input (the query or previous filter gave nothing).
    #[error("filter `{0}` has no input")]
    FilterMissingInput(&'static str),
    /// A conversion filter could not convert its input.
    #[error("filter `{filter}` cannot convert {input}")]
    FilterConversion {
        /// The filter keyword.
        filter: &'static str,
        /// The input as Hurl prints it.
        input: String,
    },
    /// `nth` beyond the end of the list.
    #[error("filter `nth` index {index} is out of bounds (size is {size})")]
    IndexOutOfBounds {
        /// The requested index.
        index: i64,
        /// The list size.
        size: usize,
    },
    /// `first`/`last` on an empty list.
    #[error("filter `{0}` got an empty list")]
    EmptyList(&'static str),
    /// A strftime format chrono rejects.
    #[error("invalid date format `{0}`")]
    InvalidDateFormat(String),
    /// A predicate operand of a type the predicate does not take.
    #[error("predicate `{predicate}` does not take {operand}")]
    InvalidPredicateOperand {
        /// The predicate keyword.
        predicate: &'static str,
        /// The operand as Hurl prints it.
        operand: String,
    },
    /// A `file,path;` operand could not be read.
    #[error("file `{0}` can not be read")]
    FileRead(String),
    /// A `file,path;` operand outside the file root.
    #[error("unauthorized access to file `{0}`, check --file-root option")]
    UnauthorizedFileAccess(String),
    /// An implicit header assert names a header the response does not have.
    #[error("header `{0}` not found")]
    HeaderNotFound(String),
    /// A capture whose query or filters gave no value.
    #[error("capture `{0}` has no value")]
    CaptureNoValue(String),
}

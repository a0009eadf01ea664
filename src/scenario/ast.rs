//! shakedown's own syntax tree for the Hurl file format.
//!
//! Every node carries a [`Span`] (a byte range into the source the parser was
//! given; a leading BOM is skipped, not removed, so offsets count it), so that
//! any later stage — evaluation, reports, diagnostics — can point at the exact
//! text it is talking about. Lines and
//! columns are derived from spans only when something is printed (1-based,
//! columns counting characters, as Hurl prints them).
//!
//! The tree is plain data: no parser state, no Hurl text beyond the literal
//! values the grammar defines. Deprecated spellings (`[QueryStringParams]`,
//! `includes`, `format`, …) are normalised into the current node, with the
//! spelling remembered where a diagnostic may want to mention it.
//!
//! Reference: <https://hurl.dev/docs/grammar.html> (Hurl 8.1.0).

use std::fmt;

/// A byte range `start..end` into the parsed source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// First byte of the node.
    pub start: usize,
    /// One past the last byte of the node.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

/// A value with the span of the text it was parsed from.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    /// The parsed value.
    pub value: T,
    /// Where it stands in the source.
    pub span: Span,
}

/// A whole `.hurl` file: a sequence of entries.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HurlFile {
    /// The entries, in file order.
    pub entries: Vec<Entry>,
}

/// One request with its optional response specification.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The request to send.
    pub request: Request,
    /// What the response must look like, and what to capture from it.
    pub response: Option<Response>,
    /// From the request line to the end of the entry.
    pub span: Span,
}

impl Entry {
    /// The span of the request line (method and URL);
    /// [`crate::scenario::LineIndex`] turns it into a line number.
    pub fn request_span(&self) -> Span {
        self.request.line_span
    }
}

/// An HTTP request: method, URL, headers, sections and body.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// Any uppercase token (`GET`, `POST`, `PROPFIND`, …).
    pub method: Spanned<String>,
    /// The URL, a template.
    pub url: Template,
    /// Header lines right after the request line.
    pub headers: Vec<KeyValue>,
    /// `[Query]`, `[Form]`, `[Multipart]`, `[Cookies]`, `[BasicAuth]`, `[Options]`.
    pub sections: Vec<RequestSection>,
    /// The request body, if any (boxed: most requests have none, and every entry of a
    /// file is kept).
    pub body: Option<Box<Body>>,
    /// The request line (method and URL).
    pub line_span: Span,
}

/// A `key: value` line, both sides templates.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyValue {
    /// The key (header name, query parameter name, …).
    pub key: Template,
    /// The value.
    pub value: Template,
    /// The whole line, without the line terminator.
    pub span: Span,
}

/// A section of a request.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestSection {
    /// What the section holds.
    pub kind: RequestSectionKind,
    /// The `[Name]` header of the section, as written (a deprecated alias is kept here).
    pub name: Spanned<String>,
    /// The header and every line of the section.
    pub span: Span,
}

/// The contents of a request section.
#[derive(Clone, Debug, PartialEq)]
pub enum RequestSectionKind {
    /// `[Query]` (alias `[QueryStringParams]`).
    Query(Vec<KeyValue>),
    /// `[Form]` (alias `[FormParams]`).
    Form(Vec<KeyValue>),
    /// `[Multipart]` (alias `[MultipartFormData]`).
    Multipart(Vec<MultipartParam>),
    /// `[Cookies]`: cookies sent with this request.
    Cookies(Vec<KeyValue>),
    /// `[BasicAuth]`: at most one `user: password` line.
    BasicAuth(Option<KeyValue>),
    /// `[Options]`: per-entry options.
    Options(Vec<EntryOption>),
}

/// One parameter of a `[Multipart]` section.
#[derive(Clone, Debug, PartialEq)]
pub enum MultipartParam {
    /// `name: value`.
    Field(KeyValue),
    /// `name: file,path; content/type`.
    File(FileParam),
}

/// `name: file,path;` with an optional content type.
#[derive(Clone, Debug, PartialEq)]
pub struct FileParam {
    /// The field name.
    pub key: Template,
    /// The file path, relative to `--file-root` (or the file's directory).
    pub filename: Template,
    /// The content type after the `;`, if given.
    pub content_type: Option<Template>,
    /// The whole line.
    pub span: Span,
}

/// The response specification of an entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    /// `HTTP`, `HTTP/1.0`, `HTTP/1.1`, `HTTP/2` or `HTTP/3`.
    pub version: Spanned<VersionSpec>,
    /// A status code or `*`.
    pub status: Spanned<StatusSpec>,
    /// Implicit header asserts.
    pub headers: Vec<KeyValue>,
    /// `[Captures]` and `[Asserts]`.
    pub sections: Vec<ResponseSection>,
    /// An implicit body assert.
    pub body: Option<Box<Body>>,
    /// From the status line to the end of the response specification.
    pub span: Span,
}

/// The HTTP version a response must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionSpec {
    /// `HTTP`: any version.
    Any,
    /// `HTTP/1.0`.
    Http10,
    /// `HTTP/1.1`.
    Http11,
    /// `HTTP/2`.
    Http2,
    /// `HTTP/3`.
    Http3,
}

/// The status a response must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusSpec {
    /// `*`: any status.
    Any,
    /// A three-digit code.
    Code(u16),
}

/// A section of a response specification.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseSection {
    /// What the section holds.
    pub kind: ResponseSectionKind,
    /// The `[Name]` header of the section.
    pub name: Spanned<String>,
    /// The header and every line of the section.
    pub span: Span,
}

/// The contents of a response section.
#[derive(Clone, Debug, PartialEq)]
pub enum ResponseSectionKind {
    /// `[Captures]`.
    Captures(Vec<Capture>),
    /// `[Asserts]`.
    Asserts(Vec<Assert>),
}

/// `name: query filters... [redact]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Capture {
    /// The variable to set.
    pub name: Template,
    /// What to read from the response.
    pub query: Query,
    /// Filters applied in order to the query's value.
    pub filters: Vec<Filter>,
    /// `redact`: the captured value is a secret.
    pub redact: bool,
    /// The whole line.
    pub span: Span,
}

/// `query filters... [not] predicate [value]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Assert {
    /// What to read from the response.
    pub query: Query,
    /// Filters applied in order to the query's value.
    pub filters: Vec<Filter>,
    /// The test to apply.
    pub predicate: Predicate,
    /// The whole line.
    pub span: Span,
}

/// A query: what to read from a response.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The kind of query and its argument.
    pub kind: QueryKind,
    /// The query with its argument.
    pub span: Span,
}

/// The 18 query kinds of Hurl 8.1.
#[derive(Clone, Debug, PartialEq)]
pub enum QueryKind {
    /// `status`.
    Status,
    /// `version`.
    Version,
    /// `url`: the final effective URL.
    Url,
    /// `ip`: the server's IP address.
    Ip,
    /// `header "Name"`.
    Header(Template),
    /// `cookie "name[Attribute]"`.
    Cookie(CookiePath),
    /// `body`: the decoded text.
    Body,
    /// `xpath "expr"`.
    Xpath(Template),
    /// `jsonpath "expr"`.
    Jsonpath(Template),
    /// `regex "..."` or `regex /.../`.
    Regex(RegexValue),
    /// `variable "name"`.
    Variable(Template),
    /// `duration`: response time in ms.
    Duration,
    /// `bytes`: the decompressed body.
    Bytes,
    /// `rawbytes`: the body as received.
    RawBytes,
    /// `sha256`.
    Sha256,
    /// `md5`.
    Md5,
    /// `certificate "Attribute"`.
    Certificate(CertificateAttribute),
    /// `redirects`: the redirect steps followed.
    Redirects,
}

/// The argument of a `cookie` query: a name and an optional attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct CookiePath {
    /// The cookie name (a template).
    pub name: Template,
    /// The attribute in brackets, if any.
    pub attribute: Option<Spanned<CookieAttribute>>,
}

/// A cookie attribute that a `cookie` query can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CookieAttribute {
    /// `Value` (the default).
    Value,
    /// `Expires`.
    Expires,
    /// `Max-Age`.
    MaxAge,
    /// `Domain`.
    Domain,
    /// `Path`.
    Path,
    /// `Secure`.
    Secure,
    /// `HttpOnly`.
    HttpOnly,
    /// `SameSite`.
    SameSite,
}

/// A certificate attribute that a `certificate` query can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertificateAttribute {
    /// `Subject`.
    Subject,
    /// `Issuer`.
    Issuer,
    /// `Start-Date`.
    StartDate,
    /// `Expire-Date`.
    ExpireDate,
    /// `Serial-Number`.
    SerialNumber,
    /// `Subject-Alt-Name`.
    SubjectAltName,
    /// `Value`: the PEM of the certificate.
    Value,
}

/// A regex argument: a quoted string (a template) or a `/literal/`.
#[derive(Clone, Debug, PartialEq)]
pub enum RegexValue {
    /// `"..."`: a template whose rendered text is the pattern.
    Template(Template),
    /// `/.../`: the pattern text, with `\/` already unescaped.
    Literal(Spanned<String>),
}

/// A filter applied to a value.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    /// The filter and its arguments.
    pub kind: FilterKind,
    /// The filter name with its arguments.
    pub span: Span,
}

/// The filters of Hurl 8.1 (deprecated spellings are mapped to the current kind).
#[derive(Clone, Debug, PartialEq)]
pub enum FilterKind {
    /// `base64Decode`.
    Base64Decode,
    /// `base64Encode`.
    Base64Encode,
    /// `base64UrlSafeDecode`.
    Base64UrlSafeDecode,
    /// `base64UrlSafeEncode`.
    Base64UrlSafeEncode,
    /// `charsetDecode "encoding"` (older `decode`).
    CharsetDecode {
        /// The encoding label, e.g. `gb2312`.
        encoding: Template,
    },
    /// `count`.
    Count,
    /// `dateFormat "%fmt"` (older `format`).
    DateFormat {
        /// A strftime-style format.
        format: Template,
    },
    /// `daysAfterNow`.
    DaysAfterNow,
    /// `daysBeforeNow`.
    DaysBeforeNow,
    /// `first`.
    First,
    /// `htmlEscape`.
    HtmlEscape,
    /// `htmlUnescape`.
    HtmlUnescape,
    /// `jsonpath "expr"`.
    Jsonpath {
        /// The JSONPath expression.
        expr: Template,
    },
    /// `last`.
    Last,
    /// `location`.
    Location,
    /// `nth N` (negative counts from the end).
    Nth {
        /// The index.
        index: i64,
    },
    /// `regex "..."` or `regex /.../`.
    Regex {
        /// The pattern; the first capture group is the result.
        pattern: RegexValue,
    },
    /// `replace "old" "new"`.
    Replace {
        /// The text to find.
        old: Template,
        /// Its replacement.
        new: Template,
    },
    /// `replaceRegex /pattern/ "new"`.
    ReplaceRegex {
        /// The pattern to find.
        pattern: RegexValue,
        /// The replacement.
        new: Template,
    },
    /// `split ","`.
    Split {
        /// The separator.
        separator: Template,
    },
    /// `toDate "%fmt"`.
    ToDate {
        /// A strftime-style format.
        format: Template,
    },
    /// `toFloat`.
    ToFloat,
    /// `toHex`.
    ToHex,
    /// `toInt`.
    ToInt,
    /// `toString`.
    ToString,
    /// `urlDecode`.
    UrlDecode,
    /// `urlEncode`.
    UrlEncode,
    /// `urlQueryParam "name"`.
    UrlQueryParam {
        /// The query parameter to read.
        param: Template,
    },
    /// `utf8Decode`.
    Utf8Decode,
    /// `utf8Encode`.
    Utf8Encode,
    /// `xpath "expr"`.
    Xpath {
        /// The XPath 1.0 expression.
        expr: Template,
    },
}

/// `[not] function [value]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Predicate {
    /// `not` before the function.
    pub not: bool,
    /// The function and its operand.
    pub func: PredicateFunc,
    /// From `not` (or the function name) to the end of the operand.
    pub span: Span,
}

/// The predicate functions of Hurl 8.1.
#[derive(Clone, Debug, PartialEq)]
pub enum PredicateFunc {
    /// `==`.
    Equal(PredicateValue),
    /// `!=`.
    NotEqual(PredicateValue),
    /// `>`.
    GreaterThan(PredicateValue),
    /// `>=`.
    GreaterThanOrEqual(PredicateValue),
    /// `<`.
    LessThan(PredicateValue),
    /// `<=`.
    LessThanOrEqual(PredicateValue),
    /// `startsWith`.
    StartsWith(PredicateValue),
    /// `endsWith`.
    EndsWith(PredicateValue),
    /// `contains` (and the older `includes`, which [`PredicateFunc::Includes`] keeps apart).
    Contains(PredicateValue),
    /// `includes`: the older spelling, kept because its semantics on lists differ slightly.
    Includes(PredicateValue),
    /// `matches "regex"` or `matches /regex/`.
    Matches(PredicateValue),
    /// `exists`.
    Exists,
    /// `isBoolean`.
    IsBoolean,
    /// `isCollection`.
    IsCollection,
    /// `isDate`.
    IsDate,
    /// `isEmpty`.
    IsEmpty,
    /// `isFloat`.
    IsFloat,
    /// `isInteger`.
    IsInteger,
    /// `isIpv4`.
    IsIpv4,
    /// `isIpv6`.
    IsIpv6,
    /// `isIsoDate`.
    IsIsoDate,
    /// `isList`.
    IsList,
    /// `isNumber`.
    IsNumber,
    /// `isObject`.
    IsObject,
    /// `isString`.
    IsString,
    /// `isUuid`.
    IsUuid,
}

/// The operand of a predicate.
#[derive(Clone, Debug, PartialEq)]
pub enum PredicateValue {
    /// `"..."`, a template.
    String(Template),
    /// A multiline string.
    MultilineString(MultilineString),
    /// An integer literal.
    Integer(Spanned<i64>),
    /// An integer literal too large for `i64`, kept as its digits.
    BigInteger(Spanned<String>),
    /// A float literal; the source text is kept so it prints as written.
    Float(Spanned<FloatLiteral>),
    /// `true` or `false`.
    Bool(Spanned<bool>),
    /// `null`.
    Null(Span),
    /// `hex,...;`, `base64,...;` or `file,...;`.
    Bytes(BytesLiteral),
    /// `{{expr}}` standing alone: its value keeps its type.
    Placeholder(Placeholder),
    /// `/regex/`.
    Regex(Spanned<String>),
}

/// A float literal with the text it was written as.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatLiteral {
    /// The value.
    pub value: f64,
    /// The source text, e.g. `1.10`.
    pub source: String,
}

/// A bytes literal.
#[derive(Clone, Debug, PartialEq)]
pub enum BytesLiteral {
    /// `base64,...;`, already decoded.
    Base64(Spanned<Vec<u8>>),
    /// `hex,...;`, already decoded.
    Hex(Spanned<Vec<u8>>),
    /// `file,path;`: read at run time, relative to the file root.
    File(Template),
}

/// A request or response body.
#[derive(Clone, Debug, PartialEq)]
pub struct Body {
    /// What kind of body it is.
    pub kind: BodyKind,
    /// The whole body text.
    pub span: Span,
}

/// The kinds of body the grammar allows.
#[derive(Clone, Debug, PartialEq)]
pub enum BodyKind {
    /// A JSON value (with templates inside strings and as values).
    Json(JsonValue),
    /// A raw XML document; its end is found by the parser's own scan.
    Xml(Spanned<String>),
    /// A ```` ``` ```` multiline string, with an optional language hint.
    Multiline(MultilineString),
    /// A `` `one line` `` string.
    Oneline(Template),
    /// `base64,...;`, `hex,...;` or `file,...;`.
    Bytes(BytesLiteral),
}

/// A multiline string and its language hint.
#[derive(Clone, Debug, PartialEq)]
pub struct MultilineString {
    /// The hint after the opening fence.
    pub kind: MultilineKind,
    /// The text between the fences (the newline after the opening fence excluded).
    pub value: Template,
    /// From the opening to the closing fence.
    pub span: Span,
}

/// The language hint of a multiline string.
#[derive(Clone, Debug, PartialEq)]
pub enum MultilineKind {
    /// No hint.
    Text,
    /// ```` ```json ````.
    Json,
    /// ```` ```xml ````.
    Xml,
    /// ```` ```graphql ```` with optional `variables {...}`.
    Graphql {
        /// The `variables` object, if any.
        variables: Option<JsonValue>,
    },
}

/// A JSON value in a body, with templates.
#[derive(Clone, Debug, PartialEq)]
pub enum JsonValue {
    /// `{ "key": value, ... }`.
    Object {
        /// Members in source order; keys are templates.
        members: Vec<(Template, JsonValue)>,
        /// The whole object.
        span: Span,
    },
    /// `[ value, ... ]`.
    Array {
        /// Elements in source order.
        elements: Vec<JsonValue>,
        /// The whole array.
        span: Span,
    },
    /// `"..."` with templates inside.
    String(Template),
    /// A number, kept as its source text so it is sent exactly as written.
    Number(Spanned<String>),
    /// `true` or `false`.
    Bool(Spanned<bool>),
    /// `null`.
    Null(Span),
    /// `{{expr}}` as a value: rendered with its type (a number stays a number).
    Placeholder(Placeholder),
}

/// A string that may contain `{{placeholders}}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    /// Literal text and placeholders, in order.
    pub elements: Vec<TemplateElement>,
    /// `"` for quoted strings, `` ` `` for backtick strings, `None` for bare text.
    pub delimiter: Option<char>,
    /// The template's text in the source (delimiters included).
    pub span: Span,
}

impl Template {
    /// A template holding only literal text.
    pub fn literal(text: &str, span: Span) -> Template {
        Template {
            elements: vec![TemplateElement::Literal(text.to_owned())],
            delimiter: None,
            span,
        }
    }

    /// The literal text, if the template has no placeholder.
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for element in &self.elements {
            match element {
                TemplateElement::Literal(text) => out.push_str(text),
                TemplateElement::Placeholder(_) => return None,
            }
        }
        Some(out)
    }
}

/// A part of a template.
#[derive(Clone, Debug, PartialEq)]
pub enum TemplateElement {
    /// Literal text, escapes already resolved.
    Literal(String),
    /// `{{expr}}`.
    Placeholder(Placeholder),
}

/// `{{expr}}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Placeholder {
    /// The expression inside the braces.
    pub expr: Expr,
    /// From `{{` to `}}`.
    pub span: Span,
}

/// The expression of a placeholder.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// A variable or a function.
    pub kind: ExprKind,
    /// The expression text, without the braces.
    pub span: Span,
}

/// What a placeholder evaluates.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A variable name.
    Variable(String),
    /// A built-in function.
    Function(Function),
}

/// The template functions.
#[derive(Clone, Debug, PartialEq)]
pub enum Function {
    /// `newUuid`: a random UUID v4.
    NewUuid,
    /// `newDate`: the current time, RFC 3339 UTC.
    NewDate,
}

/// Names that cannot be used as variables (Hurl 8.1 `is_variable_reserved`): the
/// functions, and `getEnv`, which Hurl reserves without defining it yet.
pub const RESERVED_VARIABLE_NAMES: [&str; 3] = ["getEnv", "newDate", "newUuid"];

/// One line of an `[Options]` section.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryOption {
    /// The option's name.
    pub name: Spanned<OptionName>,
    /// Its value, typed by the name.
    pub value: OptionValue,
    /// The whole line.
    pub span: Span,
}

/// The value of an option, typed by its name.
#[derive(Clone, Debug, PartialEq)]
pub enum OptionValue {
    /// `true`/`false` or a placeholder.
    Bool(BoolOption),
    /// An integer (`-1` means infinite for `repeat` and `retry`) or a placeholder.
    Count(CountOption),
    /// A non-negative integer (e.g. `limit-rate`) or a placeholder.
    Natural(CountOption),
    /// A number with an optional unit (`ms`, `s`, `m`, `h`) or a placeholder.
    Duration(DurationOption),
    /// Free text (a path, a header line, a host mapping, ...).
    Template(Template),
    /// `name=value` for the `variable` option.
    Variable(VariableDefinition),
}

/// A boolean option value.
#[derive(Clone, Debug, PartialEq)]
pub enum BoolOption {
    /// `true` or `false`.
    Literal(Spanned<bool>),
    /// `{{expr}}`.
    Placeholder(Placeholder),
}

/// An integer option value.
#[derive(Clone, Debug, PartialEq)]
pub enum CountOption {
    /// An integer.
    Literal(Spanned<i64>),
    /// `{{expr}}`.
    Placeholder(Placeholder),
}

/// A duration option value.
#[derive(Clone, Debug, PartialEq)]
pub enum DurationOption {
    /// A number and an optional unit; without a unit, the option's default unit applies.
    Literal {
        /// The number.
        value: u64,
        /// The unit, if written.
        unit: Option<DurationUnit>,
        /// The number and unit.
        span: Span,
    },
    /// `{{expr}}`.
    Placeholder(Placeholder),
}

/// A unit of a duration option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DurationUnit {
    /// `ms`.
    Millisecond,
    /// `s`.
    Second,
    /// `m`.
    Minute,
    /// `h`.
    Hour,
}

/// `name=value` in an `[Options]` `variable:` line.
#[derive(Clone, Debug, PartialEq)]
pub struct VariableDefinition {
    /// The variable name.
    pub name: Spanned<String>,
    /// The typed value.
    pub value: VariableValue,
}

/// The value of a variable definition.
#[derive(Clone, Debug, PartialEq)]
pub enum VariableValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Integer(i64),
    /// A float, with its source text.
    Float(FloatLiteral),
    /// Anything else: a string template.
    String(Template),
}

/// The 48 option names of Hurl 8.1 (`packages/hurl_core/src/parser/option.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OptionName {
    /// `aws-sigv4`.
    AwsSigv4,
    /// `cacert`.
    CaCert,
    /// `cert`.
    Cert,
    /// `key`.
    Key,
    /// `compressed`.
    Compressed,
    /// `connect-to`.
    ConnectTo,
    /// `connect-timeout`.
    ConnectTimeout,
    /// `delay`.
    Delay,
    /// `digest`.
    Digest,
    /// `fail-with-body`.
    FailWithBody,
    /// `insecure`.
    Insecure,
    /// `header`.
    Header,
    /// `http1.0`.
    Http10,
    /// `http1.1`.
    Http11,
    /// `http2`.
    Http2,
    /// `http2-prior-knowledge`.
    Http2PriorKnowledge,
    /// `http3`.
    Http3,
    /// `ipv4`.
    Ipv4,
    /// `ipv6`.
    Ipv6,
    /// `limit-rate`.
    LimitRate,
    /// `location`.
    Location,
    /// `location-trusted`.
    LocationTrusted,
    /// `max-redirs`.
    MaxRedirs,
    /// `max-time`.
    MaxTime,
    /// `negotiate`.
    Negotiate,
    /// `netrc`.
    Netrc,
    /// `netrc-file`.
    NetrcFile,
    /// `netrc-optional`.
    NetrcOptional,
    /// `no-header`.
    NoHeader,
    /// `no-jsonpath-coercion`.
    NoJsonpathCoercion,
    /// `ntlm`.
    Ntlm,
    /// `output`.
    Output,
    /// `path-as-is`.
    PathAsIs,
    /// `pinnedpubkey`.
    PinnedPubkey,
    /// `proxy`.
    Proxy,
    /// `repeat`.
    Repeat,
    /// `resolve`.
    Resolve,
    /// `retry`.
    Retry,
    /// `retry-interval`.
    RetryInterval,
    /// `skip`.
    Skip,
    /// `tls-max`.
    TlsMax,
    /// `tls-min`.
    TlsMin,
    /// `unix-socket`.
    UnixSocket,
    /// `user`.
    User,
    /// `variable`.
    Variable,
    /// `verbose`.
    Verbose,
    /// `verbosity`.
    Verbosity,
    /// `very-verbose`.
    VeryVerbose,
}

/// The kind of value an option takes; the parser reads the value accordingly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionValueKind {
    /// `true`/`false`.
    Bool,
    /// An integer, `-1` allowed.
    Count,
    /// A non-negative integer.
    Natural,
    /// A duration; the unit used when none is written is given.
    Duration(DurationUnit),
    /// Free text.
    Template,
    /// `name=value`.
    Variable,
}

impl OptionName {
    /// Every option name, in the order Hurl documents them.
    pub const ALL: [OptionName; 48] = [
        OptionName::AwsSigv4,
        OptionName::CaCert,
        OptionName::Cert,
        OptionName::Key,
        OptionName::Compressed,
        OptionName::ConnectTo,
        OptionName::ConnectTimeout,
        OptionName::Delay,
        OptionName::Digest,
        OptionName::FailWithBody,
        OptionName::Insecure,
        OptionName::Header,
        OptionName::Http10,
        OptionName::Http11,
        OptionName::Http2,
        OptionName::Http2PriorKnowledge,
        OptionName::Http3,
        OptionName::Ipv4,
        OptionName::Ipv6,
        OptionName::LimitRate,
        OptionName::Location,
        OptionName::LocationTrusted,
        OptionName::MaxRedirs,
        OptionName::MaxTime,
        OptionName::Negotiate,
        OptionName::Netrc,
        OptionName::NetrcFile,
        OptionName::NetrcOptional,
        OptionName::NoHeader,
        OptionName::NoJsonpathCoercion,
        OptionName::Ntlm,
        OptionName::Output,
        OptionName::PathAsIs,
        OptionName::PinnedPubkey,
        OptionName::Proxy,
        OptionName::Repeat,
        OptionName::Resolve,
        OptionName::Retry,
        OptionName::RetryInterval,
        OptionName::Skip,
        OptionName::TlsMax,
        OptionName::TlsMin,
        OptionName::UnixSocket,
        OptionName::User,
        OptionName::Variable,
        OptionName::Verbose,
        OptionName::Verbosity,
        OptionName::VeryVerbose,
    ];

    /// The name as written in a `.hurl` file.
    pub fn as_str(self) -> &'static str {
        match self {
            OptionName::AwsSigv4 => "aws-sigv4",
            OptionName::CaCert => "cacert",
            OptionName::Cert => "cert",
            OptionName::Key => "key",
            OptionName::Compressed => "compressed",
            OptionName::ConnectTo => "connect-to",
            OptionName::ConnectTimeout => "connect-timeout",
            OptionName::Delay => "delay",
            OptionName::Digest => "digest",
            OptionName::FailWithBody => "fail-with-body",
            OptionName::Insecure => "insecure",
            OptionName::Header => "header",
            OptionName::Http10 => "http1.0",
            OptionName::Http11 => "http1.1",
            OptionName::Http2 => "http2",
            OptionName::Http2PriorKnowledge => "http2-prior-knowledge",
            OptionName::Http3 => "http3",
            OptionName::Ipv4 => "ipv4",
            OptionName::Ipv6 => "ipv6",
            OptionName::LimitRate => "limit-rate",
            OptionName::Location => "location",
            OptionName::LocationTrusted => "location-trusted",
            OptionName::MaxRedirs => "max-redirs",
            OptionName::MaxTime => "max-time",
            OptionName::Negotiate => "negotiate",
            OptionName::Netrc => "netrc",
            OptionName::NetrcFile => "netrc-file",
            OptionName::NetrcOptional => "netrc-optional",
            OptionName::NoHeader => "no-header",
            OptionName::NoJsonpathCoercion => "no-jsonpath-coercion",
            OptionName::Ntlm => "ntlm",
            OptionName::Output => "output",
            OptionName::PathAsIs => "path-as-is",
            OptionName::PinnedPubkey => "pinnedpubkey",
            OptionName::Proxy => "proxy",
            OptionName::Repeat => "repeat",
            OptionName::Resolve => "resolve",
            OptionName::Retry => "retry",
            OptionName::RetryInterval => "retry-interval",
            OptionName::Skip => "skip",
            OptionName::TlsMax => "tls-max",
            OptionName::TlsMin => "tls-min",
            OptionName::UnixSocket => "unix-socket",
            OptionName::User => "user",
            OptionName::Variable => "variable",
            OptionName::Verbose => "verbose",
            OptionName::Verbosity => "verbosity",
            OptionName::VeryVerbose => "very-verbose",
        }
    }

    /// The option with this spelling, if any.
    pub fn from_name(name: &str) -> Option<OptionName> {
        OptionName::ALL.into_iter().find(|option| option.as_str() == name)
    }

    /// What kind of value the option takes.
    pub fn value_kind(self) -> OptionValueKind {
        match self {
            OptionName::Compressed
            | OptionName::Digest
            | OptionName::FailWithBody
            | OptionName::Insecure
            | OptionName::Http10
            | OptionName::Http11
            | OptionName::Http2
            | OptionName::Http2PriorKnowledge
            | OptionName::Http3
            | OptionName::Ipv4
            | OptionName::Ipv6
            | OptionName::Location
            | OptionName::LocationTrusted
            | OptionName::Negotiate
            | OptionName::Netrc
            | OptionName::NetrcOptional
            | OptionName::NoHeader
            | OptionName::NoJsonpathCoercion
            | OptionName::Ntlm
            | OptionName::PathAsIs
            | OptionName::Skip
            | OptionName::Verbose
            | OptionName::VeryVerbose => OptionValueKind::Bool,
            OptionName::MaxRedirs | OptionName::Repeat | OptionName::Retry => {
                OptionValueKind::Count
            }
            OptionName::LimitRate => OptionValueKind::Natural,
            OptionName::ConnectTimeout | OptionName::MaxTime => {
                OptionValueKind::Duration(DurationUnit::Second)
            }
            OptionName::Delay | OptionName::RetryInterval => {
                OptionValueKind::Duration(DurationUnit::Millisecond)
            }
            OptionName::Variable => OptionValueKind::Variable,
            OptionName::AwsSigv4
            | OptionName::CaCert
            | OptionName::Cert
            | OptionName::Key
            | OptionName::ConnectTo
            | OptionName::Header
            | OptionName::NetrcFile
            | OptionName::Output
            | OptionName::PinnedPubkey
            | OptionName::Proxy
            | OptionName::Resolve
            | OptionName::TlsMax
            | OptionName::TlsMin
            | OptionName::UnixSocket
            | OptionName::User
            | OptionName::Verbosity => OptionValueKind::Template,
        }
    }
}

impl fmt::Display for OptionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The query keywords of Hurl 8.1.
pub const QUERY_NAMES: [&str; 18] = [
    "status",
    "version",
    "url",
    "ip",
    "header",
    "cookie",
    "body",
    "xpath",
    "jsonpath",
    "regex",
    "variable",
    "duration",
    "bytes",
    "rawbytes",
    "sha256",
    "md5",
    "certificate",
    "redirects",
];

/// The filter keywords of Hurl 8.1, deprecated spellings included.
pub const FILTER_NAMES: [&str; 33] = [
    "base64Decode",
    "base64Encode",
    "base64UrlSafeDecode",
    "base64UrlSafeEncode",
    "charsetDecode",
    "count",
    "dateFormat",
    "daysAfterNow",
    "daysBeforeNow",
    "decode",
    "first",
    "format",
    "htmlEscape",
    "htmlUnescape",
    "jsonpath",
    "last",
    "location",
    "nth",
    "regex",
    "replace",
    "replaceRegex",
    "split",
    "toDate",
    "toFloat",
    "toHex",
    "toInt",
    "toString",
    "urlDecode",
    "urlEncode",
    "urlQueryParam",
    "utf8Decode",
    "utf8Encode",
    "xpath",
];

/// The predicate keywords of Hurl 8.1.
pub const PREDICATE_NAMES: [&str; 26] = [
    "==",
    "!=",
    ">",
    ">=",
    "<",
    "<=",
    "startsWith",
    "endsWith",
    "contains",
    "includes",
    "matches",
    "exists",
    "isBoolean",
    "isCollection",
    "isDate",
    "isEmpty",
    "isFloat",
    "isInteger",
    "isIpv4",
    "isIpv6",
    "isIsoDate",
    "isList",
    "isNumber",
    "isObject",
    "isString",
    "isUuid",
];

impl QueryKind {
    /// The query's keyword as written in a `.hurl` file.
    pub fn keyword(&self) -> &'static str {
        match self {
            QueryKind::Status => "status",
            QueryKind::Version => "version",
            QueryKind::Url => "url",
            QueryKind::Ip => "ip",
            QueryKind::Header(_) => "header",
            QueryKind::Cookie(_) => "cookie",
            QueryKind::Body => "body",
            QueryKind::Xpath(_) => "xpath",
            QueryKind::Jsonpath(_) => "jsonpath",
            QueryKind::Regex(_) => "regex",
            QueryKind::Variable(_) => "variable",
            QueryKind::Duration => "duration",
            QueryKind::Bytes => "bytes",
            QueryKind::RawBytes => "rawbytes",
            QueryKind::Sha256 => "sha256",
            QueryKind::Md5 => "md5",
            QueryKind::Certificate(_) => "certificate",
            QueryKind::Redirects => "redirects",
        }
    }
}

impl FilterKind {
    /// The filter's keyword as written in a `.hurl` file (current spelling).
    pub fn keyword(&self) -> &'static str {
        match self {
            FilterKind::Base64Decode => "base64Decode",
            FilterKind::Base64Encode => "base64Encode",
            FilterKind::Base64UrlSafeDecode => "base64UrlSafeDecode",
            FilterKind::Base64UrlSafeEncode => "base64UrlSafeEncode",
            FilterKind::CharsetDecode { .. } => "charsetDecode",
            FilterKind::Count => "count",
            FilterKind::DateFormat { .. } => "dateFormat",
            FilterKind::DaysAfterNow => "daysAfterNow",
            FilterKind::DaysBeforeNow => "daysBeforeNow",
            FilterKind::First => "first",
            FilterKind::HtmlEscape => "htmlEscape",
            FilterKind::HtmlUnescape => "htmlUnescape",
            FilterKind::Jsonpath { .. } => "jsonpath",
            FilterKind::Last => "last",
            FilterKind::Location => "location",
            FilterKind::Nth { .. } => "nth",
            FilterKind::Regex { .. } => "regex",
            FilterKind::Replace { .. } => "replace",
            FilterKind::ReplaceRegex { .. } => "replaceRegex",
            FilterKind::Split { .. } => "split",
            FilterKind::ToDate { .. } => "toDate",
            FilterKind::ToFloat => "toFloat",
            FilterKind::ToHex => "toHex",
            FilterKind::ToInt => "toInt",
            FilterKind::ToString => "toString",
            FilterKind::UrlDecode => "urlDecode",
            FilterKind::UrlEncode => "urlEncode",
            FilterKind::UrlQueryParam { .. } => "urlQueryParam",
            FilterKind::Utf8Decode => "utf8Decode",
            FilterKind::Utf8Encode => "utf8Encode",
            FilterKind::Xpath { .. } => "xpath",
        }
    }
}

impl PredicateFunc {
    /// The predicate's keyword as written in a `.hurl` file.
    pub fn keyword(&self) -> &'static str {
        match self {
            PredicateFunc::Equal(_) => "==",
            PredicateFunc::NotEqual(_) => "!=",
            PredicateFunc::GreaterThan(_) => ">",
            PredicateFunc::GreaterThanOrEqual(_) => ">=",
            PredicateFunc::LessThan(_) => "<",
            PredicateFunc::LessThanOrEqual(_) => "<=",
            PredicateFunc::StartsWith(_) => "startsWith",
            PredicateFunc::EndsWith(_) => "endsWith",
            PredicateFunc::Contains(_) => "contains",
            PredicateFunc::Includes(_) => "includes",
            PredicateFunc::Matches(_) => "matches",
            PredicateFunc::Exists => "exists",
            PredicateFunc::IsBoolean => "isBoolean",
            PredicateFunc::IsCollection => "isCollection",
            PredicateFunc::IsDate => "isDate",
            PredicateFunc::IsEmpty => "isEmpty",
            PredicateFunc::IsFloat => "isFloat",
            PredicateFunc::IsInteger => "isInteger",
            PredicateFunc::IsIpv4 => "isIpv4",
            PredicateFunc::IsIpv6 => "isIpv6",
            PredicateFunc::IsIsoDate => "isIsoDate",
            PredicateFunc::IsList => "isList",
            PredicateFunc::IsNumber => "isNumber",
            PredicateFunc::IsObject => "isObject",
            PredicateFunc::IsString => "isString",
            PredicateFunc::IsUuid => "isUuid",
        }
    }
}

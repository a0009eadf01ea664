//! Tests of the parser: valid inputs as a compact debug form, invalid inputs as rendered diagnostics.

use super::*;
use crate::scenario::ast::{
    Assert, BodyKind, BytesLiteral, FilterKind, JsonValue, MultilineKind, OptionName,
    PredicateFunc, PredicateValue, RequestSectionKind, ResponseSectionKind,
};
use crate::scenario::ast::{FILTER_NAMES, PREDICATE_NAMES, QUERY_NAMES};

/// The AST's debug form without spans, templates without placeholders shown as strings.
fn compact(file: &HurlFile) -> String {
    let text = format!("{file:?}");
    let spans =
        regex::Regex::new(r"(, )?(span|line_span): Span \{ start: \d+, end: \d+ \}(, )?").unwrap();
    let text = spans.replace_all(&text, |caps: &regex::Captures<'_>| {
        if caps.get(1).is_some() && caps.get(3).is_some() { ", ".to_owned() } else { String::new() }
    });
    let bare_span = regex::Regex::new(r"Span \{ start: \d+, end: \d+ \}").unwrap();
    let text = bare_span.replace_all(&text, "_");
    let literal = regex::Regex::new(
        r#"Template \{ elements: \[Literal\(("(?:[^"\\]|\\.)*")\)\], delimiter: ([^}]*?) \}"#,
    )
    .unwrap();
    let text = literal.replace_all(&text, "$1");
    let spanned = regex::Regex::new(r"Spanned \{ value: ([^{}]*?) \}").unwrap();
    spanned.replace_all(&text, "$1").into_owned()
}

fn parse_ok(input: &str) -> HurlFile {
    let (file, diags) = parse(input);
    assert!(
        diags.is_empty(),
        "unexpected diagnostics:\n{}",
        render_plain(&diags, "test.hurl", input)
    );
    file
}

/// A valid input whose compact form contains `expected`.
fn check(input: &str, expected: &str) {
    let file = parse_ok(input);
    let text = compact(&file);
    assert!(text.contains(expected), "expected to find\n  {expected}\nin\n  {text}");
}

/// An invalid input and its rendered diagnostics.
fn check_error(input: &str, expected: &str) {
    let (_, diags) = parse(input);
    let rendered = render_plain(&diags, "test.hurl", input);
    let rendered: String = rendered.lines().map(str::trim_end).collect::<Vec<_>>().join("\n");
    assert_eq!(rendered.trim(), expected.trim(), "\nrendered:\n{rendered}");
}

use crate::scenario::diagnostic::render_plain;

fn first_request(input: &str) -> Request {
    let mut file = parse_ok(input);
    assert!(!file.entries.is_empty(), "no entry in {input:?}");
    file.entries.remove(0).request
}

fn first_response(input: &str) -> Response {
    let mut file = parse_ok(input);
    file.entries.remove(0).response.expect("a response")
}

fn asserts(input: &str) -> Vec<Assert> {
    let response = first_response(&format!("GET http://a\nHTTP 200\n[Asserts]\n{input}\n"));
    match response.sections.into_iter().next().map(|s| s.kind) {
        Some(ResponseSectionKind::Asserts(asserts)) => asserts,
        other => panic!("no asserts: {other:?}"),
    }
}

fn one_assert(line: &str) -> Assert {
    let mut all = asserts(line);
    assert_eq!(all.len(), 1, "{line}");
    all.remove(0)
}

// ---------- request line, headers, templates ----------

#[test]
fn request_line_and_url_template() {
    check(
        "GET http://localhost:8000/{{path}}?a=1\n",
        r#"method: "GET", url: Template { elements: [Literal("http://localhost:8000/"), Placeholder(Placeholder { expr: Expr { kind: Variable("path") } }), Literal("?a=1")], delimiter: None }"#,
    );
    check("PROPFIND http://a/dav\n", r#"method: "PROPFIND", url: "http://a/dav""#);
    check("GET http://a/{{newUuid}}/{{ newDate }}\n", "Function(NewUuid)");
    check("GET http://a/{{ newDate }}\n", "Function(NewDate)");
    let request = first_request("  GET   http://a/b   # trailing comment\n");
    assert_eq!(request.url.as_literal().as_deref(), Some("http://a/b"));
    assert_eq!(request.line_span, Span::new(2, 18));
    // Plain ASCII runs are taken whole, around non-ASCII chars, escapes and placeholders.
    let request =
        first_request("GET http://a/\\u{e9}é-b_{{x}}.c?x=(1)~2,*!%20+y   # c\nX.y-1: a:b=c\\#d\n");
    let literals: Vec<_> = request
        .url
        .elements
        .iter()
        .map(|e| match e {
            TemplateElement::Literal(text) => text.as_str(),
            TemplateElement::Placeholder(_) => "{}",
        })
        .collect();
    assert_eq!(literals, ["http://a/éé-b_", "{}", ".c?x=(1)~2,*!%20+y"]);
    assert_eq!(request.url.span, Span::new(4, 47));
    let header = &request.headers[0];
    assert_eq!(header.key.as_literal().as_deref(), Some("X.y-1"));
    assert_eq!(header.value.as_literal().as_deref(), Some("a:b=c#d"));
}

#[test]
fn headers_and_escapes() {
    let request = first_request(
        "GET http://a\nX-A\\:b: v\\#1 \\u{41}\\t!  \n{{name}}-x: {{value}}\nAccept : */*\n",
    );
    let texts: Vec<_> =
        request.headers.iter().map(|h| (h.key.as_literal(), h.value.as_literal())).collect();
    assert_eq!(texts[0], (Some("X-A:b".to_owned()), Some("v#1 A\t!".to_owned())));
    assert_eq!(texts[1], (None, None));
    assert_eq!(texts[2], (Some("Accept".to_owned()), Some("*/*".to_owned())));
    let spans: Vec<_> = request.headers.iter().map(|h| h.span).collect();
    assert_eq!(spans[0], Span::new(13, 35));
}

#[test]
fn comments_and_blank_lines_everywhere() {
    let input = "# leading comment\n\n  # indented\nGET http://a # c\n# between\nAccept: x # c\n\n[Query] # c\n# c\na: 1 # c\n\nHTTP 200 # c\n# c\n[Asserts] # c\nstatus == 200 # c\n\n# trailing\n";
    let file = parse_ok(input);
    let entry = &file.entries[0];
    assert_eq!(entry.request.headers.len(), 1);
    assert_eq!(entry.request.sections.len(), 1);
    let response = entry.response.as_ref().unwrap();
    assert_eq!(response.sections.len(), 1);
    assert_eq!(&input[entry.span.start..entry.span.end].lines().last(), &Some("status == 200"));
    assert_eq!(
        &input[response.span.start..response.span.end].lines().next(),
        &Some("HTTP 200 # c")
    );
    let section = &entry.request.sections[0];
    assert_eq!(&input[section.span.start..section.span.end], "[Query] # c\n# c\na: 1");
}

#[test]
fn bom_is_skipped_and_spans_index_the_source() {
    let input = "\u{feff}GET http://a\nHTTP 200\n";
    let request = first_request(input);
    assert_eq!(request.method.span, Span::new(3, 6));
    assert_eq!(&input[request.method.span.start..request.method.span.end], "GET");
}

#[test]
fn crlf_line_ends() {
    let input = "GET http://a\r\nAccept: x\r\n\r\n[Query]\r\nq: 1\r\n\r\nHTTP 200\r\n[Asserts]\r\nheader \"A\" == \"b\"\r\n```\r\nx\r\n```\r\n";
    let file = parse_ok(input);
    let entry = &file.entries[0];
    assert_eq!(entry.request.headers[0].value.as_literal().as_deref(), Some("x"));
    let response = entry.response.as_ref().unwrap();
    match &response.body.as_ref().unwrap().kind {
        BodyKind::Multiline(m) => assert_eq!(m.value.as_literal().as_deref(), Some("x\r\n")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn empty_sections_then_response_body() {
    let file = parse_ok(
        "GET http://a/hello\n[Options]\n[QueryStringParams]\n# [BasicAuth]\n[FormParams]\n[MultipartFormData]\n[Cookies]\nHTTP 200\n`Hello World!`\n",
    );
    assert_eq!(file.entries[0].request.sections.len(), 5);
    let response = file.entries[0].response.as_ref().unwrap();
    assert!(matches!(&response.body.as_ref().unwrap().kind, BodyKind::Oneline(_)));
    let response = first_response(
        "GET http://a\nHTTP 200\nSet-Cookie: LSID=DQ; Expires=Wed, 13 Jan 2021 22:23:01 GMT; Secure\n[Asserts]\ncookie \"LSID[Expires]\" dateFormat \"%a, %d %b %Y\" == \"Wed, 13 Jan 2021\"\ncookie \"c\" == \"\"\n",
    );
    assert_eq!(response.headers.len(), 1);
}

#[test]
fn several_entries() {
    let file = parse_ok("GET http://a\n\nPOST http://b\n{}\nHTTP 201\n\nDELETE http://c\nHTTP *\n");
    let methods: Vec<_> = file.entries.iter().map(|e| e.request.method.value.as_str()).collect();
    assert_eq!(methods, ["GET", "POST", "DELETE"]);
    assert!(file.entries[0].response.is_none());
    assert_eq!(file.entries[2].response.as_ref().unwrap().status.value, StatusSpec::Any);
}

// ---------- sections ----------

#[test]
fn request_sections_and_aliases() {
    let input = "POST http://a\n[QueryStringParams]\na: 1\n[FormParams]\nc: 3\n[MultipartFormData]\nfield: v\nfile1: file,data.bin;\nfile2: file,my\\ file.txt; text/plain\n[Cookies]\ns: abc\n[BasicAuth]\nbob: secret\n";
    let request = first_request(input);
    let names: Vec<_> = request.sections.iter().map(|s| s.name.value.as_str()).collect();
    assert_eq!(
        names,
        ["QueryStringParams", "FormParams", "MultipartFormData", "Cookies", "BasicAuth"]
    );
    let aliases =
        first_request("POST http://a\n[Query]\nb: {{x}}\n[Form]\nd: 4\n[Multipart]\nf: x\n");
    let names: Vec<_> = aliases.sections.iter().map(|s| s.name.value.as_str()).collect();
    assert_eq!(names, ["Query", "Form", "Multipart"]);
    // A section given twice (under either name) is an error, as in Hurl.
    let (_, diags) = parse("GET http://a\n[Query]\na: 1\n[QueryStringParams]\nb: 2\n");
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].message, "duplicated section");
    let text = compact(&HurlFile {
        entries: vec![Entry { request, response: None, span: Span::default() }],
    });
    assert!(text.contains(r#"Query([KeyValue { key: "a", value: "1" }])"#), "{text}");
    assert!(
        text.contains(
            r#"File(FileParam { key: "file1", filename: "data.bin", content_type: None })"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"File(FileParam { key: "file2", filename: "my file.txt", content_type: Some("text/plain") })"#), "{text}");
    assert!(
        text.contains(r#"BasicAuth(Some(KeyValue { key: "bob", value: "secret" }))"#),
        "{text}"
    );
    assert!(text.contains(r#"Cookies([KeyValue { key: "s", value: "abc" }])"#), "{text}");
}

#[test]
fn every_option_name_parses() {
    let mut input = String::from("GET http://a\n[Options]\n");
    for option in OptionName::ALL {
        let value = match option.value_kind() {
            crate::scenario::ast::OptionValueKind::Bool => "true",
            crate::scenario::ast::OptionValueKind::Count => "-1",
            crate::scenario::ast::OptionValueKind::Natural => "1000",
            crate::scenario::ast::OptionValueKind::Duration(_) => "5s",
            crate::scenario::ast::OptionValueKind::Template if option == OptionName::Verbosity => {
                "debug"
            }
            crate::scenario::ast::OptionValueKind::Template => "path/{{x}}.pem",
            crate::scenario::ast::OptionValueKind::Variable => "name=value",
        };
        input.push_str(&format!("{option}: {value}\n"));
    }
    let request = first_request(&input);
    let RequestSectionKind::Options(options) = &request.sections[0].kind else { panic!() };
    let names: Vec<_> = options.iter().map(|o| o.name.value).collect();
    assert_eq!(names, OptionName::ALL);
}

#[test]
fn option_values_by_kind() {
    let input = "GET http://a\n[Options]\nlocation: false\ninsecure: {{flag}}\nretry: -1\nrepeat: 0\nmax-redirs: {{n}}\nlimit-rate: 32000\ndelay: 500\nretry-interval: 2s\nconnect-timeout: 3m\nmax-time: 1h\ndelay: 20ms\nvariable: a=null\nvariable: b=true\nvariable: c=42\nvariable: d=-1.50\nvariable: e=some text\nvariable: f=\"quoted\"\nvariable: g={{h}}\noutput: out.bin\nuser: bob:secret # comment\n";
    check(input, "Bool(Literal(false))");
    check(input, "Bool(Placeholder(Placeholder { expr: Expr { kind: Variable(\"flag\") } }))");
    check(input, "Count(Literal(-1))");
    check(input, "Count(Literal(0))");
    check(input, "Natural(Literal(32000))");
    check(input, "Duration(Literal { value: 500, unit: None })");
    check(input, "Duration(Literal { value: 2, unit: Some(Second) })");
    check(input, "Duration(Literal { value: 3, unit: Some(Minute) })");
    check(input, "Duration(Literal { value: 1, unit: Some(Hour) })");
    check(input, "Duration(Literal { value: 20, unit: Some(Millisecond) })");
    check(input, r#"Variable(VariableDefinition { name: "a", value: Null })"#);
    check(input, r#"Variable(VariableDefinition { name: "b", value: Bool(true) })"#);
    check(input, r#"Variable(VariableDefinition { name: "c", value: Integer(42) })"#);
    check(
        input,
        r#"Variable(VariableDefinition { name: "d", value: Float(FloatLiteral { value: -1.5, source: "-1.50" }) })"#,
    );
    check(input, r#"Variable(VariableDefinition { name: "e", value: String("some text") })"#);
    check(input, r#"Variable(VariableDefinition { name: "f", value: String("quoted") })"#);
    check(input, r#"Template("bob:secret")"#);
    check(
        "GET http://a\n[Options]\ncert: my\\ cert.pem\\:pass\ncacert: ca\\;.pem\n",
        r#"Template("my cert.pem:pass")"#,
    );
    check("GET http://a\n[Options]\ncacert: ca\\;.pem\n", r#"Template("ca;.pem")"#);
}

// ---------- bodies ----------

fn request_body(input: &str) -> BodyKind {
    first_request(input).body.expect("a body").kind
}

#[test]
fn json_bodies_with_templates() {
    let input = "POST http://a\nContent-Type: application/json\n{\n  \"name\": \"{{user}} x\\n\",\n  \"count\": {{count}},\n  \"{{key}}\": [1, -2.5e3, true, false, null, {}],\n  \"u\": \"\\u00e9\"\n}\nHTTP 200\n";
    let text = compact(&parse_ok(input));
    assert!(text.contains(r#"("name", String(Template { elements: [Placeholder(Placeholder { expr: Expr { kind: Variable("user") } }), Literal(" x\n")], delimiter: Some('"') }))"#), "{text}");
    assert!(
        text.contains(r#"Placeholder(Placeholder { expr: Expr { kind: Variable("count") } })"#),
        "{text}"
    );
    assert!(text.contains(r#"Number("-2.5e3")"#), "{text}");
    assert!(text.contains(r#"("u", String("é"))"#), "{text}");
    match request_body("POST http://a\n[1, 2]\n") {
        BodyKind::Json(JsonValue::Array { elements, .. }) => assert_eq!(elements.len(), 2),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        request_body("POST http://a\n{{payload}}\n"),
        BodyKind::Json(JsonValue::Placeholder(_))
    ));
    assert!(matches!(
        request_body("POST http://a\n\"text\"\n"),
        BodyKind::Json(JsonValue::String(_))
    ));
    assert!(matches!(request_body("POST http://a\n12\n"), BodyKind::Json(JsonValue::Number(_))));
    assert!(matches!(request_body("POST http://a\ntrue\n"), BodyKind::Json(JsonValue::Bool(_))));
}

#[test]
fn raw_xml_bodies() {
    let xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- a comment -->\n<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\">\n  <soap:Body a='x>y'>\n    <![CDATA[ </soap:Envelope> ]]>\n    <?pi data?>\n    <empty/>\n  </soap:Body>\n</soap:Envelope>";
    let input = format!("POST http://a\n{xml}\nHTTP 200\n<a>ok</a>\n");
    let file = parse_ok(&input);
    match &file.entries[0].request.body.as_ref().unwrap().kind {
        BodyKind::Xml(text) => assert_eq!(text.value, xml),
        other => panic!("{other:?}"),
    }
    match &file.entries[0].response.as_ref().unwrap().body.as_ref().unwrap().kind {
        BodyKind::Xml(text) => assert_eq!(text.value, "<a>ok</a>"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn multiline_bodies() {
    let text = |input: &str| match request_body(input) {
        BodyKind::Multiline(m) => m,
        other => panic!("{other:?}"),
    };
    let m = text("POST http://a\n```\nline1\n{{x}} \\n raw\n```\n");
    assert_eq!(m.kind, MultilineKind::Text);
    assert_eq!(m.value.elements.len(), 3);
    assert_eq!(m.value.elements[2], TemplateElement::Literal(" \\n raw\n".to_owned()));
    assert_eq!(text("POST http://a\n```json\n{\"a\": 1}\n```\n").kind, MultilineKind::Json);
    assert_eq!(text("POST http://a\n```xml\n<a/>\n```\n").kind, MultilineKind::Xml);
    assert_eq!(
        text("POST http://a\n```graphql\n{ me }\n```\n").kind,
        MultilineKind::Graphql { variables: None }
    );
    let m = text(
        "POST http://a\n```graphql\nquery Q($id: ID) { user(id: $id) { name } }\nvariables {\n  \"id\": \"{{id}}\"\n}\n```\n",
    );
    assert!(matches!(m.kind, MultilineKind::Graphql { variables: Some(JsonValue::Object { .. }) }));
    assert_eq!(
        m.value.as_literal().as_deref(),
        Some("query Q($id: ID) { user(id: $id) { name } }\n")
    );
    let m = text("POST http://a\n```one line```\n");
    assert_eq!(m.value.as_literal().as_deref(), Some("one line"));
    let m = text("POST http://a\n```\n```\n");
    assert_eq!(m.value.as_literal().as_deref(), Some(""));
}

#[test]
fn oneline_and_bytes_bodies() {
    match request_body("POST http://a\n`Hello \\`{{name}}\\` \\#1`\n") {
        BodyKind::Oneline(t) => {
            assert_eq!(t.delimiter, Some('`'));
            assert_eq!(t.elements.len(), 3);
            assert_eq!(t.elements[2], TemplateElement::Literal("` #1".to_owned()));
        }
        other => panic!("{other:?}"),
    }
    match request_body("POST http://a\nbase64,SGVsbG8g\nV29ybGQ=;\n") {
        BodyKind::Bytes(BytesLiteral::Base64(bytes)) => assert_eq!(bytes.value, b"Hello World"),
        other => panic!("{other:?}"),
    }
    match request_body("POST http://a\nhex,48656c6C6f;\n") {
        BodyKind::Bytes(BytesLiteral::Hex(bytes)) => assert_eq!(bytes.value, b"Hello"),
        other => panic!("{other:?}"),
    }
    match request_body("POST http://a\nfile,data/{{name}}.bin;\n") {
        BodyKind::Bytes(BytesLiteral::File(t)) => assert_eq!(t.elements.len(), 3),
        other => panic!("{other:?}"),
    }
}

// ---------- response ----------

#[test]
fn response_versions_and_status() {
    for (line, version, status) in [
        ("HTTP 200", VersionSpec::Any, StatusSpec::Code(200)),
        ("HTTP/1.0 404", VersionSpec::Http10, StatusSpec::Code(404)),
        ("HTTP/1.1 *", VersionSpec::Http11, StatusSpec::Any),
        ("HTTP/2 301", VersionSpec::Http2, StatusSpec::Code(301)),
        ("HTTP/3 200", VersionSpec::Http3, StatusSpec::Code(200)),
    ] {
        let response = first_response(&format!("GET http://a\n{line}\n"));
        assert_eq!((response.version.value, response.status.value), (version, status), "{line}");
    }
}

#[test]
fn implicit_headers_captures_and_redact() {
    let input = "GET http://a\nHTTP 200\nContent-Type: text/html; charset=utf-8\n[Captures]\ntoken: jsonpath \"$.token\" redact\nid: header \"X-Id\" regex /(\\d+)/ toInt\ncsrf: xpath \"string(//input/@value)\"\n{{dyn}}: body\n";
    let response = first_response(input);
    assert_eq!(response.headers[0].value.as_literal().as_deref(), Some("text/html; charset=utf-8"));
    let ResponseSectionKind::Captures(captures) = &response.sections[0].kind else { panic!() };
    assert_eq!(captures.len(), 4);
    assert!(captures[0].redact);
    assert!(!captures[1].redact);
    assert_eq!(captures[1].filters.len(), 2);
    assert_eq!(
        &input[captures[0].span.start..captures[0].span.end],
        "token: jsonpath \"$.token\" redact"
    );
}

// ---------- queries, filters, predicates ----------

#[test]
fn every_query_keyword() {
    let lines = [
        ("status == 200", "Status"),
        ("version == \"2\"", "Version"),
        ("url == \"http://a\"", "Url"),
        ("ip == \"127.0.0.1\"", "Ip"),
        (
            "header \"Location\" exists",
            "Header(Template { elements: [Literal(\"Location\")], delimiter: Some('\"') })",
        ),
        (
            "cookie \"sid\" exists",
            "Cookie(CookiePath { name: Template { elements: [Literal(\"sid\")], delimiter: Some('\"') }, attribute: None })",
        ),
        ("cookie \"sid[Max-Age]\" == 3600", "attribute: Some(MaxAge)"),
        ("body contains \"x\"", "Body"),
        ("xpath \"//h1\" exists", "Xpath("),
        ("jsonpath \"$.a\" exists", "Jsonpath("),
        ("regex \"a(b)\" == \"b\"", "Regex(Template("),
        ("regex /a(\\d+)/ == \"1\"", "Regex(Literal(\"a(\\\\d+)\"))"),
        ("variable \"x\" == 1", "Variable("),
        ("duration < 1000", "Duration"),
        ("bytes count == 3", "Bytes"),
        ("rawbytes count == 3", "RawBytes"),
        ("sha256 == hex,00;", "Sha256"),
        ("md5 == hex,00;", "Md5"),
        ("certificate \"Expire-Date\" daysAfterNow > 15", "Certificate(ExpireDate)"),
        ("certificate \"Subject-Alt-Name\" exists", "Certificate(SubjectAltName)"),
        ("redirects count == 2", "Redirects"),
    ];
    let mut seen = std::collections::BTreeSet::new();
    let spans = regex::Regex::new(r"(, )?span: Span \{ start: \d+, end: \d+ \}").unwrap();
    let spanned = regex::Regex::new(r"Spanned \{ value: ([^{}]*?) \}").unwrap();
    for (line, expected) in lines {
        let assert = one_assert(line);
        seen.insert(assert.query.kind.keyword());
        let text = format!("{:?}", assert.query.kind);
        let text = spans.replace_all(&text, "").into_owned();
        let text = spanned.replace_all(&text, "$1").into_owned();
        assert!(text.contains(expected), "{line}: {text}");
    }
    assert_eq!(seen.len(), QUERY_NAMES.len());
    for name in QUERY_NAMES {
        assert!(seen.contains(name), "{name}");
    }
}

#[test]
fn every_filter_keyword() {
    let line = "jsonpath \"$\" base64Decode base64Encode base64UrlSafeDecode base64UrlSafeEncode charsetDecode \"gb2312\" decode \"utf-8\" count dateFormat \"%Y\" format \"%d\" daysAfterNow daysBeforeNow first htmlEscape htmlUnescape jsonpath \"$.a\" last location nth -1 nth 2 regex /x/ regex \"y\" replace \"a\" \"b\" replaceRegex /\\s+/ \"-\" split \",\" toDate \"%Y-%m-%d\" toFloat toHex toInt toString urlDecode urlEncode urlQueryParam \"q\" utf8Decode utf8Encode xpath \"//a\" exists";
    let assert = one_assert(line);
    let keywords: Vec<_> = assert.filters.iter().map(|f| f.kind.keyword()).collect();
    for name in FILTER_NAMES {
        let current = match name {
            "decode" => "charsetDecode",
            "format" => "dateFormat",
            other => other,
        };
        assert!(keywords.contains(&current), "{name}");
    }
    assert_eq!(assert.filters.len(), 35);
    assert!(assert.filters.iter().any(|f| f.kind == FilterKind::Nth { index: -1 }));
    assert_eq!(assert.predicate.func, PredicateFunc::Exists);
}

#[test]
fn every_predicate_keyword_with_and_without_not() {
    for name in PREDICATE_NAMES {
        let needs_value = !name.starts_with("is") && name != "exists";
        let line = if needs_value { format!("body {name} \"x\"") } else { format!("body {name}") };
        let assert = one_assert(&line);
        assert_eq!(assert.predicate.func.keyword(), name);
        assert!(!assert.predicate.not);
        let negated = one_assert(&format!("body not {}", line.trim_start_matches("body ")));
        assert!(negated.predicate.not, "{name}");
        assert_eq!(negated.predicate.func.keyword(), name);
    }
}

#[test]
fn predicate_values() {
    let value = |v: &str| match one_assert(&format!("body == {v}")).predicate.func {
        PredicateFunc::Equal(value) => value,
        other => panic!("{other:?}"),
    };
    assert!(matches!(value("\"a {{b}}\""), PredicateValue::String(t) if t.elements.len() == 2));
    assert!(matches!(value("42"), PredicateValue::Integer(Spanned { value: 42, .. })));
    assert!(matches!(value("-7"), PredicateValue::Integer(Spanned { value: -7, .. })));
    assert!(
        matches!(value("123456789012345678901234567890"), PredicateValue::BigInteger(s) if s.value == "123456789012345678901234567890")
    );
    assert!(
        matches!(value("1.10"), PredicateValue::Float(s) if s.value.source == "1.10" && s.value.value == 1.1)
    );
    assert!(matches!(value("true"), PredicateValue::Bool(Spanned { value: true, .. })));
    assert!(matches!(value("false"), PredicateValue::Bool(Spanned { value: false, .. })));
    assert!(matches!(value("null"), PredicateValue::Null(_)));
    assert!(
        matches!(value("hex,2a;"), PredicateValue::Bytes(BytesLiteral::Hex(b)) if b.value == [42])
    );
    assert!(
        matches!(value("base64,Kg==;"), PredicateValue::Bytes(BytesLiteral::Base64(b)) if b.value == [42])
    );
    assert!(matches!(value("file,a.bin;"), PredicateValue::Bytes(BytesLiteral::File(_))));
    assert!(matches!(value("{{expected}}"), PredicateValue::Placeholder(_)));
    assert!(matches!(value("`x`"), PredicateValue::String(_)));
    match one_assert("body matches /^a\\/b\\d+$/").predicate.func {
        PredicateFunc::Matches(PredicateValue::Regex(r)) => assert_eq!(r.value, "^a/b\\d+$"),
        other => panic!("{other:?}"),
    }
    let all = asserts("body == ```\nline\n```\nstatus == 200");
    assert_eq!(all.len(), 2);
    assert!(
        matches!(&all[0].predicate.func, PredicateFunc::Equal(PredicateValue::MultilineString(m)) if m.value.as_literal().as_deref() == Some("line\n"))
    );
}

#[test]
fn deprecated_spellings() {
    let assert = one_assert("body includes \"x\"");
    assert!(matches!(assert.predicate.func, PredicateFunc::Includes(_)));
    let assert = one_assert("header \"Date\" toDate \"%a\" format \"%Y\" == \"2024\"");
    assert!(matches!(assert.filters[1].kind, FilterKind::DateFormat { .. }));
    let assert = one_assert("bytes decode \"gb2312\" == \"x\"");
    assert!(matches!(assert.filters[0].kind, FilterKind::CharsetDecode { .. }));
}

// ---------- diagnostics ----------

#[test]
fn misspelled_option() {
    check_error(
        "GET http://a\n[Options]\nretri: 3\n",
        r"
  × invalid option
   ╭─[test.hurl:3:1]
 3 │ retri: 3
   · ──┬──
   ·   ╰── the option name is not valid
   ╰────
  help: did you mean `retry`?",
    );
}

#[test]
fn error_response_section_in_request() {
    check_error(
        "GET http://a\n[Asserts]\nstatus == 200\n",
        r##"
  × response section in a request
   ╭─[test.hurl:2:2]
 2 │ [Asserts]
   ·  ───┬───
   ·     ╰── `[Asserts]` checks a response
   ╰────
  help: write the response line (e.g. `HTTP 200`) before `[Asserts]`
"##,
    );
}

#[test]
fn error_unknown_section() {
    check_error(
        "GET http://a\nHTTP 200\n[Assert]\nstatus == 200\n",
        r##"
  × invalid section
   ╭─[test.hurl:3:2]
 3 │ [Assert]
   ·  ───┬──
   ·     ╰── unknown section `[Assert]`
   ╰────
  help: did you mean `[Asserts]`?
"##,
    );
}

#[test]
fn error_missing_status() {
    check_error(
        "GET http://a\nHTTP\n",
        r##"
  × missing status code
   ╭─[test.hurl:2:1]
 2 │ HTTP
   · ──┬─
   ·   ╰── expected a status code after the version
   ╰────
  help: write a status, e.g. `HTTP 200`, or `HTTP *` for any status
"##,
    );
}

#[test]
fn error_bad_duration_unit() {
    check_error(
        "GET http://a\n[Options]\ndelay: 3sec\n",
        r##"
  × invalid duration unit
   ╭─[test.hurl:3:9]
 3 │ delay: 3sec
   ·         ─┬─
   ·          ╰── unknown unit `sec`
   ╰────
  help: did you mean `s`? valid units are ms, s, m and h
"##,
    );
}

#[test]
fn error_predicate_after_bad_quote() {
    check_error(
        "GET http://a\nHTTP 200\n[Asserts]\nheader \"Location == \"x\"\n",
        r##"
  × missing predicate
   ╭─[test.hurl:4:22]
 4 │ header "Location == "x"
   ·                      ┬
   ·                      ╰── expected a predicate
   ╰────
  help: an assert is `query [filters] [not] predicate [value]`, e.g. `status == 200`
"##,
    );
}

#[test]
fn error_unterminated_multiline() {
    check_error(
        "POST http://a\n```\nnever closed\n",
        r##"
  × unterminated multiline string
   ╭─[test.hurl:2:1]
 2 │ ```
   · ─┬─
   ·  ╰── opened here
   ╰────
  help: close it with ``` on its own line
"##,
    );
}

#[test]
fn error_json_missing_bracket() {
    check_error(
        "POST http://a\n{\n  \"a\": [1, 2\n}\n",
        r##"
  × invalid JSON
   ╭─[test.hurl:4:1]
 4 │ }
   · ┬
   · ╰── expected `,` or `]`
   ╰────
"##,
    );
}

#[test]
fn error_unterminated_json() {
    check_error(
        "POST http://a\n{\"a\": 1\n",
        r##"
  × unterminated JSON
   ╭─[test.hurl:2:1]
 2 │ {"a": 1
   · ┬
   · ╰── this is never closed with `}`
   ╰────
"##,
    );
}

#[test]
fn error_invalid_escape() {
    check_error(
        "GET http://a\nX-Header: a\\qb\n",
        r##"
  × invalid escape sequence
   ╭─[test.hurl:2:12]
 2 │ X-Header: a\qb
   ·            ─┬
   ·             ╰── unknown escape
   ╰────
  help: valid escapes here are \# \\ \b \f \n \r \t \u{…}
"##,
    );
}

#[test]
fn error_invalid_xml() {
    check_error(
        "POST http://a\n<a><b></a>\n",
        r##"
  × invalid XML body
   ╭─[test.hurl:2:7]
 2 │ <a><b></a>
   ·       ┬
   ·       ╰── expected `</b>`, found `</a>`
   ╰────
  help: an XML body is one well-formed element, optionally after a prolog
"##,
    );
}

#[test]
fn error_escape_hint_rejected() {
    check_error(
        "POST http://a\n```escape\nx\n```\n",
        r##"
  × unsupported multiline hint `escape`
   ╭─[test.hurl:2:4]
 2 │ ```escape
   ·    ───┬──
   ·       ╰── removed in Hurl 8
   ╰────
  help: remove `escape`: multiline strings are sent as written
"##,
    );
}

#[test]
fn error_escape_hint_in_list_rejected() {
    check_error(
        "POST http://a\n```json,escape\nx\n```\n",
        r##"
  × unsupported multiline hint `escape`
   ╭─[test.hurl:2:4]
 2 │ ```json,escape
   ·    ─────┬─────
   ·         ╰── removed in Hurl 8
   ╰────
  help: remove `escape`: multiline strings are sent as written
"##,
    );
}

#[test]
fn error_lowercase_method() {
    check_error(
        "get http://a\n",
        r##"
  × invalid method
   ╭─[test.hurl:1:1]
 1 │ get http://a
   · ─┬─
   ·  ╰── methods are uppercase letters
   ╰────
  help: did you mean `GET`?
"##,
    );
}

#[test]
fn error_several_assert_errors() {
    check_error(
        "GET http://a\nHTTP 200\n[Asserts]\njsonpat \"$.a\" == 1\nstatus equal 200\nbody contians \"x\"\nstatus ==\n",
        r##"
  × invalid query
   ╭─[test.hurl:4:1]
 4 │ jsonpat "$.a" == 1
   · ───┬───
   ·    ╰── unknown query `jsonpat`
   ╰────
  help: did you mean `jsonpath`?
  × invalid predicate
   ╭─[test.hurl:5:8]
 5 │ status equal 200
   ·        ──┬──
   ·          ╰── unknown predicate `equal`
   ╰────
  help: valid predicate names are: ==, !=, >, >=, <, <=, startsWith, endsWith, contains, includes,
        matches, exists, isBoolean, isCollection, isDate, isEmpty, isFloat, isInteger, isIpv4,
        isIpv6, isIsoDate, isList, isNumber, isObject, isString, isUuid
  × invalid predicate
   ╭─[test.hurl:6:6]
 6 │ body contians "x"
   ·      ────┬───
   ·          ╰── unknown predicate `contians`
   ╰────
  help: did you mean `contains`?
  × missing predicate value
   ╭─[test.hurl:7:9]
 7 │ status ==
   ·         ┬
   ·         ╰── `==` needs a value
   ╰────
  help: write a space and a value: a string in quotes, a number, true, false, null, ...
"##,
    );
}

#[test]
fn error_unknown_capture_word() {
    check_error(
        "GET http://a\nHTTP 200\n[Captures]\nx: jsonpath \"$.a\" redakt\n",
        r##"
  × invalid filter
   ╭─[test.hurl:4:19]
 4 │ x: jsonpath "$.a" redakt
   ·                   ───┬──
   ·                      ╰── unknown filter `redakt`
   ╰────
  help: did you mean `redact`?
"##,
    );
}

#[test]
fn error_invalid_status() {
    check_error(
        "GET http://a\nHTTP 20x\n",
        r##"
  × invalid status code
   ╭─[test.hurl:2:6]
 2 │ HTTP 20x
   ·      ─┬─
   ·       ╰── expected a number or `*`
   ╰────
  help: write a status, e.g. `HTTP 200`, or `HTTP *` for any status
"##,
    );
}

#[test]
fn error_invalid_version() {
    check_error(
        "GET http://a\nHTTP/1.2 200\n",
        r##"
  × invalid HTTP version
   ╭─[test.hurl:2:1]
 2 │ HTTP/1.2 200
   · ────┬───
   ·     ╰── unknown version
   ╰────
  help: write `HTTP`, `HTTP/1.0`, `HTTP/1.1`, `HTTP/2` or `HTTP/3`
"##,
    );
}

#[test]
fn error_header_without_colon() {
    check_error(
        "GET http://a\nContent-Type application/json\n",
        r##"
  × invalid header
   ╭─[test.hurl:2:1]
 2 │ Content-Type application/json
   · ──────┬─────
   ·       ╰── expected `name: value`
   ╰────
  help: a header is `Name: value`; a body starts with `{`, `[`, `<`, `"`, a backtick, `base64,`,
        `hex,` or `file,`
"##,
    );
}

#[test]
fn error_errors_across_entries() {
    check_error(
        "GET http://a\n[Options]\nretri: 3\nlocation: yes\n\nHTTP 200\n[Asserts]\njsonpath \"$.a\" cont == 2\n\nGET http://b\nHTTP/1.1\n",
        r##"
  × invalid option
   ╭─[test.hurl:3:1]
 3 │ retri: 3
   · ──┬──
   ·   ╰── the option name is not valid
   ╰────
  help: did you mean `retry`?
  × invalid option value
   ╭─[test.hurl:4:11]
 4 │ location: yes
   ·           ─┬─
   ·            ╰── expected `true` or `false`
   ╰────
  help: an option value may also be a placeholder, e.g. `{{name}}`
  × invalid filter
   ╭─[test.hurl:8:16]
 8 │ jsonpath "$.a" cont == 2
   ·                ──┬─
   ·                  ╰── unknown filter `cont`
   ╰────
  help: did you mean `count`?
  × missing status code
    ╭─[test.hurl:11:1]
 11 │ HTTP/1.1
    · ────┬───
    ·     ╰── expected a status code after the version
    ╰────
  help: write a status, e.g. `HTTP 200`, or `HTTP *` for any status
"##,
    );
}

#[test]
fn error_invalid_regex() {
    check_error(
        "GET http://a\nHTTP 200\n[Asserts]\nbody matches /a(/\n",
        r##"
  × invalid regex
   ╭─[test.hurl:4:14]
 4 │ body matches /a(/
   ·              ──┬─
   ·                ╰── error: unclosed group
   ╰────
"##,
    );
}

#[test]
fn error_cookie_and_certificate_attributes() {
    check_error(
        "GET http://a\nHTTP 200\n[Asserts]\ncookie \"a[Max-Ag]\" exists\ncertificate \"Subjekt\" exists\n",
        r##"
  × invalid cookie attribute
   ╭─[test.hurl:4:11]
 4 │ cookie "a[Max-Ag]" exists
   ·           ───┬──
   ·              ╰── unknown cookie attribute `Max-Ag`
   ╰────
  help: did you mean `Max-Age`?
  × invalid certificate attribute
   ╭─[test.hurl:5:13]
 5 │ certificate "Subjekt" exists
   ·             ────┬────
   ·                 ╰── unknown certificate attribute `Subjekt`
   ╰────
  help: did you mean `Subject`?
"##,
    );
}

#[test]
fn error_placeholder_with_space() {
    check_error(
        "GET http://a/{{ na me }}\n",
        r##"
  × unterminated placeholder
   ╭─[test.hurl:1:20]
 1 │ GET http://a/{{ na me }}
   ·                    ┬
   ·                    ╰── expected `}}`
   ╰────
  help: close the placeholder with `}}`
"##,
    );
}

#[test]
fn error_unterminated_placeholder() {
    check_error(
        "GET http://a/{{name\n",
        r##"
  × unterminated placeholder
   ╭─[test.hurl:1:14]
 1 │ GET http://a/{{name
   ·              ───┬──
   ·                 ╰── expected `}}`
   ╰────
  help: close the placeholder with `}}`
"##,
    );
}

#[test]
fn error_section_after_body() {
    check_error(
        "GET http://a\n[Query]\na: 1\n{\"a\": 1}\n[Form]\nb: 2\n",
        r##"
  × section after the body
   ╭─[test.hurl:5:1]
 5 │ [Form]
   · ───┬──
   ·    ╰── sections come before the body
   ╰────
  help: move this section above the body
"##,
    );
}

#[test]
fn error_unterminated_string() {
    check_error(
        "GET http://a\nHTTP 200\n[Asserts]\nheader \"Location == 1\nstatus == 200\n",
        r##"
  × unterminated string
   ╭─[test.hurl:4:8]
 4 │ header "Location == 1
   ·        ───────┬──────
   ·               ╰── missing the closing `"`
   ╰────
  help: close the string with `"` on the same line
"##,
    );
}

#[test]
fn error_assert_outside_section_and_multiline_attribute() {
    check_error(
        "GET http://a\nHTTP 200\nstatus == 200\n\nPOST http://b\n```json,novariable\n{}\n```\n",
        r##"
  × assert outside [Asserts]
   ╭─[test.hurl:3:1]
 3 │ status == 200
   · ──────┬──────
   ·       ╰── this looks like an assert
   ╰────
  help: write `[Asserts]` on the line before the asserts
  × unsupported multiline attribute
   ╭─[test.hurl:6:4]
 6 │ ```json,novariable
   ·    ───────┬───────
   ·           ╰── attributes were removed in Hurl 8
   ╰────
  help: write only the type after ```: json, xml or graphql
"##,
    );
}

#[test]
fn error_lowercase_method_in_second_entry() {
    check_error(
        "GET http://a\nHTTP 200\n[Asserts]\nstatus == 200\n\nget http://b\nHTTP 200\n[Asserts]\nstatus == 200\n\nPOST http://c\nHTTP 2OO\n",
        r##"
  × invalid method
   ╭─[test.hurl:6:1]
 6 │ get http://b
   · ─┬─
   ·  ╰── methods are uppercase letters
   ╰────
  help: did you mean `GET`?
  × invalid status code
    ╭─[test.hurl:12:6]
 12 │ HTTP 2OO
    ·      ─┬─
    ·       ╰── expected a number or `*`
    ╰────
  help: write a status, e.g. `HTTP 200`, or `HTTP *` for any status
"##,
    );
}

#[test]
fn error_unterminated_strings_at_end_of_file() {
    for input in [
        "GET http://a\nHTTP 200\n[Asserts]\nbody == \"abc",
        "POST http://a\n`abc",
        "POST http://a\n{\"a\": \"x",
    ] {
        let (_, diags) = parse(input);
        assert_eq!(diags.len(), 1, "{input:?}: {diags:?}");
        assert!(diags[0].message.starts_with("unterminated"), "{input:?}: {diags:?}");
    }
}

#[test]
fn error_bad_placeholder_in_multiline_is_one_error() {
    let input = "POST http://a\n```\nline {{ bad\n[Asserts]\nnot hurl\n```\nHTTP 200\n";
    let (file, diags) = parse(input);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(file.entries[0].response.is_some());
}

#[test]
fn error_json_trailing_comma_and_garbage_line() {
    check_error(
        "POST http://a\n{\n    \"a\": \"b\",\n    \"c\": \"d\",\n}\n\nPOST http://b\n{}\nxxx\nyyy\n\nget http://c\n",
        r##"
  × invalid JSON
   ╭─[test.hurl:4:13]
 4 │     "c": "d",
   ·             ┬
   ·             ╰── trailing comma is not allowed
   ╰────
  help: remove the comma
  × unexpected content
   ╭─[test.hurl:9:1]
 9 │ xxx
   · ─┬─
   ·  ╰── not part of any section or body
   ╰────
  help: start a new entry with a request line, or a section with `[Name]`
  × invalid method
    ╭─[test.hurl:12:1]
 12 │ get http://c
    · ─┬─
    ·  ╰── methods are uppercase letters
    ╰────
  help: did you mean `GET`?
"##,
    );
}

#[test]
fn error_option_values() {
    check_error(
        "GET http://a\n[Options]\nverbosity: verbos\nretry: -24\ndelay: 10mms\nlimit-rate: -1\n",
        r##"
  × invalid option value
   ╭─[test.hurl:3:12]
 3 │ verbosity: verbos
   ·            ───┬──
   ·               ╰── expected `brief`, `verbose` or `debug`
   ╰────
  help: did you mean `verbose`?
  × invalid option value
   ╭─[test.hurl:4:8]
 4 │ retry: -24
   ·        ─┬─
   ·         ╰── expected an integer >= -1
   ╰────
  help: -1 means infinite
  × invalid duration unit
   ╭─[test.hurl:5:10]
 5 │ delay: 10mms
   ·          ─┬─
   ·           ╰── unknown unit `mms`
   ╰────
  help: did you mean `ms`? valid units are ms, s, m and h
  × invalid option value
   ╭─[test.hurl:6:13]
 6 │ limit-rate: -1
   ·             ─┬
   ·              ╰── expected a non-negative integer
   ╰────
  help: the value cannot be negative
"##,
    );
}

#[test]
fn error_url_scheme_and_unicode_surrogates() {
    check_error(
        "GET localhost:8000\n\nPOST {{host}}/a\n{\n \"foo\": \"\\ud800\\ud800\"\n}\n",
        r##"
  × invalid URL
   ╭─[test.hurl:1:5]
 1 │ GET localhost:8000
   ·     ┬
   ·     ╰── expecting http://, https:// or {{
   ╰────
  help: write an absolute URL, e.g. `https://example.org/path`, or start with a placeholder
  × invalid unicode literal
   ╭─[test.hurl:5:10]
 5 │  "foo": "\ud800\ud800"
   ·          ──────┬─────
   ·                ╰── not a valid code point
   ╰────
  help: a surrogate pair is a high `\uD800`–`\uDBFF` then a low `\uDC00`–`\uDFFF`
"##,
    );
    let request = first_request("POST http://a\n\"\\ud83d\\ude00 \\u00e9\"\n");
    assert!(
        matches!(request.body.unwrap().kind, BodyKind::Json(JsonValue::String(t)) if t.as_literal().as_deref() == Some("😀 é"))
    );
}

#[test]
fn error_predicate_operand_types() {
    check_error(
        "GET http://a\nHTTP 200\n[Asserts]\nheader \"toto\" startsWith 1\nbody matches 12\nduration < true\nbody == /x/\nbody contains null\n",
        r##"
  × invalid predicate value
   ╭─[test.hurl:4:26]
 4 │ header "toto" startsWith 1
   ·                          ┬
   ·                          ╰── `startsWith` expects a string, hex,…; or base64,…;
   ╰────
  × invalid predicate value
   ╭─[test.hurl:5:14]
 5 │ body matches 12
   ·              ─┬
   ·               ╰── `matches` expects a string or a /regex/
   ╰────
  × invalid predicate value
   ╭─[test.hurl:6:12]
 6 │ duration < true
   ·            ──┬─
   ·              ╰── `<` expects a number or a string
   ╰────
  × invalid predicate value
   ╭─[test.hurl:7:9]
 7 │ body == /x/
   ·         ─┬─
   ·          ╰── `==` expects a value that is not a regex (regexes go with `matches`)
   ╰────
"##,
    );
}

#[test]
fn json_nesting_is_limited_to_128() {
    let ok = format!("POST http://a\n{}{}\n", "[".repeat(128), "]".repeat(128));
    parse_ok(&ok);
    let too_deep = format!("POST http://a\n{}{}\n", "[".repeat(129), "]".repeat(129));
    let (_, diags) = parse(&too_deep);
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].label, "maximum nesting depth of 128 exceeded");
    assert_eq!(diags[0].span.start, "POST http://a\n".len() + 128);
}

#[test]
fn error_reserved_names() {
    check_error(
        "GET http://a/{{getEnv}}\n[Options]\nvariable: newUuid=1\n",
        r##"
  × reserved name
   ╭─[test.hurl:1:16]
 1 │ GET http://a/{{getEnv}}
   ·                ───┬──
   ·                   ╰── `getEnv` is reserved
   ╰────
  help: Hurl 8.1 reserves `getEnv` without defining it; use another variable name
  × reserved name
   ╭─[test.hurl:3:11]
 3 │ variable: newUuid=1
   ·           ───┬───
   ·              ╰── conflicts with the newUuid function
   ╰────
  help: `getEnv`, `newDate` and `newUuid` cannot be variable names; use a different name
"##,
    );
}

// ---------- fixtures ----------

const FULL: &str = include_str!("../../../fixtures/scenarios/parse/full.hurl");
const BODIES: &str = include_str!("../../../fixtures/scenarios/parse/bodies.hurl");
const THREE_ERRORS: &str = include_str!("../../../fixtures/scenarios/parse/three_errors.hurl");

/// The compact form of each entry, one per line, as kept in the `.ast` golden files.
fn compact_entries(file: &HurlFile) -> String {
    let mut out = String::new();
    for entry in &file.entries {
        let one = compact(&HurlFile { entries: vec![entry.clone()] });
        let one = one
            .strip_prefix("HurlFile { entries: [")
            .and_then(|s| s.strip_suffix("] }"))
            .unwrap_or(&one);
        out.push_str(one);
        out.push('\n');
    }
    out
}

#[test]
fn fixture_ast_goldens() {
    for (input, expected) in [
        (FULL, include_str!("../../../fixtures/scenarios/parse/full.ast")),
        (BODIES, include_str!("../../../fixtures/scenarios/parse/bodies.ast")),
    ] {
        let actual = compact_entries(&parse_ok(input));
        for (line, (a, e)) in actual.lines().zip(expected.lines()).enumerate() {
            assert_eq!(a, e, "entry {}", line + 1);
        }
        assert_eq!(actual.lines().count(), expected.lines().count());
    }
}

#[test]
fn fixture_full() {
    let file = parse_ok(FULL);
    assert_eq!(file.entries.len(), 4);
    let methods: Vec<_> = file.entries.iter().map(|e| e.request.method.value.as_str()).collect();
    assert_eq!(methods, ["GET", "POST", "PUT", "DELETE"]);
    let response = file.entries[0].response.as_ref().unwrap();
    let counts: Vec<_> = response
        .sections
        .iter()
        .map(|s| match &s.kind {
            ResponseSectionKind::Captures(c) => c.len(),
            ResponseSectionKind::Asserts(a) => a.len(),
        })
        .collect();
    assert_eq!(counts, [2, 7]);
}

#[test]
fn fixture_bodies() {
    let file = parse_ok(BODIES);
    let kinds: Vec<_> = file
        .entries
        .iter()
        .map(|e| match e.request.body.as_ref().map(|b| &b.kind) {
            Some(BodyKind::Json(_)) => "json",
            Some(BodyKind::Xml(_)) => "xml",
            Some(BodyKind::Multiline(_)) => "multiline",
            Some(BodyKind::Oneline(_)) => "oneline",
            Some(BodyKind::Bytes(_)) => "bytes",
            None => "none",
        })
        .collect();
    assert_eq!(kinds, ["xml", "multiline", "multiline", "bytes", "bytes", "bytes", "oneline"]);
    let last = file.entries.last().unwrap().response.as_ref().unwrap();
    assert!(
        matches!(&last.body.as_ref().unwrap().kind, BodyKind::Multiline(m) if m.kind == MultilineKind::Json)
    );
}

#[test]
fn fixture_with_three_errors_reports_all_three() {
    let (file, diags) = parse(THREE_ERRORS);
    assert_eq!(diags.len(), 3, "{diags:#?}");
    // The entries around the errors are still parsed.
    assert_eq!(file.entries.len(), 3);
    check_error(
        THREE_ERRORS,
        r##"
  × invalid option
   ╭─[test.hurl:3:1]
 3 │ retri: 3
   · ──┬──
   ·   ╰── the option name is not valid
   ╰────
  help: did you mean `retry`?
  × invalid filter
   ╭─[test.hurl:8:20]
 8 │ jsonpath "$.users" cont == 2
   ·                    ──┬─
   ·                      ╰── unknown filter `cont`
   ╰────
  help: did you mean `count`?
  × missing status code
    ╭─[test.hurl:12:1]
 12 │ HTTP/1.1
    · ────┬───
    ·     ╰── expected a status code after the version
    ╰────
  help: write a status, e.g. `HTTP 200`, or `HTTP *` for any status
"##,
    );
}

// ---------- properties ----------

mod properties {
    use proptest::prelude::*;

    use super::{BODIES, FULL, THREE_ERRORS};
    use crate::scenario::diagnostic::render_plain;
    use crate::scenario::parse::parse;

    const SAMPLES: [&str; 4] = [
        FULL,
        BODIES,
        THREE_ERRORS,
        "GET http://a\r\nHTTP 200\r\n[Asserts]\r\nbody == ```\r\nx\r\n```\r\n",
    ];

    /// Characters that matter to the grammar, plus multi-byte ones.
    const INTERESTING: [char; 24] = [
        '{', '}', '[', ']', '"', '`', '\\', '#', ':', '\n', '\r', '/', '<', '>', ';', ',', ' ',
        '\t', 'é', '🙂', '\u{feff}', '=', '*', '-',
    ];

    static SPAN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"Span \{ start: (\d+), end: (\d+) \}").unwrap()
    });

    fn assert_spans_valid(input: &str) {
        let (file, diags) = parse(input);
        // Every span in the tree too, read back from its debug form.
        let tree = format!("{file:?}");
        for caps in SPAN.captures_iter(&tree) {
            let start: usize = caps[1].parse().unwrap();
            let end: usize = caps[2].parse().unwrap();
            assert!(start <= end && end <= input.len(), "node span {start}..{end} in {input:?}");
            assert!(
                input.is_char_boundary(start) && input.is_char_boundary(end),
                "node span {start}..{end} in {input:?}"
            );
        }
        for diag in &diags {
            let span = diag.span;
            assert!(span.start <= span.end && span.end <= input.len(), "{diag:?} in {input:?}");
            assert!(
                input.is_char_boundary(span.start) && input.is_char_boundary(span.end),
                "{diag:?} in {input:?}"
            );
        }
        let _ = render_plain(&diags, "p.hurl", input);
    }

    /// Applies `(position, operation, char)` edits to `sample`, on char boundaries.
    fn mutate(sample: &str, edits: &[(usize, u8, usize)]) -> String {
        let mut chars: Vec<char> = sample.chars().collect();
        for &(at, op, which) in edits {
            let c = INTERESTING[which % INTERESTING.len()];
            if chars.is_empty() {
                chars.push(c);
                continue;
            }
            let at = at % chars.len();
            match op % 4 {
                0 => {
                    chars.remove(at);
                }
                1 => chars.insert(at, c),
                2 => chars[at] = c,
                _ => {
                    let end = (at + 1 + which % 40).min(chars.len());
                    chars.drain(at..end);
                }
            }
        }
        chars.into_iter().collect()
    }

    /// Fragments of the grammar, glued together in any order.
    const TOKENS: [&str; 40] = [
        "GET http://a",
        "POST {{u}}",
        "\n",
        "\r\n",
        "HTTP 200",
        "HTTP/1.1 *",
        "[Asserts]",
        "[Captures]",
        "[Options]",
        "[Query]",
        "[Multipart]",
        "[BasicAuth]",
        "x: ",
        "jsonpath \"$.a\" ",
        "count ",
        "nth -1 ",
        "== ",
        "not ",
        "matches /a\\/b/",
        "```",
        "```graphql\n",
        "variables {",
        "{",
        "}",
        "[",
        "]",
        "\"",
        "<a>",
        "</a>",
        "<![CDATA[",
        "base64,QQ==;",
        "hex,4",
        "file,a;",
        "retry: ",
        "delay: 3",
        "ms",
        "# c",
        "{{",
        "}}",
        "\\u{",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn token_soup_never_panics(tokens in proptest::collection::vec(0..TOKENS.len(), 0..40)) {
            let input: String = tokens.iter().map(|&i| TOKENS[i]).collect();
            assert_spans_valid(&input);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let input = String::from_utf8_lossy(&bytes);
            assert_spans_valid(&input);
        }

        #[test]
        fn mutated_samples_never_panic(
            sample in 0..SAMPLES.len(),
            edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<usize>()), 1..8),
        ) {
            let input = mutate(SAMPLES[sample], &edits);
            assert_spans_valid(&input);
        }
    }
}

#[test]
fn large_files_parse_in_linear_time() {
    let entry = "GET http://a/{{x}}\nAccept: */*\n[Options]\nretry: 3\nHTTP 200\n[Asserts]\njsonpath \"$.a\" count == 2\n\n";
    let input = entry.repeat(5000);
    let started = std::time::Instant::now();
    let file = parse_ok(&input);
    assert_eq!(file.entries.len(), 5000);
    let broken =
        "GET http://a\n{\"a\": [1,\n".repeat(2000) + &"x\n".repeat(5000) + &"<a>".repeat(2000);
    let (_, diags) = parse(&broken);
    assert!(!diags.is_empty());
    for unclosed in [
        "POST http://a\n<a>\n",
        "POST http://a\n```\n",
        "POST http://a\n[\"a\",\n",
        "GET http://a/{{\n",
    ] {
        let (_, diags) = parse(&unclosed.repeat(3001));
        assert!(!diags.is_empty(), "{unclosed:?}");
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
}

#[test]
fn entry_estimate_counts_method_lines_at_column_one() {
    use super::estimated_entries;
    assert_eq!(estimated_entries(""), 0);
    let file = "GET http://a/\nHTTP 200\n[Asserts]\njsonpath \"$.ok\" == true\n\nPOST http://a/\nContent-Type: x\n{\"a\":1}\nHTTP/1.1 201\n";
    assert_eq!(estimated_entries(file), 2);
    assert_eq!(parse_ok(file).entries.len(), 2);
    // Lines that are no request lines are not counted: headers, sections, bodies, `HTTP`.
    assert_eq!(estimated_entries("HTTP 200\nX-A: b\n[Query]\nGET\nget http://a/\n"), 0);
    // The estimate only sizes the list: an entry it misses (indented) is still parsed.
    let indented = "  GET http://a/\nDELETE\thttp://b/\r\n";
    assert_eq!(estimated_entries(indented), 1);
    assert_eq!(parse_ok(indented).entries.len(), 2);
}

//! The two wire formats of GeoReport v2. Handlers build one `serde_json::Value`; it is
//! written as JSON as it is, or as XML with the spec's element names (a list's items are
//! named by the singular of the list's name), so the formats cannot drift apart.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// Splits `requests.json` into `requests` and its format.
    pub fn split(resource: &str) -> Option<(&str, Format)> {
        let (stem, ext) = resource.rsplit_once('.')?;
        let format = match ext {
            "json" => Format::Json,
            "xml" => Format::Xml,
            _ => return None,
        };
        (!stem.is_empty()).then_some((stem, format))
    }
}

/// The element name of one item of a list.
fn singular(list: &str) -> &str {
    match list {
        "services" => "service",
        "service_requests" => "request",
        "service_request_updates" => "request_update",
        "attributes" => "attribute",
        "values" => "value",
        "endpoints" => "endpoint",
        "formats" => "format",
        "errors" => "error",
        other => other.strip_suffix('s').unwrap_or(other),
    }
}

/// A response in `format`: `root` names the XML document element.
pub fn respond(format: Format, status: StatusCode, root: &str, body: &Value) -> Response {
    let (bytes, content_type) = match format {
        Format::Json => (serde_json::to_vec(body).unwrap_or_default(), "application/json; charset=utf-8"),
        Format::Xml => (xml(root, body), "text/xml; charset=utf-8"),
    };
    let mut response = (status, bytes).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// An error in the spec's shape: `[{"code", "description"}]`, or `<errors><error>…`.
pub fn error(format: Format, status: StatusCode, description: &str) -> Response {
    let body = json!([{ "code": status.as_u16(), "description": description }]);
    respond(format, status, "errors", &body)
}

fn xml(root: &str, body: &Value) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)));
    element(&mut w, root, body);
    w.into_inner()
}

fn element(w: &mut Writer<Vec<u8>>, name: &str, value: &Value) {
    let _ = w.write_event(Event::Start(BytesStart::new(name)));
    match value {
        Value::Null => {}
        Value::Bool(b) => {
            let _ = w.write_event(Event::Text(BytesText::new(if *b { "true" } else { "false" })));
        }
        Value::Number(n) => {
            let _ = w.write_event(Event::Text(BytesText::new(&n.to_string())));
        }
        Value::String(s) => {
            // XML 1.0 cannot carry most control characters; intake drops them, and this
            // keeps an older row from breaking the whole feed.
            let _ = w.write_event(Event::Text(BytesText::new(&linli_domain::clean_text(s))));
        }
        Value::Array(items) => {
            let item_name = singular(name);
            for item in items {
                element(w, item_name, item);
            }
        }
        Value::Object(fields) => {
            for (k, v) in fields {
                element(w, k, v);
            }
        }
    }
    let _ = w.write_event(Event::End(BytesEnd::new(name)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_reach_the_xml() {
        let body = serde_json::json!([{"description": "路灯\u{0}不亮\u{b}了"}]);
        let out = String::from_utf8(xml("service_requests", &body)).unwrap_or_default();
        assert!(out.contains("<description>路灯不亮了</description>"), "{out}");
    }

    #[test]
    fn lists_become_repeated_singular_elements_and_text_is_escaped() {
        let body = json!([{ "service_code": "0101", "attributes": [{ "values": [{ "key": "a<b" }] }], "x": null }]);
        let out = String::from_utf8(xml("services", &body)).unwrap_or_default();
        assert_eq!(
            out,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><services><service><service_code>0101</service_code>\
             <attributes><attribute><values><value><key>a&lt;b</key></value></values></attribute></attributes>\
             <x></x></service></services>"
        );
    }

    #[test]
    fn only_json_and_xml_are_formats() {
        assert_eq!(Format::split("requests.json"), Some(("requests", Format::Json)));
        assert_eq!(Format::split("123.xml"), Some(("123", Format::Xml)));
        assert_eq!(Format::split("requests.csv"), None);
        assert_eq!(Format::split("requests"), None);
        assert_eq!(Format::split(".json"), None);
    }
}

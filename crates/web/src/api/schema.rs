//! Request schemas built from the domain's own rules (text lengths, code lists, ranges),
//! so that the OpenAPI document accepts exactly what the server does: an outside fuzzer
//! (schemathesis, in CI) holds the two to each other.

use linli_domain::TextRule;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

/// What Rust's `trim` drops (Unicode `White_Space`), as a regular-expression class body.
const SPACE: &str = r"\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Control characters (Unicode `Cc`), as a class body.
const CONTROL: &str = r"\u0000-\u001f\u007f-\u009f";

/// A string under `rule`: `maxLength` as sent, and a pattern that asks for `min`
/// characters once trimmed (and, for a single line, no control character).
pub fn text(rule: TextRule) -> ObjectBuilder {
    let (any, solid) = if rule.multiline {
        (r"[\s\S]".to_owned(), format!("[^{SPACE}]"))
    } else {
        (format!("[^{CONTROL}]"), format!("[^{CONTROL}{SPACE}]"))
    };
    // At least `min` characters once trimmed: a first and a last character that are not
    // spaces, `min - 2` or more apart.
    let pattern = match rule.min {
        0 if rule.multiline => None,
        0 => Some(format!("^{any}*$")),
        1 => Some(format!("^{any}*{solid}{any}*$")),
        n => Some(format!("^{any}*{solid}{any}{{{},}}{solid}{any}*$", n - 2)),
    };
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(rule.min))
        .max_length(Some(rule.max))
        .pattern(pattern)
}

/// One of `codes`.
pub fn choice<'a>(codes: impl IntoIterator<Item = &'a str>) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(codes.into_iter().map(str::to_owned)))
}

/// One of `codes`, or the empty string for the default.
pub fn choice_or_default<'a>(codes: impl IntoIterator<Item = &'a str>) -> ObjectBuilder {
    choice(std::iter::once("").chain(codes))
}

pub fn display_name() -> Object {
    text(linli_domain::identity::DisplayName::RULE).build()
}

pub fn reveal_reason() -> Object {
    text(linli_domain::privacy::REVEAL_REASON).build()
}

pub fn contact() -> Object {
    text(linli_domain::admin::CONTACT).build()
}

pub fn channel() -> Object {
    choice(linli_domain::monitoring::Channel::ALL.iter().map(|c| c.as_str())).build()
}

pub fn organisation_kind() -> Object {
    choice(linli_domain::admin::OrganisationKind::ALL.iter().map(|k| k.as_str())).build()
}

pub fn role() -> Object {
    choice(linli_domain::Role::ALL.iter().map(|r| r.as_str())).build()
}

pub fn personal_field() -> Object {
    choice(linli_store::residents::PersonalField::ALL.iter().map(|f| f.as_str())).build()
}

pub fn description() -> Object {
    text(linli_domain::case::DESCRIPTION).build()
}

pub fn room() -> Object {
    text(linli_domain::case::ROOM).build()
}

pub fn reporter_name() -> Object {
    text(linli_domain::case::REPORTER_NAME).build()
}

pub fn other_party() -> Object {
    text(linli_domain::dispute::OTHER_PARTY).build()
}

pub fn step_note() -> Object {
    text(linli_domain::case::STEP_NOTE).build()
}

pub fn intake_source() -> Object {
    choice_or_default(linli_domain::case::Source::STAFF_INTAKE.iter().map(|s| s.as_str())).build()
}

pub fn risk() -> Object {
    choice_or_default(linli_domain::dispute::Risk::ALL.iter().map(|r| r.as_str())).build()
}

pub fn step() -> Object {
    choice(linli_domain::case::Step::ALL.iter().map(|s| s.as_str())).build()
}

pub fn case_source() -> Object {
    choice(linli_domain::case::Source::ALL.iter().map(|s| s.as_str())).build()
}

pub fn case_state() -> Object {
    choice(linli_domain::case::State::ALL.iter().map(|s| s.as_str())).build()
}

pub fn case_level() -> Object {
    choice(linli_domain::case::Level::ALL.iter().map(|l| l.as_str())).build()
}

pub fn case_state_filter() -> Object {
    choice(crate::cases::state_filters()).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pattern, checked here with the `regex` crate (the fuzzer reads it as ECMA
    /// and Python do), accepts what the rule accepts on the strings that matter.
    #[test]
    fn a_text_schema_accepts_what_its_rule_accepts() {
        let rules = [
            linli_domain::identity::DisplayName::RULE,
            linli_domain::privacy::REVEAL_REASON,
            linli_domain::admin::CONTACT,
            linli_domain::case::DESCRIPTION,
        ];
        let samples = [
            "",
            " ",
            "张",
            " 张 ",
            "张三",
            "a\tb",
            "\u{3000}李四\u{3000}",
            "a\u{0}b",
            "路灯不亮",
            "x\ny\nz",
            "x y",
            "  ab  ",
            "a   ",
            "\u{85}",
            "\u{feff}ab",
        ];
        for rule in rules {
            let object = text(rule).build();
            let json = serde_json::to_value(&object).unwrap();
            let pattern = json["pattern"].as_str().map(|p| regex::Regex::new(p).unwrap());
            for sample in samples {
                let n = sample.chars().count();
                let schema_ok = n >= rule.min && n <= rule.max && pattern.as_ref().is_none_or(|p| p.is_match(sample));
                assert_eq!(schema_ok, rule.parse("f", sample).is_ok(), "{rule:?} on {sample:?}");
            }
        }
    }
}

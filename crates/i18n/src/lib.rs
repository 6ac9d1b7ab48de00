//! The message catalogs, shared by the pages and the words the system itself writes (an
//! alarm's case). Chinese is the default; English on request. Messages live in
//! `locales/{zh,en}.toml` (flat `key = "text"` tables, embedded in the binary); a test
//! checks that both files have the same keys. `{name}` placeholders are filled by
//! [`Tr::fill`].

use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "zh-hans" => Some(Lang::Zh),
            "en" | "en-us" | "en-gb" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The value of the `lang` attribute of `<html>`.
    pub fn html_tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
}

type Catalog = HashMap<String, String>;

fn parse_catalog(src: &str) -> Catalog {
    // The catalogs are part of the binary and checked by tests; a broken one is a
    // build mistake, and an empty catalog shows keys rather than crashing the server.
    toml::from_str::<Catalog>(src).unwrap_or_else(|e| {
        tracing::error!(error = %e, "message catalog does not parse");
        Catalog::new()
    })
}

static ZH: LazyLock<Catalog> = LazyLock::new(|| parse_catalog(include_str!("../locales/zh.toml")));
static EN: LazyLock<Catalog> = LazyLock::new(|| parse_catalog(include_str!("../locales/en.toml")));

/// A translator for one language, cheap to copy into every template.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    fn catalog(&self) -> &'static Catalog {
        match self.lang {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// Whether the catalog has `key`.
    pub fn has(&self, key: &str) -> bool {
        self.catalog().contains_key(key)
    }

    /// The message for `key`, or the key itself if it is missing.
    pub fn get<'a>(&self, key: &'a str) -> &'a str {
        self.catalog().get(key).map(String::as_str).unwrap_or(key)
    }

    /// A device reading's name with its unit (`reading.battery`), or the device's own key
    /// when the catalog does not know it.
    pub fn reading(&self, key: &str) -> String {
        self.label_or_code("reading", key)
    }

    /// A code's label (`{prefix}.{code}`), or the code itself when the catalog does not
    /// know it (a code from a later version, a device's own key).
    pub fn label_or_code(&self, prefix: &str, code: &str) -> String {
        let key = format!("{prefix}.{code}");
        if self.has(&key) { self.get(&key).to_owned() } else { code.to_owned() }
    }

    /// The message with its `{name}`s filled in. English counts agree with `{n}`: a `{s}`
    /// is "s" unless `n` is 1 ("1 case", "2 cases").
    pub fn fill(&self, key: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
        let mut out = self.get(key).to_owned();
        for (name, value) in args {
            let value = value.to_string();
            if *name == "n" {
                out = out.replace("{s}", if value == "1" { "" } else { "s" });
            }
            out = out.replace(&format!("{{{name}}}"), &value);
        }
        out
    }

    /// The localized sentence for a validation failure, naming the field.
    pub fn field_error(&self, field: &str, key: &str) -> String {
        let field_key = format!("field.{field}");
        let label = self.get(&field_key);
        self.fill(key, &[("field", &label)])
    }

    /// The name of an organisation kind (`party_branch`, …).
    pub fn org_kind(&self, kind: &str) -> String {
        self.label("org", kind)
    }

    /// The message `{prefix}.{key}`, for stored codes such as `gender.M`.
    pub fn label(&self, prefix: &str, key: &str) -> String {
        self.get(&format!("{prefix}.{key}")).to_owned()
    }

    /// Of a name stored in both languages (a category, a device profile), the one in the
    /// reader's language.
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.lang == Lang::En { en } else { zh }
    }

    pub fn role(&self, role: linli_domain::Role) -> &'static str {
        let key: &'static str = match role {
            linli_domain::Role::Resident => "role.resident",
            linli_domain::Role::GridWorker => "role.grid_worker",
            linli_domain::Role::CommunityStaff => "role.community_staff",
            linli_domain::Role::CommunityDirector => "role.community_director",
            linli_domain::Role::OwnersCommitteeMember => "role.owners_committee_member",
            linli_domain::Role::PropertyStaff => "role.property_staff",
            linli_domain::Role::SocialOrgStaff => "role.social_org_staff",
            linli_domain::Role::StreetSupervisor => "role.street_supervisor",
            linli_domain::Role::SystemAdmin => "role.system_admin",
        };
        self.get(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogs_have_the_same_keys_and_no_empty_text() {
        assert!(ZH.len() > 50, "zh catalog parsed: {}", ZH.len());
        let mut missing: Vec<_> = ZH.keys().filter(|k| !EN.contains_key(*k)).collect();
        missing.extend(EN.keys().filter(|k| !ZH.contains_key(*k)));
        assert!(missing.is_empty(), "keys in one catalog only: {missing:?}");
        assert!(ZH.values().chain(EN.values()).all(|v| !v.trim().is_empty()));
    }

    #[test]
    fn field_errors_name_the_field_in_the_language() {
        assert_eq!(
            Tr::new(Lang::Zh).field_error("phone", "error.phone.invalid"),
            "手机号码格式不正确，请输入 11 位手机号"
        );
        assert_eq!(
            Tr::new(Lang::En).field_error("phone", "error.phone.invalid"),
            "Phone number is not a valid 11-digit mobile number"
        );
        assert_eq!(Tr::new(Lang::En).field_error("login", "error.required"), "Phone or username is required");
    }

    #[test]
    fn english_counts_agree_with_their_number() {
        let en = Tr::new(Lang::En);
        assert_eq!(en.fill("todo.cases_overdue", &[("n", &1)]), "1 case overdue");
        assert_eq!(en.fill("todo.cases_overdue", &[("n", &3)]), "3 cases overdue");
        assert_eq!(Tr::new(Lang::Zh).fill("todo.cases_overdue", &[("n", &1)]), "1 件事件已超期");
    }
}

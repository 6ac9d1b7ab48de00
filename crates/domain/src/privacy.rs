//! Free text that becomes public (a report's description and the public notes of its
//! steps, in the Open311 feed): phone numbers, ID numbers and the names of people in the
//! registry are masked automatically, whatever the writer typed.
//!
//! - A mobile number (11 digits from 1) keeps its first three and last four digits, as
//!   everywhere in Linli: `138****5678`.
//! - An ID number (18 characters, or the old 15 digits) keeps what its masked form keeps:
//!   `3101************51`.
//! - Any other run of seven or more digits (a landline, a bank card) keeps its first two
//!   and last two.
//! - Digits however typed count as one run: full-width (`１３８`), or with up to three
//!   spaces, hyphens, dots, slashes or brackets between groups (`138 - 0013 - 8000`), but
//!   for a date (`2026-12-03`).
//! - A registry name keeps its first character: `张*`, `欧***`.

use aho_corasick::{AhoCorasick, MatchKind};

/// Why someone needs a full ID number or phone: recorded with the access.
pub const REVEAL_REASON: crate::TextRule = crate::TextRule::line(2, 200, "error.reason.required", "error.name.invalid");

/// The names to mask in one community's public text.
#[derive(Debug, Clone)]
pub struct Names(Option<AhoCorasick>);

impl Names {
    /// Names of two or more characters (a single character would mask ordinary words).
    pub fn new<I, S>(names: I) -> Names
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut list: Vec<String> =
            names.into_iter().map(|n| n.as_ref().trim().to_owned()).filter(|n| n.chars().count() >= 2).collect();
        list.sort_unstable();
        list.dedup();
        if list.is_empty() {
            return Names(None);
        }
        Names(AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(&list).ok())
    }

    pub fn none() -> Names {
        Names(None)
    }
}

/// The text with phone numbers, ID numbers and registry names masked.
pub fn mask_public_text(text: &str, names: &Names) -> String {
    let masked = mask_numbers(text);
    let Some(ac) = &names.0 else { return masked };
    let mut out = String::with_capacity(masked.len());
    let mut last = 0;
    for m in ac.find_iter(&masked) {
        out.push_str(&masked[last..m.start()]);
        let mut chars = masked[m.start()..m.end()].chars();
        if let Some(first) = chars.next() {
            out.push(first);
        }
        out.extend(chars.map(|_| '*'));
        last = m.end();
    }
    out.push_str(&masked[last..]);
    out
}

/// A digit as typed: ASCII or full-width (`１３８`), as its ASCII form.
fn digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
        _ => None,
    }
}

/// What people type between groups of a number: spaces, hyphens, dots, slashes, brackets.
fn separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{a0}' | '\u{3000}' | '-' | '－' | '—' | '–' | '.' | '．' | '·' | '/' | '(' | ')' | '（' | '）' | '_'
    )
}

fn mask_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if digit(chars[i]).is_none() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // A run: digits, with up to three separators between groups, and an ID number's
        // closing X.
        let start = i;
        let mut digits = String::new();
        let mut end = i;
        while end < chars.len() {
            if let Some(d) = digit(chars[end]) {
                digits.push(d);
                end += 1;
                continue;
            }
            let gap = chars[end..].iter().take(4).take_while(|c| separator(**c)).count();
            if (1..=3).contains(&gap) && chars.get(end + gap).and_then(|c| digit(*c)).is_some() {
                end += gap;
            } else if matches!(chars[end], 'X' | 'x' | 'Ｘ' | 'ｘ') && digits.len() == 17 {
                digits.push('X');
                end += 1;
                break;
            } else {
                break;
            }
        }
        let raw: String = chars[start..end].iter().collect();
        if digits.len() >= 7 && !is_date(&raw) {
            out.push_str(&mask_digits(&digits));
        } else {
            out.push_str(&raw);
        }
        i = end;
    }
    out
}

/// `2026-12-03`, `2026.1.3` or `2026/12/03`: a date, not a number to hide.
fn is_date(raw: &str) -> bool {
    let groups: Vec<usize> = raw.split(['-', '.', '/']).map(|g| g.chars().count()).collect();
    matches!(groups.as_slice(), [4, 1..=2, 1..=2])
}

fn mask_digits(d: &str) -> String {
    let n = d.len();
    let keep = |head: usize, tail: usize| format!("{}{}{}", &d[..head], "*".repeat(n - head - tail), &d[n - tail..]);
    match n {
        11 if d.starts_with('1') => keep(3, 4),
        15 | 18 => keep(4, 2),
        _ => keep(2, 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_and_id_numbers_typed_into_text_are_masked() {
        let none = Names::none();
        assert_eq!(mask_public_text("请联系13800138000，谢谢", &none), "请联系138****8000，谢谢");
        assert_eq!(mask_public_text("电话 138 0013 8000", &none), "电话 138****8000");
        assert_eq!(mask_public_text("电话138-0013-8000。", &none), "电话138****8000。");
        assert_eq!(mask_public_text("身份证11010519491231002X", &none), "身份证1101************2X");
        assert_eq!(mask_public_text("身份证 11010519491231002x 号", &none), "身份证 1101************2X 号");
        assert_eq!(mask_public_text("座机 021-64871234", &none), "座机 02*******34");
        // However it is typed: full-width digits, spaced hyphens, dots, brackets.
        assert_eq!(mask_public_text("电话１３９６０９４３５１７", &none), "电话139****3517");
        assert_eq!(mask_public_text("139 - 6094 - 3517", &none), "139****3517");
        assert_eq!(mask_public_text("139.6094.3517", &none), "139****3517");
        assert_eq!(mask_public_text("(021) 6487-1234", &none), "(02*******34");
        assert_eq!(mask_public_text("2026.12.03 和 2026/1/5", &none), "2026.12.03 和 2026/1/5");
        // Ordinary numbers stay.
        assert_eq!(mask_public_text("3号楼1202室，2026年12月2日，共5户", &none), "3号楼1202室，2026年12月2日，共5户");
        assert_eq!(mask_public_text("2026-12-03 继续调解，2026-1-5 回访", &none), "2026-12-03 继续调解，2026-1-5 回访");
    }

    #[test]
    fn registry_names_keep_their_first_character() {
        let names = Names::new(["张伟", "欧阳明月", "李", " "]);
        assert_eq!(mask_public_text("张伟家楼上欧阳明月说李老师在", &names), "张*家楼上欧***说李老师在");
        assert_eq!(mask_public_text("没有人名", &names), "没有人名");
    }

    #[test]
    fn nothing_of_a_number_survives_that_the_mask_hides() {
        let id = "31011719800101651X";
        let out = mask_public_text(&format!("身份证{id}"), &Names::none());
        assert!(!out.contains("19800101") && !out.contains("0101"), "{out}");
    }
}

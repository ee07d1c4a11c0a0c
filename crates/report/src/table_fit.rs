//! Tables and header lines that fit the terminal.
//!
//! A column *fits* when it gets its comfortable width: its content, up to [`WRAP_AT`]
//! characters (longer cells wrap between words), and never less than its longest word. A
//! table whose columns do not all fit first loses the droppable columns that say nothing
//! (every cell empty, `-` or `0`), then droppable columns in the caller's order, until it fits
//! or only the kept columns remain. Words are not cut while the kept columns' longest words
//! fit the width. The hidden columns are named under the table, so nothing disappears
//! silently. Header lines wrap between their parts, not inside them.

use comfy_table::{ColumnConstraint, ContentArrangement, Table, Width, presets};

/// Cells longer than this may wrap (between words) rather than push other columns out.
pub const WRAP_AT: usize = 12;

/// One column: its header and when it may be hidden (`None`: never; `Some(1)` goes first).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub head: &'static str,
    pub drop_rank: Option<u8>,
}

/// A column that is never hidden.
pub const fn keep(head: &'static str) -> Column {
    Column {
        head,
        drop_rank: None,
    }
}

/// A column hidden, in `rank` order (1 first), when the table does not fit.
pub const fn droppable(head: &'static str, rank: u8) -> Column {
    Column {
        head,
        drop_rank: Some(rank),
    }
}

/// A table fitted to a width, and the columns it hides.
#[derive(Debug)]
pub struct Fitted {
    pub table: Table,
    pub hidden: Vec<&'static str>,
}

impl Fitted {
    /// The line(s) that name the hidden columns, if any, wrapped to `width`.
    pub fn hidden_note(&self, width: u16) -> Option<String> {
        (!self.hidden.is_empty()).then(|| {
            let text = format!(
                "(hidden to fit {width} columns: {}; a wider terminal or --format json shows them)",
                self.hidden.join(", ")
            );
            let words: Vec<String> = text.split(' ').map(str::to_string).collect();
            wrap_parts(&words, " ", width)
        })
    }
}

/// Display width of a cell: its longest line, in characters (our cells hold no wide
/// characters; box drawing and arrows are one column).
fn cell_width(s: &str) -> usize {
    s.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

/// The longest word of a cell: what cannot wrap.
fn word_width(s: &str) -> usize {
    s.split_whitespace()
        .map(|w| w.chars().count())
        .max()
        .unwrap_or(0)
}

/// Width of a `UTF8_FULL_CONDENSED` table with these column widths: one space of padding on
/// each side of every cell, one border between and around the columns.
fn table_width(widths: &[usize]) -> usize {
    widths.iter().sum::<usize>() + 3 * widths.len() + 1
}

fn says_nothing<'a>(mut cells: impl Iterator<Item = &'a str>) -> bool {
    cells.all(|c| matches!(c.trim(), "" | "-" | "0"))
}

/// Lay out `rows` (one cell per column of `cols`) in at most `width` columns.
pub fn fit(cols: &[Column], rows: Vec<Vec<String>>, width: u16) -> Fitted {
    let widest = |i: usize, c: &Column, f: fn(&str) -> usize| {
        rows.iter()
            .filter_map(|r| r.get(i))
            .map(|s| f(s))
            .chain([f(c.head)])
            .max()
            .unwrap_or(0)
    };
    let words: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| widest(i, c, word_width))
        .collect();
    let natural: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| widest(i, c, cell_width))
        .collect();
    let comfortable: Vec<usize> = natural
        .iter()
        .zip(&words)
        .map(|(n, w)| (*n).min(WRAP_AT).max(*w))
        .collect();
    let mut shown: Vec<bool> = vec![true; cols.len()];
    let width_of = |per: &[usize], shown: &[bool]| {
        let w: Vec<usize> = per
            .iter()
            .zip(shown)
            .filter(|(_, s)| **s)
            .map(|(w, _)| *w)
            .collect();
        table_width(&w)
    };
    let too_wide = |shown: &[bool]| width_of(&comfortable, shown) > usize::from(width);
    let mut hidden = Vec::new();
    // With no rows there is nothing to judge a column by: nothing is hidden.
    if !rows.is_empty() && too_wide(&shown) {
        // The droppable columns, those that say nothing first, each group in rank order.
        let mut order: Vec<(bool, u8, usize)> = (0..cols.len())
            .filter_map(|i| {
                let rank = cols[i].drop_rank?;
                let silent = says_nothing(rows.iter().filter_map(|r| r.get(i).map(String::as_str)));
                Some((!silent, rank, i))
            })
            .collect();
        order.sort_unstable();
        for (_, _, i) in order {
            if !too_wide(&shown) || shown.iter().filter(|s| **s).count() == 1 {
                break;
            }
            shown[i] = false;
            hidden.push(cols[i].head);
        }
    }
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width)
        .set_header(
            cols.iter()
                .zip(&shown)
                .filter(|(_, s)| **s)
                .map(|(c, _)| c.head),
        );
    for row in rows {
        table.add_row(
            row.into_iter()
                .zip(&shown)
                .filter(|(_, s)| **s)
                .map(|(c, _)| c),
        );
    }
    // When the shown columns do not fit whole, give each its longest word; then, from the
    // column that needs least, give whole widths while the room lasts, and share the rest one
    // character at a time among the columns that still wrap. No word is cut while the
    // longest words fit. (Otherwise the table's own layout cuts where it must.)
    let pick = |per: &[usize]| -> Vec<usize> {
        per.iter()
            .zip(&shown)
            .filter(|(_, s)| **s)
            .map(|(w, _)| *w)
            .collect()
    };
    let (nat, mut alloc) = (pick(&natural), pick(&words));
    let room = usize::from(width);
    if table_width(&nat) > room && table_width(&alloc) <= room {
        let mut spare = room - table_width(&alloc);
        let mut by_need: Vec<usize> = (0..alloc.len()).filter(|&i| alloc[i] < nat[i]).collect();
        by_need.sort_by_key(|&i| nat[i] - alloc[i]);
        for i in by_need {
            let need = nat[i] - alloc[i];
            if need > spare {
                break;
            }
            alloc[i] = nat[i];
            spare -= need;
        }
        while spare > 0 {
            let mut gave = false;
            for (a, n) in alloc.iter_mut().zip(&nat) {
                if spare > 0 && *a < *n {
                    *a += 1;
                    spare -= 1;
                    gave = true;
                }
            }
            if !gave {
                break;
            }
        }
        for (col, w) in table.column_iter_mut().zip(alloc) {
            // An absolute width counts the cell's padding (one space each side).
            let w = u16::try_from(w + 2).unwrap_or(u16::MAX);
            col.set_constraint(ColumnConstraint::Absolute(Width::Fixed(w)));
        }
    }
    Fitted { table, hidden }
}

/// `parts` joined by `sep`, broken into lines of at most `width` characters between parts
/// (a part longer than the width gets a line of its own); a line that breaks ends with the
/// separator's mark (`·`, `,`), and continuation lines are indented by two spaces.
pub fn wrap_parts(parts: &[String], sep: &str, width: u16) -> String {
    let width = usize::from(width);
    let sep_len = sep.chars().count();
    // Room a part other than the last must leave for the mark, should the next one break.
    let mark_len = sep.trim_end().chars().count();
    let mut out = String::new();
    let mut line_len = 0;
    for (i, p) in parts.iter().enumerate() {
        let len = p.chars().count();
        if i == 0 {
            out.push_str(p);
            line_len = len;
            continue;
        }
        let mark = if i + 1 < parts.len() { mark_len } else { 0 };
        if line_len + sep_len + len + mark <= width {
            out.push_str(sep);
            line_len += sep_len + len;
        } else {
            // The separator's visible mark (`·`, `,`) ends the line it leaves.
            out.push_str(sep.trim_end());
            out.push_str("\n  ");
            line_len = 2 + len;
        }
        out.push_str(p);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rows() -> Vec<Vec<String>> {
        vec![
            vec![
                "linux".into(),
                "linux-libc-dev, linux-perf".into(),
                "0".into(),
                "6.1.187-1 → 6.1.192-1".into(),
            ],
            vec![
                "openssl".into(),
                "libssl3, openssl".into(),
                "0".into(),
                "3.0.15-1~deb12u1 → 3.0.17-1~deb12u2".into(),
            ],
        ]
    }

    const COLS: [Column; 4] = [
        keep("upgrade"),
        droppable("binaries", 2),
        droppable("KEV", 3),
        keep("installed → target"),
    ];

    fn widest_line(t: &Table) -> usize {
        t.to_string()
            .lines()
            .map(|l| l.chars().count())
            .max()
            .unwrap()
    }

    #[test]
    fn a_table_that_fits_keeps_every_column() {
        let f = fit(&COLS, rows(), 120);
        assert!(f.hidden.is_empty());
        assert!(f.table.to_string().contains("binaries"));
        assert_eq!(f.hidden_note(120), None);
    }

    #[test]
    fn silent_columns_go_first_then_by_rank() {
        // Comfortable widths (the longest word when over 12): 7, 15, 3, 16: 41 + 3×4 + 1 = 54.
        let f = fit(&COLS, rows(), 54);
        assert!(f.hidden.is_empty());
        assert!(widest_line(&f.table) <= 54);
        let f = fit(&COLS, rows(), 50);
        assert_eq!(
            f.hidden,
            ["KEV"],
            "the all-zero column goes before a ranked one"
        );
        assert!(widest_line(&f.table) <= 50);
        let f = fit(&COLS, rows(), 40);
        assert_eq!(f.hidden, ["KEV", "binaries"]);
        assert!(widest_line(&f.table) <= 40);
        assert_eq!(
            f.hidden_note(40).unwrap().replace("\n  ", " "),
            "(hidden to fit 40 columns: KEV, binaries; a wider terminal or --format json shows them)"
        );
        // Kept columns stay even when they cannot fit comfortably: their cells wrap between
        // words, and no word is cut while the longest words fit (7 + 16 + 2×3 + 1 = 30).
        let f = fit(&COLS, rows(), 30);
        assert_eq!(f.hidden, ["KEV", "binaries"]);
        let text = f.table.to_string();
        assert!(
            text.contains("upgrade") && text.contains("installed"),
            "{text}"
        );
        assert!(
            text.contains("3.0.15-1~deb12u1"),
            "a version is not cut: {text}"
        );
        assert!(widest_line(&f.table) <= 30, "{text}");
    }

    #[test]
    fn headers_are_not_cut() {
        let cols = [keep("vulnerability"), droppable("installable", 1)];
        let rows = vec![vec!["CVE-2024-0001".to_string(), "no".to_string()]];
        let f = fit(&cols, rows, 40);
        assert!(f.hidden.is_empty());
        assert!(f.table.to_string().contains("installable"), "{}", f.table);
    }

    #[test]
    fn header_lines_wrap_between_parts() {
        let parts: Vec<String> = ["findings: 5362", "fixed 5362", "unfixed 0", "KEV 0"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            wrap_parts(&parts, " · ", 80),
            "findings: 5362 · fixed 5362 · unfixed 0 · KEV 0"
        );
        assert_eq!(
            wrap_parts(&parts, " · ", 30),
            "findings: 5362 · fixed 5362 ·\n  unfixed 0 · KEV 0"
        );
        let w = wrap_parts(&parts, " · ", 10);
        assert_eq!(
            w,
            "findings: 5362 ·\n  fixed 5362 ·\n  unfixed 0 ·\n  KEV 0"
        );
    }

    #[test]
    fn wrapped_lines_keep_to_the_width() {
        let parts: Vec<String> = ["findings: 5362", "fixed 5362", "unfixed 0", "KEV 0"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        // No line is wider than the width when every part fits on a line of its own, the
        // mark included.
        for width in 18..80 {
            let w = wrap_parts(&parts, " · ", width);
            assert!(
                w.lines().all(|l| l.chars().count() <= usize::from(width)),
                "{width}: {w:?}"
            );
        }
    }

    #[test]
    fn the_note_wraps_and_a_table_never_loses_every_column() {
        let f = fit(&COLS, rows(), 30);
        let note = f.hidden_note(30).unwrap();
        assert!(note.lines().all(|l| l.chars().count() <= 30), "{note}");
        assert!(
            note.replace("\n  ", " ")
                .starts_with("(hidden to fit 30 columns: KEV, binaries;"),
            "{note}"
        );
        // Every column droppable, nothing fits: one stays.
        let cols = [droppable("a", 1), droppable("b", 2)];
        let rows = vec![vec!["x".repeat(50), "y".repeat(50)]];
        let f = fit(&cols, rows, 20);
        assert_eq!(f.hidden, ["a"]);
        // No rows: nothing hidden, the headers still show.
        let f = fit(&COLS, Vec::new(), 60);
        assert!(f.hidden.is_empty());
        assert!(f.table.to_string().contains("upgrade"));
    }
}

//! deb822, the syntax of Debian control files — dpkg's `status`, apt's `Packages` indexes —
//! read in one place.
//!
//! A text is paragraphs separated by blank lines; a paragraph is lines `Name: value` (a
//! field), lines starting with a space or a tab (continuing the field above) and lines
//! starting with `#` (comments). A blank line is empty or only spaces and tabs (deb822(5) lets
//! a parser accept both), once a CR before its LF is dropped, so that CRLF files read alike; a
//! run of blank lines is one separator. A line longer than the reader's bound is
//! [`LineKind::TooLong`], never blank, for the caller to report. Field names compare without
//! regard to case; a value is the rest of its first line, trimmed.
//!
//! Main types: [`Paragraphs`] (a whole text), [`Stream`] (a text arriving in pieces, as a
//! decompressor yields it), [`Paragraph`] and its [`Line`]s, [`FieldFinder`], and
//! [`LineNumbers`] (places are byte offsets; lines are counted only for what is reported).
//!
//! The trap is speed: an apt index is 50 MB of paragraphs of which a host keeps a few
//! thousand. Paragraph ends are found by one vectorised search for a newline followed by a
//! newline, space, tab or CR — where every blank line starts, and besides only the rare
//! continuation line — never line by line; a caller decides from [`Paragraph::first_field`]
//! whether to read the rest, and [`FieldFinder`] answers "has it this field?" with one
//! substring search (BENCHMARKS.md, "deb822").

use aho_corasick::Span;
use aho_corasick::packed;
use memchr::{memchr, memmem, memrchr};
use std::sync::LazyLock;

/// Where a line that may be blank starts.
static LINE_STARTS: LazyLock<LineStarts> = LazyLock::new(LineStarts::new);

/// Finds a newline followed by a newline, a space, a tab or a CR: Teddy (SIMD) where the CPU
/// has it, else a newline-by-newline scan that finds the same.
#[derive(Debug)]
enum LineStarts {
    Packed(packed::Searcher),
    Scalar,
}

impl LineStarts {
    fn new() -> LineStarts {
        let mut b = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder();
        b.add("\n\n").add("\n ").add("\n\t").add("\n\r");
        b.build().map_or(LineStarts::Scalar, LineStarts::Packed)
    }

    /// The first such newline at or after `from`.
    fn find(&self, text: &[u8], from: usize) -> Option<usize> {
        if from >= text.len() {
            return None;
        }
        match self {
            LineStarts::Packed(s) => s
                .find_in(text, Span::from(from..text.len()))
                .map(|m| m.start()),
            LineStarts::Scalar => find_scalar(text, from),
        }
    }
}

fn find_scalar(text: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(i) = memchr(b'\n', text.get(at..)?) {
        let nl = at + i;
        if matches!(text.get(nl + 1), Some(b'\n' | b' ' | b'\t' | b'\r')) {
            return Some(nl);
        }
        at = nl + 1;
    }
    None
}

/// The end of the line starting at `start`: the index of its newline, or the text's length.
fn line_end(text: &[u8], start: usize) -> usize {
    memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i)
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Whether `line` (without its newline) is blank: only spaces and tabs once one trailing CR
/// is dropped, and not longer than `max_line`.
fn is_blank(line: &[u8], max_line: usize) -> bool {
    let line = strip_cr(line);
    line.len() <= max_line && line.iter().all(|&b| b == b' ' || b == b'\t')
}

/// The first blank line starting at or after `from`, which starts a line: its start, and its
/// end (after its newline, or the text's end).
fn next_blank(text: &[u8], from: usize, max_line: usize) -> Option<(usize, usize)> {
    let blank_at = |start: usize| {
        // Most blank lines are empty: no search for their end.
        if text.get(start) == Some(&b'\n') {
            return Some((start, start + 1));
        }
        let end = line_end(text, start);
        is_blank(&text[start..end], max_line).then_some((start, (end + 1).min(text.len())))
    };
    // The line at `from` has no newline before it within the search.
    if matches!(text.get(from), Some(b'\n' | b' ' | b'\t' | b'\r'))
        && let Some(b) = blank_at(from)
    {
        return Some(b);
    }
    let mut at = from;
    while let Some(nl) = LINE_STARTS.find(text, at) {
        if let Some(b) = blank_at(nl + 1) {
            return Some(b);
        }
        // A continuation line: its own newline may start the next candidate.
        at = line_end(text, nl + 1);
    }
    None
}

/// One paragraph: from the start of its first line to the end of its last (without that
/// line's newline). It holds no blank line.
#[derive(Debug, Clone, Copy)]
pub struct Paragraph<'a> {
    text: &'a [u8],
    /// Where it starts in the text read.
    offset: usize,
    /// Where the blank line that closed it starts (`None`: the end of the text did).
    closed_at: Option<usize>,
    max_line: usize,
}

/// One line of a paragraph: where it starts in the text read, and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    pub offset: usize,
    pub kind: LineKind<'a>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind<'a> {
    /// `Name: value`: the name as written, the value trimmed of ASCII whitespace.
    Field { name: &'a [u8], value: &'a [u8] },
    /// Starts with a space or a tab: more of the field above.
    Continuation,
    /// Starts with `#`.
    Comment,
    /// None of these: no colon.
    Malformed,
    /// Longer than the reader's bound (not looked into).
    TooLong,
}

fn classify(line: &[u8], max_line: usize) -> LineKind<'_> {
    let line = strip_cr(line);
    if line.len() > max_line {
        return LineKind::TooLong;
    }
    match line.first() {
        Some(b' ' | b'\t') => LineKind::Continuation,
        Some(b'#') => LineKind::Comment,
        _ => match memchr(b':', line) {
            Some(colon) => LineKind::Field {
                name: &line[..colon],
                value: line[colon + 1..].trim_ascii(),
            },
            None => LineKind::Malformed,
        },
    }
}

impl<'a> Paragraph<'a> {
    pub fn text(&self) -> &'a [u8] {
        self.text
    }

    /// Where it starts in the text read (for [`LineNumbers`]).
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Where the blank line that closed it starts; `None` when the end of the text did.
    pub fn closed_at(&self) -> Option<usize> {
        self.closed_at
    }

    /// Its lines, in order.
    pub fn lines(&self) -> impl Iterator<Item = Line<'a>> + use<'a> {
        let (text, offset, max_line) = (self.text, self.offset, self.max_line);
        let mut start = Some(0);
        std::iter::from_fn(move || {
            let s = start?;
            let end = line_end(text, s);
            start = (end < text.len()).then_some(end + 1);
            Some(Line {
                offset: offset + s,
                kind: classify(&text[s..end], max_line),
            })
        })
    }

    /// The first line, when it is a field: `(name, value)`.
    pub fn first_field(&self) -> Option<(&'a [u8], &'a [u8])> {
        match classify(&self.text[..line_end(self.text, 0)], self.max_line) {
            LineKind::Field { name, value } => Some((name, value)),
            _ => None,
        }
    }
}

/// The paragraphs of a whole text.
#[derive(Debug, Clone)]
pub struct Paragraphs<'a> {
    text: &'a [u8],
    pos: usize,
    max_line: usize,
}

/// The paragraphs of `text`, lines of any length.
pub fn paragraphs(text: &[u8]) -> Paragraphs<'_> {
    Paragraphs {
        text,
        pos: 0,
        max_line: usize::MAX,
    }
}

impl<'a> Paragraphs<'a> {
    /// Lines longer than `max_line` bytes (without newline and CR) are [`LineKind::TooLong`].
    pub fn max_line(mut self, max_line: usize) -> Paragraphs<'a> {
        self.max_line = max_line;
        self
    }
}

impl<'a> Iterator for Paragraphs<'a> {
    type Item = Paragraph<'a>;

    fn next(&mut self) -> Option<Paragraph<'a>> {
        let text = self.text;
        loop {
            if self.pos >= text.len() {
                return None;
            }
            let start = self.pos;
            let (end, closed_at) = match next_blank(text, start, self.max_line) {
                // A blank line before the paragraph.
                Some((s, e)) if s == start => {
                    self.pos = e;
                    continue;
                }
                // `s` starts a line after `start`: the newline before it ends the paragraph.
                Some((s, e)) => {
                    self.pos = e;
                    (s - 1, Some(s))
                }
                None => {
                    self.pos = text.len();
                    (text.len() - usize::from(text.ends_with(b"\n")), None)
                }
            };
            return Some(Paragraph {
                text: &text[start..end],
                offset: start,
                closed_at,
                max_line: self.max_line,
            });
        }
    }
}

/// Line numbers (1-based) of places in one text, counted when asked: a reader that reports a
/// few problems in a long file does not count all its lines.
#[derive(Debug, Clone)]
pub struct LineNumbers<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineNumbers<'a> {
    pub fn new(text: &'a [u8]) -> LineNumbers<'a> {
        LineNumbers {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// The line `offset` is on. Cheapest asked in order (counts from the previous answer).
    pub fn at(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.text.len());
        let count = |b: &[u8]| memchr::memchr_iter(b'\n', b).count() as u64;
        if offset >= self.offset {
            self.line += count(&self.text[self.offset..offset]);
        } else {
            self.line -= count(&self.text[offset..self.offset]);
        }
        self.offset = offset;
        self.line
    }
}

/// The paragraphs of a text that arrives in pieces: each is handed over once a blank line
/// closes it (the last one by [`Stream::finish`]), exactly as [`paragraphs`] reads the whole
/// text. Paragraphs are read where they lie in the pieces; only the unfinished one is copied
/// and held, and each byte is searched once however long a paragraph grows.
#[derive(Debug, Default)]
pub struct Stream {
    /// The bytes after the last blank line handed over.
    tail: Vec<u8>,
    /// Where `tail` starts in the text.
    dropped: usize,
    /// No blank line starts in `tail` before this line start.
    searched: usize,
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    /// Add the next bytes; `each` gets the paragraphs they close.
    pub fn push(&mut self, bytes: &[u8], mut each: impl FnMut(Paragraph<'_>)) {
        // Only whole lines can be judged blank: first the one the tail ends in.
        let Some(nl) = memchr(b'\n', bytes) else {
            self.tail.extend_from_slice(bytes);
            return;
        };
        let (head, rest) = bytes.split_at(nl + 1);
        self.tail.extend_from_slice(head);
        self.close_in_tail(&mut each);
        // The rest is read where it lies (not copied: 50 MB of index); only the paragraph it
        // ends in is kept.
        let base = self.dropped + self.tail.len();
        let whole = memrchr(b'\n', rest).map_or(0, |i| i + 1);
        let text = &rest[..whole];
        let mut start = 0;
        let mut at = 0;
        while let Some((s, e)) = next_blank(text, at, usize::MAX) {
            if !self.tail.is_empty() {
                // The tail's paragraph goes on to this blank line.
                self.tail.extend_from_slice(&text[..s]);
                each(Paragraph {
                    text: &self.tail[..self.tail.len() - 1],
                    offset: self.dropped,
                    closed_at: Some(base + s),
                    max_line: usize::MAX,
                });
                self.tail.clear();
            } else if s > start {
                each(Paragraph {
                    text: &text[start..s - 1],
                    offset: base + start,
                    closed_at: Some(base + s),
                    max_line: usize::MAX,
                });
            }
            start = e;
            at = e;
        }
        if self.tail.is_empty() {
            self.dropped = base + start;
            self.tail.extend_from_slice(&rest[start..]);
        } else {
            self.tail.extend_from_slice(rest);
        }
        self.searched = self.tail.len() - (rest.len() - whole);
    }

    /// Hand over the paragraphs that blank lines close within the tail, which ends a line.
    fn close_in_tail(&mut self, each: &mut impl FnMut(Paragraph<'_>)) {
        let text = &self.tail[..];
        let mut start = 0;
        let mut at = self.searched;
        while let Some((s, e)) = next_blank(text, at, usize::MAX) {
            if s > start {
                each(Paragraph {
                    text: &text[start..s - 1],
                    offset: self.dropped + start,
                    closed_at: Some(self.dropped + s),
                    max_line: usize::MAX,
                });
            }
            start = e;
            at = e;
        }
        self.tail.drain(..start);
        self.dropped += start;
        self.searched = self.tail.len();
    }

    /// The end of the text; `each` gets the last paragraph.
    pub fn finish(self, mut each: impl FnMut(Paragraph<'_>)) {
        for p in paragraphs(&self.tail) {
            each(Paragraph {
                offset: self.dropped + p.offset,
                closed_at: p.closed_at.map(|c| self.dropped + c),
                ..p
            });
        }
    }
}

/// Whether a paragraph has a field: one substring search for the field at a line start in the
/// common case, every line looked at only when that finds nothing (another case of the name,
/// the first line, or a too-long line).
#[derive(Debug)]
pub struct FieldFinder {
    name: Box<[u8]>,
    at_line_start: memmem::Finder<'static>,
}

impl FieldFinder {
    pub fn new(name: &str) -> FieldFinder {
        FieldFinder {
            name: name.as_bytes().into(),
            at_line_start: memmem::Finder::new(format!("\n{name}:").as_bytes()).into_owned(),
        }
    }

    pub fn in_paragraph(&self, p: &Paragraph<'_>) -> bool {
        if let Some(i) = self.at_line_start.find(p.text) {
            let start = i + 1;
            if p.max_line == usize::MAX
                || strip_cr(&p.text[start..line_end(p.text, start)]).len() <= p.max_line
            {
                return true;
            }
        }
        p.lines().any(|l| {
            matches!(l.kind, LineKind::Field { name, .. } if name.eq_ignore_ascii_case(&self.name))
        })
    }
}

/// `Source: foo (1.2-3)` → (`foo`, `Some("1.2-3")`).
pub fn parse_source(s: &str) -> (&str, Option<&str>) {
    match s.split_once('(') {
        Some((name, rest)) => {
            let v = rest.trim_end().trim_end_matches(')').trim();
            (name.trim(), (!v.is_empty()).then_some(v))
        }
        None => (s.trim(), None),
    }
}

/// The source package and source version of a binary package from its `Source` field: the
/// binary is its own source when the field is absent or names none, and the source version is
/// the binary's own when the field gives none (a binNMU `1.2-3+b1` names `foo (1.2-3)`).
pub fn source_of<'a>(
    field: Option<&'a str>,
    package: &'a str,
    version: &'a str,
) -> (&'a str, &'a str) {
    match field {
        Some(s) => {
            let (n, v) = parse_source(s);
            (if n.is_empty() { package } else { n }, v.unwrap_or(version))
        }
        None => (package, version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference: line by line, as dpkg's collector read status files before this
    /// module (a blank line ends a paragraph, runs of them one).
    fn reference(text: &[u8], max_line: usize) -> Vec<(u64, Option<u64>, Vec<u8>)> {
        let mut out = Vec::new();
        let mut cur: Option<(u64, usize, usize)> = None;
        let mut n = 0u64;
        let mut start = 0;
        while start < text.len() {
            n += 1;
            let end = line_end(text, start);
            if is_blank(&text[start..end], max_line) {
                if let Some((line, s, e)) = cur.take() {
                    out.push((line, Some(n), text[s..e].to_vec()));
                }
            } else {
                cur = Some(match cur {
                    Some((line, s, _)) => (line, s, end),
                    None => (n, start, end),
                });
            }
            start = end + 1;
        }
        if let Some((line, s, e)) = cur {
            out.push((line, None, text[s..e].to_vec()));
        }
        out
    }

    /// Every text of up to `max_len` bytes over `alphabet`.
    fn texts(alphabet: &[u8], max_len: u32) -> Vec<Vec<u8>> {
        let mut all = vec![Vec::new()];
        for len in 1..=max_len {
            for mut n in 0..alphabet.len().pow(len) {
                let mut t = Vec::with_capacity(len as usize);
                for _ in 0..len {
                    t.push(alphabet[n % alphabet.len()]);
                    n /= alphabet.len();
                }
                all.push(t);
            }
        }
        all
    }

    fn numbered(text: &[u8], max_line: usize) -> Vec<(u64, Option<u64>, Vec<u8>)> {
        let mut lines = LineNumbers::new(text);
        paragraphs(text)
            .max_line(max_line)
            .map(|p| {
                let first = lines.at(p.offset());
                // Every line of it, in order, then back: the counter goes both ways.
                for l in p.lines() {
                    lines.at(l.offset);
                }
                assert_eq!(lines.at(p.offset()), first);
                (first, p.closed_at().map(|c| lines.at(c)), p.text().to_vec())
            })
            .collect()
    }

    #[test]
    fn paragraphs_and_line_numbers_are_those_of_a_line_by_line_read() {
        for t in texts(b"a\n \r\t", 7) {
            for max_line in [usize::MAX, 1] {
                assert_eq!(numbered(&t, max_line), reference(&t, max_line), "{t:?}");
            }
            let plain: Vec<Vec<u8>> = paragraphs(&t).map(|p| p.text().to_vec()).collect();
            let want: Vec<Vec<u8>> = reference(&t, usize::MAX).into_iter().map(|x| x.2).collect();
            assert_eq!(plain, want, "{t:?}");
        }
    }

    #[test]
    fn the_vectorised_search_finds_what_the_scalar_one_does() {
        // Long enough for Teddy (shorter haystacks take its slow path).
        let base = b"Package: a\nDescription: x\n y\n\t\n\r\nb\n\n \n".repeat(5);
        for t in texts(b"a\n \r", 5) {
            let mut text = base.clone();
            text.extend_from_slice(&t);
            for from in 0..text.len() {
                assert_eq!(
                    LINE_STARTS.find(&text, from),
                    find_scalar(&text, from),
                    "{text:?} from {from}"
                );
            }
        }
    }

    #[test]
    fn a_stream_in_pieces_reads_what_the_whole_text_gives() {
        let mut cases = texts(b"a\n \r", 7);
        let long = b"Package: a\nVersion: 1\n\n\n  \nPackage: b\r\n\r\nx\n y\n\n".repeat(40);
        cases.push(long);
        // A paragraph longer than many pieces.
        let mut longer = b"Package: big\n".repeat(300);
        longer.extend_from_slice(b"\n \nPackage: next\n");
        cases.push(longer);
        for t in cases {
            let seen = |p: Paragraph<'_>| {
                let lines: Vec<usize> = p.lines().map(|l| l.offset).collect();
                (p.text().to_vec(), p.offset(), p.closed_at(), lines)
            };
            let want: Vec<_> = paragraphs(&t).map(seen).collect();
            for size in [1, 2, 3, 4, 5, 7, 13, 64, t.len().max(1)] {
                let mut s = Stream::new();
                let mut got = Vec::new();
                for piece in t.chunks(size) {
                    s.push(piece, |p| got.push(seen(p)));
                }
                s.finish(|p| got.push(seen(p)));
                assert_eq!(got, want, "{t:?} in pieces of {size}");
            }
        }
    }

    #[test]
    fn lines_are_fields_continuations_comments_or_malformed() {
        let text = b"Package: a \r\nDescription: x\n  more\n#Version: 9\nnonsense\nversion:\t1 \nLong: 0123456789";
        let p = paragraphs(text).max_line(12).next().unwrap();
        let kinds: Vec<LineKind<'_>> = p.lines().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            [
                LineKind::Field {
                    name: b"Package",
                    value: b"a"
                },
                LineKind::TooLong,
                LineKind::Continuation,
                LineKind::Comment,
                LineKind::Malformed,
                LineKind::Field {
                    name: b"version",
                    value: b"1"
                },
                LineKind::TooLong,
            ]
        );
        assert_eq!(p.first_field(), Some((&b"Package"[..], &b"a"[..])));
        let version = FieldFinder::new("Version");
        assert!(version.in_paragraph(&p), "names compare without case");
        assert!(!FieldFinder::new("Long").in_paragraph(&p), "too long");
        assert!(
            FieldFinder::new("Package").in_paragraph(&p),
            "the first line"
        );
        let q = paragraphs(b"Package: a\nVersion: 1").next().unwrap();
        assert!(version.in_paragraph(&q));
        let q = paragraphs(b"Package: a\n Version: 1\n#Version: 1")
            .next()
            .unwrap();
        assert!(!version.in_paragraph(&q));
    }

    #[test]
    fn the_source_field_names_the_source_and_maybe_its_version() {
        assert_eq!(parse_source("foo (1.2-3)"), ("foo", Some("1.2-3")));
        assert_eq!(parse_source("foo"), ("foo", None));
        assert_eq!(source_of(None, "a", "1"), ("a", "1"));
        assert_eq!(source_of(Some("foo (1.2)"), "a", "1.2+b1"), ("foo", "1.2"));
        assert_eq!(source_of(Some("foo"), "a", "1"), ("foo", "1"));
        assert_eq!(source_of(Some("(2)"), "a", "1"), ("a", "2"));
    }
}

//! A minimal read-only reader of SQLite database files: enough to list the rows of one
//! rowid table (the rpmdb's `Packages(hnum, blob)`), written against the file format
//! (<https://www.sqlite.org/fileformat2.html>) so that it is a pure function of bytes
//! (fuzzed) and links no C library.
//!
//! Not read: the write-ahead log (`-wal`); callers report a non-empty WAL as an issue.

/// What went wrong, with the page concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteError(pub String);

impl std::fmt::Display for SqliteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, SqliteError> {
    Err(SqliteError(msg.into()))
}

/// One value of a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(std::borrow::Cow<'a, [u8]>),
    Blob(std::borrow::Cow<'a, [u8]>),
}

pub struct Db<'a> {
    data: &'a [u8],
    page_size: usize,
    usable: usize,
    pages: usize,
}

impl std::fmt::Debug for Db<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("page_size", &self.page_size)
            .field("pages", &self.pages)
            .finish()
    }
}

fn varint(b: &[u8]) -> Option<(i64, usize)> {
    let mut v: u64 = 0;
    for i in 0..9 {
        let c = *b.get(i)?;
        if i == 8 {
            v = (v << 8) | c as u64;
            return Some((v as i64, 9));
        }
        v = (v << 7) | (c & 0x7f) as u64;
        if c & 0x80 == 0 {
            return Some((v as i64, i + 1));
        }
    }
    None
}

fn be(b: &[u8], at: usize, n: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(n)?)?;
    Some(s.iter().fold(0u64, |a, &x| (a << 8) | x as u64))
}

impl<'a> Db<'a> {
    pub fn open(data: &'a [u8]) -> Result<Db<'a>, SqliteError> {
        if data.len() < 100 || &data[..16] != b"SQLite format 3\0" {
            return err("not an SQLite 3 database");
        }
        let ps = be(data, 16, 2).unwrap_or(0) as usize;
        let page_size = if ps == 1 { 65536 } else { ps };
        if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
            return err(format!("bad page size {page_size}"));
        }
        let reserved = data[20] as usize;
        let usable = page_size.saturating_sub(reserved);
        if usable < 480 {
            return err("usable page size below 480");
        }
        Ok(Db {
            data,
            page_size,
            usable,
            pages: data.len() / page_size,
        })
    }

    fn page(&self, n: u64) -> Result<&'a [u8], SqliteError> {
        if n == 0 || n as usize > self.pages {
            return err(format!("page {n} out of range (file has {})", self.pages));
        }
        let st = (n as usize - 1) * self.page_size;
        Ok(&self.data[st..st + self.page_size])
    }

    /// Root page of the table `name` (case-insensitive), from `sqlite_schema`.
    pub fn table_root(&self, name: &str) -> Result<Option<u64>, SqliteError> {
        let mut found = None;
        self.scan(1, &mut |_, rec| {
            // sqlite_schema(type, name, tbl_name, rootpage, sql)
            let vals = record(&rec)?;
            if let (Some(Value::Text(t)), Some(Value::Text(n)), Some(Value::Int(root))) =
                (vals.first(), vals.get(1), vals.get(3))
                && t.as_ref() == b"table"
                && n.eq_ignore_ascii_case(name.as_bytes())
                && found.is_none()
            {
                found = Some(*root as u64);
            }
            Ok(())
        })?;
        Ok(found)
    }

    /// Visit every row of the table b-tree rooted at `root`, in rowid order, with its
    /// rowid and raw record bytes.
    pub fn scan(
        &self,
        root: u64,
        f: &mut dyn FnMut(i64, std::borrow::Cow<'a, [u8]>) -> Result<(), SqliteError>,
    ) -> Result<(), SqliteError> {
        // Depth-first with an explicit stack; a visited count bounds cyclic page graphs.
        let mut stack = vec![root];
        let mut visited = 0usize;
        // Overflow chains shared between cells would multiply the output: a real file never
        // holds more payload than its own size.
        let mut payload_bytes = 0usize;
        while let Some(pn) = stack.pop() {
            visited += 1;
            if visited > self.pages + 1 {
                return err("b-tree visits more pages than the file has (cycle)");
            }
            let page = self.page(pn)?;
            let h = if pn == 1 { 100 } else { 0 };
            let kind = *page
                .get(h)
                .ok_or_else(|| SqliteError("short page".into()))?;
            let ncells = be(page, h + 3, 2).unwrap_or(0) as usize;
            let (hdr, interior) = match kind {
                0x0d => (8, false),
                0x05 => (12, true),
                other => return err(format!("page {pn}: not a table b-tree page (type {other})")),
            };
            let ptrs = h + hdr;
            if ptrs + ncells * 2 > page.len() {
                return err(format!("page {pn}: cell pointer array overflows the page"));
            }
            if interior {
                let right = be(page, h + 8, 4).unwrap_or(0);
                // Push right-most last-visited: children go on the stack in reverse order.
                stack.push(right);
                for i in (0..ncells).rev() {
                    let off = be(page, ptrs + i * 2, 2).unwrap_or(0) as usize;
                    let child = be(page, off, 4)
                        .ok_or_else(|| SqliteError(format!("page {pn}: cell {i} out of page")))?;
                    stack.push(child);
                }
            } else {
                for i in 0..ncells {
                    let off = be(page, ptrs + i * 2, 2).unwrap_or(0) as usize;
                    let cell = page
                        .get(off..)
                        .ok_or_else(|| SqliteError(format!("page {pn}: cell {i} out of page")))?;
                    let (plen, a) = varint(cell)
                        .ok_or_else(|| SqliteError(format!("page {pn}: cell {i} truncated")))?;
                    let (rowid, b) = varint(&cell[a..])
                        .ok_or_else(|| SqliteError(format!("page {pn}: cell {i} truncated")))?;
                    let payload = self.payload(&cell[a + b..], plen, pn)?;
                    payload_bytes += payload.len();
                    if payload_bytes > self.data.len() {
                        return err("payloads add up to more than the file size");
                    }
                    f(rowid, payload)?;
                }
            }
        }
        Ok(())
    }

    fn payload(
        &self,
        cell: &'a [u8],
        plen: i64,
        pn: u64,
    ) -> Result<std::borrow::Cow<'a, [u8]>, SqliteError> {
        if plen < 0 || plen as u64 > self.data.len() as u64 {
            return err(format!(
                "page {pn}: payload length {plen} larger than the file"
            ));
        }
        let p = plen as usize;
        let u = self.usable;
        let x = u - 35;
        if p <= x {
            return cell
                .get(..p)
                .map(std::borrow::Cow::Borrowed)
                .ok_or_else(|| SqliteError(format!("page {pn}: payload past page end")));
        }
        let m = ((u - 12) * 32 / 255) - 23;
        let k = m + (p - m) % (u - 4);
        let local = if k <= x { k } else { m };
        let mut out = Vec::with_capacity(p);
        out.extend_from_slice(
            cell.get(..local)
                .ok_or_else(|| SqliteError(format!("page {pn}: payload past page end")))?,
        );
        let mut next = be(cell, local, 4)
            .ok_or_else(|| SqliteError(format!("page {pn}: overflow pointer missing")))?;
        let mut hops = 0usize;
        while out.len() < p {
            hops += 1;
            if next == 0 || hops > self.pages {
                return err(format!("page {pn}: overflow chain ends early or loops"));
            }
            let op = self.page(next)?;
            next = be(op, 0, 4).unwrap_or(0);
            let take = (p - out.len()).min(u - 4);
            out.extend_from_slice(&op[4..4 + take]);
        }
        Ok(std::borrow::Cow::Owned(out))
    }
}

/// Decode a record into values (text and blobs borrowed from `rec`).
pub fn record<'r>(rec: &'r [u8]) -> Result<Vec<Value<'r>>, SqliteError> {
    let (hlen, mut i) = varint(rec).ok_or_else(|| SqliteError("record header truncated".into()))?;
    if hlen < 0 || hlen as usize > rec.len() {
        return err("record header longer than the record");
    }
    let hlen = hlen as usize;
    let mut body = hlen;
    let mut out = Vec::new();
    while i < hlen {
        let (t, n) =
            varint(&rec[i..hlen]).ok_or_else(|| SqliteError("serial type truncated".into()))?;
        i += n;
        let (len, v): (usize, fn(&[u8]) -> Value<'_>) = match t {
            0 => (0, |_| Value::Null),
            1 => (1, |b| Value::Int(b[0] as i8 as i64)),
            2 => (2, |b| Value::Int(i16::from_be_bytes([b[0], b[1]]) as i64)),
            3 => (3, |b| {
                Value::Int(((i32::from_be_bytes([b[0], b[1], b[2], 0])) >> 8) as i64)
            }),
            4 => (4, |b| {
                Value::Int(i32::from_be_bytes([b[0], b[1], b[2], b[3]]) as i64)
            }),
            5 => (6, |b| {
                Value::Int(i64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], 0, 0]) >> 16)
            }),
            6 => (8, |b| {
                let mut a = [0u8; 8];
                a.copy_from_slice(&b[..8]);
                Value::Int(i64::from_be_bytes(a))
            }),
            7 => (8, |b| {
                let mut a = [0u8; 8];
                a.copy_from_slice(&b[..8]);
                Value::Real(f64::from_be_bytes(a))
            }),
            8 => (0, |_| Value::Int(0)),
            9 => (0, |_| Value::Int(1)),
            t if t >= 12 && t % 2 == 0 => ((t as usize - 12) / 2, |b| {
                Value::Blob(std::borrow::Cow::Borrowed(b))
            }),
            t if t >= 13 => ((t as usize - 13) / 2, |b| {
                Value::Text(std::borrow::Cow::Borrowed(b))
            }),
            t => return err(format!("reserved serial type {t}")),
        };
        let end = body
            .checked_add(len)
            .filter(|e| *e <= rec.len())
            .ok_or_else(|| SqliteError("record value past record end".into()))?;
        out.push(v(&rec[body..end]));
        body = end;
        if out.len() > 4096 {
            return err("record with more than 4096 columns");
        }
    }
    Ok(out)
}

/// Rows of a rowid table `(rowid INTEGER PRIMARY KEY, blob BLOB)`: rowid and blob.
pub fn rowid_blobs(data: &[u8], table: &str) -> Result<Vec<(i64, Vec<u8>)>, SqliteError> {
    let db = Db::open(data)?;
    let Some(root) = db.table_root(table)? else {
        return err(format!("no table {table}"));
    };
    let mut out = Vec::new();
    db.scan(root, &mut |rowid, rec| {
        let vals = record(&rec)?;
        // An INTEGER PRIMARY KEY column is stored as NULL; the rowid is the value.
        match vals.get(1) {
            Some(Value::Blob(b)) => out.push((rowid, b.to_vec())),
            _ => return err(format!("row {rowid}: second column is not a blob")),
        }
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        assert_eq!(varint(&[0x05]), Some((5, 1)));
        assert_eq!(varint(&[0x81, 0x00]), Some((128, 2)));
        assert_eq!(varint(&[0xff; 9]), Some((-1, 9)));
        assert_eq!(varint(&[0x81]), None);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(Db::open(b"nope").is_err());
        let mut d = b"SQLite format 3\0".to_vec();
        d.resize(4096, 0);
        d[16] = 0x10; // 4096
        assert!(rowid_blobs(&d, "Packages").is_err());
    }

    #[test]
    fn reads_a_real_database_made_by_sqlite3() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.sqlite");
        // Blobs of many sizes: local, just over the local limit, several overflow pages;
        // enough rows for interior pages.
        let mut sql = String::from(
            "PRAGMA page_size=1024; CREATE TABLE other(x); \
             CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);",
        );
        for i in 1..=300 {
            sql.push_str(&format!(
                "INSERT INTO Packages(blob) VALUES (CAST(randomblob({}) || x'{:02x}' AS BLOB));",
                (i * 37) % 5000,
                i % 256
            ));
        }
        let st = std::process::Command::new("sqlite3")
            .arg(&db)
            .arg(&sql)
            .status();
        if !matches!(st, Ok(s) if s.success()) {
            caulk_testkit::missing("the sqlite3 CLI is absent (apt package sqlite3)");
            return;
        }
        let bytes = std::fs::read(&db).unwrap();
        let rows = rowid_blobs(&bytes, "packages").unwrap();
        assert_eq!(rows.len(), 300);
        for (i, (rowid, blob)) in rows.iter().enumerate() {
            let n = i + 1;
            assert_eq!(*rowid, n as i64);
            assert_eq!(blob.len(), (n * 37) % 5000 + 1, "row {n}");
            assert_eq!(*blob.last().unwrap(), (n % 256) as u8);
        }
        // Truncating the file must give an error, never a panic.
        for cut in [100, 1024, 5000, bytes.len() / 2] {
            let _ = rowid_blobs(&bytes[..cut], "Packages");
        }
    }
}

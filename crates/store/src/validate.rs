//! Input rules, checked before any SQL: a clear [`Error::Invalid`] naming the field, never a
//! panic or a database error.

use caulk_model::inventory::Inventory;

use crate::{Error, HostUpdate, NewHost, Result};

pub(crate) const MAX_LABELS: usize = 64;
pub(crate) const MAX_GROUPS: usize = 64;
pub(crate) const MAX_LABEL_VALUE: usize = 255;
pub(crate) const MAX_PACKAGES: usize = 500_000;
const MAX_PACKAGE_FIELD: usize = 4096;

fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
    Error::Invalid {
        field,
        reason: reason.into(),
    }
}

/// A hostname: 1–253 bytes of letters, digits, `.`, `-`, `_`.
pub(crate) fn hostname(s: &str) -> Result<()> {
    if s.is_empty() || s.len() > 253 {
        return Err(invalid(
            "hostname",
            format!("{} bytes, want 1 to 253", s.len()),
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
    {
        return Err(invalid("hostname", format!("{c:?} in {s:?}")));
    }
    Ok(())
}

/// A name (label key, group, user, token): 1–63 bytes, lowercase letters, digits, `.-_/`,
/// starting with a letter or digit.
pub(crate) fn name(field: &'static str, s: &str) -> Result<()> {
    if s.is_empty() || s.len() > 63 {
        return Err(invalid(
            field,
            format!("{:?} is {} bytes, want 1 to 63", short(s), s.len()),
        ));
    }
    let ok_first = s.as_bytes()[0].is_ascii_lowercase() || s.as_bytes()[0].is_ascii_digit();
    let bad = s.chars().find(|c| {
        !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_' | '/'))
    });
    match (ok_first, bad) {
        (_, Some(c)) => Err(invalid(
            field,
            format!(
                "{c:?} in {:?} (lowercase letters, digits, . - _ /)",
                short(s)
            ),
        )),
        (false, None) => Err(invalid(
            field,
            format!("{s:?} must start with a letter or digit"),
        )),
        (true, None) => Ok(()),
    }
}

/// Free text up to `max` bytes without control characters.
pub(crate) fn text(field: &'static str, s: &str, max: usize) -> Result<()> {
    if s.len() > max {
        return Err(invalid(field, format!("{} bytes, at most {max}", s.len())));
    }
    if s.chars().any(char::is_control) {
        return Err(invalid(
            field,
            format!("control character in {:?}", short(s)),
        ));
    }
    Ok(())
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

fn labels(l: &std::collections::BTreeMap<String, String>) -> Result<()> {
    if l.len() > MAX_LABELS {
        return Err(invalid(
            "labels",
            format!("{} labels, at most {MAX_LABELS}", l.len()),
        ));
    }
    for (k, v) in l {
        name("label key", k)?;
        text("label value", v, MAX_LABEL_VALUE)?;
    }
    Ok(())
}

fn groups(g: &std::collections::BTreeSet<String>) -> Result<()> {
    if g.len() > MAX_GROUPS {
        return Err(invalid(
            "groups",
            format!("{} groups, at most {MAX_GROUPS}", g.len()),
        ));
    }
    g.iter().try_for_each(|g| name("group", g))
}

pub(crate) fn new_host(h: &NewHost) -> Result<()> {
    hostname(&h.hostname)?;
    if let Some(m) = &h.machine_id
        && (m.is_empty()
            || m.len() > 64
            || !m.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    {
        return Err(invalid(
            "machine id",
            format!("{:?}: 1 to 64 letters, digits or -", short(m)),
        ));
    }
    labels(&h.labels)?;
    groups(&h.groups)?;
    if let Some(o) = &h.owner {
        text("owner", o, 255)?;
    }
    if let Some(v) = &h.agent_version {
        text("agent version", v, 64)?;
    }
    Ok(())
}

pub(crate) fn host_update(u: &HostUpdate) -> Result<()> {
    if let Some(l) = &u.labels {
        labels(l)?;
    }
    if let Some(g) = &u.groups {
        groups(g)?;
    }
    if let Some(Some(o)) = &u.owner {
        text("owner", o, 255)?;
    }
    Ok(())
}

pub(crate) fn inventory(inv: &Inventory) -> Result<()> {
    if !inv.format_supported() {
        return Err(invalid(
            "inventory",
            format!(
                "format version {} (this caulk reads {})",
                inv.format_version,
                caulk_model::inventory::FORMAT_VERSION
            ),
        ));
    }
    if inv.packages.len() > MAX_PACKAGES {
        return Err(invalid(
            "inventory",
            format!("{} packages, at most {MAX_PACKAGES}", inv.packages.len()),
        ));
    }
    for (i, p) in inv.packages.iter().enumerate() {
        let fields = [
            Some(&p.ecosystem),
            Some(&p.name),
            Some(&p.version),
            p.arch.as_ref(),
            p.source_name.as_ref(),
            p.source_version.as_ref(),
            p.purl.as_ref(),
            p.vendor.as_ref(),
            Some(&p.file),
            p.owned_by.as_ref(),
        ];
        if fields
            .iter()
            .flatten()
            .any(|f| f.len() > MAX_PACKAGE_FIELD || f.contains('\0'))
        {
            return Err(invalid(
                "inventory",
                format!(
                    "package {i} ({:?}): a field over {MAX_PACKAGE_FIELD} bytes or with a NUL",
                    short(&p.name)
                ),
            ));
        }
        if p.ecosystem.is_empty() || p.name.is_empty() {
            return Err(invalid(
                "inventory",
                format!("package {i}: empty ecosystem or name"),
            ));
        }
    }
    Ok(())
}

pub(crate) fn password(p: &str) -> Result<()> {
    if p.len() < 12 || p.len() > 1024 {
        return Err(invalid(
            "password",
            format!("{} bytes, want 12 to 1024", p.len()),
        ));
    }
    Ok(())
}

//! How `caulk db sync` and `caulk db mirror` show a sync's progress
//! ([`caulk_feed_sync::progress::Progress`]): progress bars (indicatif) with bytes and record
//! counts when stderr is a terminal, quiet line-oriented logs otherwise (CI logs, cron mail).

use caulk_feed_sync::progress::Progress;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;

/// How to report progress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProgressMode {
    /// Bars when stderr is a terminal, lines otherwise.
    #[default]
    Auto,
    Bars,
    Lines,
    /// Nothing but the final report (which the caller prints).
    Quiet,
}

impl ProgressMode {
    fn resolve(self) -> ProgressMode {
        match self {
            ProgressMode::Auto if std::io::stderr().is_terminal() => ProgressMode::Bars,
            ProgressMode::Auto => ProgressMode::Lines,
            m => m,
        }
    }
}

/// The sync's reporter. Cheap to share (`Arc`); every method takes `&self`.
#[derive(Debug)]
pub struct Reporter {
    mode: ProgressMode,
    multi: Option<MultiProgress>,
    bars: Mutex<BTreeMap<String, ProgressBar>>,
}

impl Reporter {
    pub fn new(mode: ProgressMode) -> Reporter {
        let mode = mode.resolve();
        let multi = (mode == ProgressMode::Bars)
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Reporter {
            mode,
            multi,
            bars: Mutex::new(BTreeMap::new()),
        }
    }

    /// The observer of an import a scan runs first (`scan --feeds`): bars on a terminal,
    /// nothing otherwise (the scan says on stderr that it imports).
    pub fn for_import() -> std::sync::Arc<dyn caulk_advisory_db::import::Observer> {
        let mode = match ProgressMode::Auto.resolve() {
            ProgressMode::Bars => ProgressMode::Bars,
            _ => ProgressMode::Quiet,
        };
        std::sync::Arc::new(Reporter::new(mode))
    }

    /// A reporter that draws bars into nothing (tests of the bar code paths).
    #[cfg(test)]
    pub fn hidden_bars() -> Reporter {
        Reporter {
            mode: ProgressMode::Bars,
            multi: Some(MultiProgress::with_draw_target(ProgressDrawTarget::hidden())),
            bars: Mutex::new(BTreeMap::new()),
        }
    }

    /// Take every bar off the screen: called before the caller prints its summary, so no
    /// finished bar is left between the summary lines.
    pub fn finish(&self) {
        let bars: Vec<ProgressBar> = match self.bars.lock() {
            Ok(mut b) => std::mem::take(&mut *b).into_values().collect(),
            Err(_) => vec![],
        };
        for b in bars {
            b.finish_and_clear();
            if let Some(m) = &self.multi {
                m.remove(&b);
            }
        }
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
    }

    fn print(&self, line: &str) {
        match (&self.multi, self.mode) {
            (_, ProgressMode::Quiet) => {}
            (Some(m), _) => {
                // Printed above the bars.
                let _ = m.println(line);
            }
            (None, _) => {
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            }
        }
    }

    fn bar(&self, key: &str) -> Option<ProgressBar> {
        self.bars.lock().ok()?.get(key).cloned()
    }
}

impl Progress for Reporter {
    /// Printed at once, above the bars.
    fn note(&self, line: &str) {
        self.print(&format!("caulk: {line}"));
    }

    /// A download starts (`total`: Content-Length when known).
    fn download_started(&self, feed: &str, total: Option<u64>) {
        let Some(m) = &self.multi else { return };
        let bar = match total {
            Some(t) => ProgressBar::new(t).with_style(
                ProgressStyle::with_template(
                    "{prefix:<18} {bar:30} {bytes:>10}/{total_bytes:<10} {bytes_per_sec:>12} {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{prefix:<18} {spinner} {bytes:>10} {bytes_per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        let bar = m.add(bar);
        bar.set_prefix(feed.to_string());
        if let Ok(mut bars) = self.bars.lock() {
            bars.insert(feed.to_string(), bar);
        }
    }

    fn download_bytes(&self, feed: &str, so_far: u64) {
        if let Some(b) = self.bar(feed) {
            b.set_position(so_far);
        }
    }

    fn download_finished(&self, feed: &str) {
        let bar = self.bars.lock().ok().and_then(|mut b| b.remove(feed));
        if let Some(b) = bar {
            b.finish_and_clear();
            if let Some(m) = &self.multi {
                m.remove(&b);
            }
        }
    }
}

impl caulk_advisory_db::import::Observer for Reporter {
    fn finished(&self) {
        self.finish();
    }

    fn records(&self, feed: &str, n: u64) {
        let Some(m) = &self.multi else { return };
        let key = format!("import {feed}");
        let bar = match self.bar(&key) {
            Some(b) => b,
            None => {
                let b = m.add(
                    ProgressBar::new_spinner().with_style(
                        ProgressStyle::with_template("{prefix:<18} {spinner} {pos} records")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    ),
                );
                b.set_prefix(format!("import {feed}"));
                // Only the latest feed keeps a bar.
                let old: Vec<ProgressBar> = match self.bars.lock() {
                    Ok(mut bars) => {
                        let keys: Vec<String> = bars
                            .keys()
                            .filter(|k| k.starts_with("import "))
                            .cloned()
                            .collect();
                        let old = keys.iter().filter_map(|k| bars.remove(k)).collect();
                        bars.insert(key.clone(), b.clone());
                        old
                    }
                    Err(_) => vec![],
                };
                for o in old {
                    o.finish_and_clear();
                    m.remove(&o);
                }
                b
            }
        };
        bar.set_position(n);
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        if let Ok(bars) = self.bars.lock() {
            for b in bars.values() {
                b.finish_and_clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use caulk_advisory_db::import::Observer;
    use caulk_feed_sync::progress::Progress;

    #[test]
    fn bars_draw_without_a_terminal() {
        let r = Reporter::hidden_bars();
        r.download_started("osv/Debian", Some(100));
        r.download_bytes("osv/Debian", 50);
        r.download_started("kev", None);
        r.download_bytes("kev", 10);
        r.download_finished("osv/Debian");
        r.records("osv/Debian", 10);
        r.records("kev", 3);
        assert_eq!(
            r.bars.lock().expect("lock").keys().collect::<Vec<_>>(),
            ["import kev", "kev"]
        );
        r.note("done");
        r.finish();
        assert!(r.bars.lock().expect("lock").is_empty());
    }
}

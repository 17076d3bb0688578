//! Progress bars on a terminal (indicatif): one bar for the whole run (bytes,
//! rate, ETA, rows) and one line per table being copied. Shown only when
//! stderr is a terminal, logs are text, and neither `--quiet` nor
//! `--no-progress` is given.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{HumanBytes, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::Cli;
use crate::engine::{Progress, ProgressHandle};

struct Bars {
    multi: MultiProgress,
    total: ProgressBar,
    rows: AtomicU64,
    tables: Mutex<HashMap<String, (ProgressBar, u64, u64)>>,
}

/// The handle the engine reports to: bars on a terminal, else nothing.
pub fn handle(cli: &Cli, no_progress: bool) -> ProgressHandle {
    if no_progress || cli.quiet || cli.log_format == "json" || !std::io::stderr().is_terminal() {
        return ProgressHandle::default();
    }
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(8));
    let total = multi.add(ProgressBar::hidden());
    ProgressHandle::new(Arc::new(Bars {
        multi,
        total,
        rows: AtomicU64::new(0),
        tables: Mutex::new(HashMap::new()),
    }))
}

impl Progress for Bars {
    fn start(&self, phase: &'static str, total_bytes: u64) {
        self.total.set_length(total_bytes.max(1));
        self.total.set_style(
            ProgressStyle::with_template(&format!(
                "{phase} [{{elapsed_precise}}] {{wide_bar}} {{bytes}}/~{{total_bytes}} {{bytes_per_sec}} ETA {{eta}} {{msg}}"
            ))
            .expect("a valid template"),
        );
        self.total
            .set_draw_target(ProgressDrawTarget::stderr_with_hz(8));
        self.multi.add(self.total.clone());
        self.total.enable_steady_tick(Duration::from_millis(250));
    }

    fn table_started(&self, table: &str) {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(ProgressStyle::with_template("  {spinner} {msg}").expect("a valid template"));
        bar.set_message(table.to_string());
        self.tables
            .lock()
            .expect("progress lock")
            .insert(table.to_string(), (bar, 0, 0));
    }

    fn advance(&self, table: &str, bytes: u64, rows: u64) {
        self.total.inc(bytes);
        let all = self.rows.fetch_add(rows, Ordering::Relaxed) + rows;
        self.total.set_message(format!("{all} rows"));
        if let Some((bar, b, r)) = self.tables.lock().expect("progress lock").get_mut(table) {
            *b += bytes;
            *r += rows;
            bar.set_message(format!("{table}: {} {} rows", HumanBytes(*b), r));
            bar.tick();
        }
    }

    fn table_finished(&self, table: &str) {
        if let Some((bar, _, _)) = self.tables.lock().expect("progress lock").remove(table) {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
    }

    fn finish(&self) {
        for (_, (bar, _, _)) in self.tables.lock().expect("progress lock").drain() {
            bar.finish_and_clear();
        }
        self.total.finish_and_clear();
        let _ = self.multi.clear();
    }
}

//! The gate's cold start held to the last release's: fresh process to job result and peak RSS,
//! each as a ratio to the Python sample measured in the same run, beside the release's ratios.
//! More than `TOLERANCE` over the release's in either fails the bench.
//!
//! The baseline is the Python sample because it runs in every full run on the same machine
//! under the same load, and its cold start is work of the same kind (a process started, a
//! runtime and an SDK loaded, the same two AWS calls): a slower or busier machine moves both
//! sides, and the ratio stays. An absolute figure would fail on a slower machine and pass a
//! regression on a faster one.

use crate::gate::{self, Contender, Figures, Source};

/// How much worse than the release's ratio a figure may be before the bench fails.
pub const TOLERANCE: f64 = 0.10;

/// A gate's cold start as ratios to the Python sample's in the same run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ratios {
    /// Median cold start (fresh process to job result), gate : Python.
    pub cold_start: f64,
    /// Peak RSS of the function process, gate : Python.
    pub peak_rss: f64,
}

impl Ratios {
    /// The gate's figures against the Python sample's, both of one run.
    pub fn of(gate: &Figures, python: &Figures) -> Self {
        Self {
            cold_start: gate.cold.0 / python.cold.0,
            peak_rss: gate.peak_rss_mib / python.peak_rss_mib,
        }
    }
}

/// The release the cold start is held to.
pub struct Release {
    /// Its commit.
    pub commit: &'static str,
    /// Its ratios, and whether they were measured in this run (else they are the stored ones).
    pub ratios: Ratios,
    /// Measured in this run (`PIPEGUARD_BENCH_RELEASE_GATE`), not stored.
    pub measured: bool,
}

/// The last release before across accounts, the freezes and Oracle Cloud (8c0d2b9): its
/// health-gate built on its own (`cargo build --release -p health-gate`, as deployed) and
/// measured by this bench (`PIPEGUARD_BENCH_RELEASE_GATE`), 15 cold starts each, in the same
/// run as the Python sample, on the 2-core development machine (2026-12-08): 4.9 ms and 9.0 MiB
/// against the sample's 491.0 ms and 47.3 MiB.
pub const PREVIOUS_RELEASE: Release = Release {
    commit: "8c0d2b9",
    ratios: Ratios {
        cold_start: 0.0100,
        peak_rss: 0.1911,
    },
    measured: false,
};

/// The release held to: its health-gate measured now, beside the Python sample's `python`,
/// when `PIPEGUARD_BENCH_RELEASE_GATE` names its binary (how the stored ratios were measured);
/// else `PREVIOUS_RELEASE`.
pub async fn previous_release(python: &Figures, cold_runs: usize) -> Release {
    let Some(binary) = std::env::var_os("PIPEGUARD_BENCH_RELEASE_GATE") else {
        return PREVIOUS_RELEASE;
    };
    let contender = Contender::rust_at(binary.to_string_lossy().into_owned());
    let measured = gate::measure(&contender, Source::Api, cold_runs, 1, &[]).await;
    Release {
        ratios: Ratios::of(&measured, python),
        measured: true,
        ..PREVIOUS_RELEASE
    }
}

/// Why `now` is a regression against `release`: one line per figure more than `TOLERANCE`
/// over the release's ratio, with both ratios and by how much.
pub fn regressions(now: Ratios, release: &Release) -> Vec<String> {
    let figures = [
        ("cold start", now.cold_start, release.ratios.cold_start),
        ("peak RSS", now.peak_rss, release.ratios.peak_rss),
    ];
    // A figure that could not be read (NaN, or 0 when no process was seen) fails too, never passes.
    figures
        .into_iter()
        .filter(|(_, now, then)| now.is_nan() || *now <= 0.0 || *now > then * (1.0 + TOLERANCE))
        .map(|(figure, now, then)| {
            format!(
                "health-gate {figure}: {now:.4} of the Python sample's, {:.0}% over release {}'s {then:.4} (more than {:.0}% fails the bench)",
                (now / then - 1.0) * 100.0,
                release.commit,
                TOLERANCE * 100.0
            )
        })
        .collect()
}

/// The comparison as a table (the release's figures in this run's milliseconds and MiB: its ratio
/// times the Python sample's), and the regressions that fail the bench.
pub fn table(gate: &Figures, python: &Figures, release: &Release) -> (String, Vec<String>) {
    let now = Ratios::of(gate, python);
    let then = release.ratios;
    let source = if release.measured {
        "measured in this run"
    } else {
        "stored ratio x this run's Python"
    };
    let mut table = format!(
        "\n| health-gate cold start | now | release {} ({source}) | now : release |\n| --- | --- | --- | --- |\n",
        release.commit
    );
    table.push_str(&format!(
        "| fresh process to job result, median | {:.1} ms ({:.4} of Python, {:.0}x faster) | {:.1} ms ({:.4}, {:.0}x) | {:.3} |\n",
        gate.cold.0,
        now.cold_start,
        1.0 / now.cold_start,
        then.cold_start * python.cold.0,
        then.cold_start,
        1.0 / then.cold_start,
        now.cold_start / then.cold_start
    ));
    table.push_str(&format!(
        "| peak RSS | {:.1} MiB ({:.4} of Python, {:.1}x less) | {:.1} MiB ({:.4}, {:.1}x) | {:.3} |\n",
        gate.peak_rss_mib,
        now.peak_rss,
        1.0 / now.peak_rss,
        then.peak_rss * python.peak_rss_mib,
        then.peak_rss,
        1.0 / then.peak_rss,
        now.peak_rss / then.peak_rss
    ));
    (table, regressions(now, release))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RELEASE: Release = Release {
        commit: "abc1234",
        ratios: Ratios {
            cold_start: 0.020,
            peak_rss: 0.200,
        },
        measured: false,
    };

    #[test]
    fn within_ten_percent_of_the_release_passes() {
        let now = Ratios {
            cold_start: 0.0219,
            peak_rss: 0.219,
        };
        assert_eq!(regressions(now, &RELEASE), Vec::<String>::new());
    }

    #[test]
    fn a_slower_cold_start_fails_with_both_ratios() {
        let now = Ratios {
            cold_start: 0.0222,
            peak_rss: 0.150,
        };
        let found = regressions(now, &RELEASE);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("health-gate cold start: 0.0222"),
            "{found:?}"
        );
        assert!(
            found[0].contains("11% over release abc1234's 0.0200"),
            "{found:?}"
        );
    }

    #[test]
    fn more_memory_fails_on_its_own() {
        let now = Ratios {
            cold_start: 0.010,
            peak_rss: 0.230,
        };
        let found = regressions(now, &RELEASE);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("health-gate peak RSS: 0.2300"), "{found:?}");
        assert!(found[0].contains("15% over"), "{found:?}");
    }

    #[test]
    fn a_figure_that_could_not_be_read_fails() {
        let now = Ratios {
            cold_start: 0.010,
            peak_rss: f64::NAN,
        };
        assert_eq!(regressions(now, &RELEASE).len(), 1);
        let nothing = Ratios {
            cold_start: 0.0,
            peak_rss: 0.1,
        };
        assert_eq!(regressions(nothing, &RELEASE).len(), 1);
    }
}

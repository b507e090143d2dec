//! The checker's command line (clap): the commands, their arguments and their help, and the
//! dispatch of each to the module that carries it out on the session.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::session::Session;
use crate::{commands, dev, scaffold, watch};

/// The course checker: grades your exercises with property tests on a deterministic
/// scheduler.
///
/// With no command, it grades the lessons in order up to the first that does not pass yet,
/// shows your progress and what to do next.
#[derive(Debug, Parser)]
#[command(
    name = "checker",
    bin_name = "cargo run -p checker --",
    after_help = "LESSON is a name such as 03_channels (or just channels)."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// The memory limit of each graded run, in MiB: past it, the verdict is "too much memory"
    #[arg(long, global = true, value_name = "MIB", default_value_t = crate::child::DEFAULT_MEMORY_MIB,
          value_parser = clap::value_parser!(u64).range(64..))]
    memory: u64,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Every lesson and its state, as last graded
    List,
    /// Grade one lesson (default: the current one) or all of them
    Check {
        /// The lesson to grade
        lesson: Option<String>,
        /// Grade every lesson
        #[arg(long, conflicts_with = "lesson")]
        all: bool,
        /// Print the results in the Exercism test-runner format (v3): one JSON document for
        /// one lesson; with --all, a JSON array holding one document per lesson, in course order
        #[arg(long)]
        json: bool,
    },
    /// Show the next hint of a lesson (one more level each time)
    Hint {
        /// The lesson
        lesson: String,
    },
    /// Regrade the current lesson whenever you save
    Watch {
        /// Regrade when you press Enter instead
        #[arg(long)]
        manual: bool,
    },
    /// Run one failing schedule again, with the whole timeline
    Replay {
        /// The lesson
        lesson: String,
        /// The token printed under the failing property
        token: String,
    },
    /// Restore a lesson's original stub (your file is backed up first)
    Reset {
        /// The lesson
        lesson: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
    /// Show the reference solution of a lesson you have passed
    Solution {
        /// The lesson
        lesson: String,
    },
    /// Commands for instructors
    #[command(subcommand)]
    Dev(Dev),
}

#[derive(Debug, Subcommand)]
enum Dev {
    /// Prove the course sound: every stub fails, every solution passes, every mutant is
    /// caught, suites are single-sourced, generated files are fresh. Stubs are judged as
    /// committed (git `HEAD`), never a learner's working copy
    Check {
        /// Grade only the first mutant of each lesson (what `cargo test` runs; CI runs both)
        #[arg(long)]
        sample: bool,
    },
    /// Rewrite what is derived from the registry and the suites: workspace members, the
    /// book's table of contents and headings, the README's layout, each "Done means"
    Sync,
    /// Scaffold a lesson: every file and entry a lesson needs
    New {
        /// The lesson's name, NN_topic
        name: String,
    },
    /// Record the suites' checksums after editing a suite on purpose
    Sums,
    /// Grade each FILE as the lesson's lib.rs, in scratch copies (a .patch is applied to the
    /// solution)
    Try {
        /// The lesson
        lesson: String,
        /// The lib.rs files or patches to grade
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Grade with this suite file instead of the lesson's
        #[arg(long, value_name = "FILE.rs")]
        suite: Option<PathBuf>,
        /// Print Exercism results (the checker's own tests use these)
        #[arg(long)]
        json: bool,
    },
}

impl Cli {
    /// Opens the session and runs the command on it.
    pub(crate) fn run(self) -> Result<ExitCode, String> {
        crate::child::set_memory_mib(self.memory);
        let mut s = Session::open()?;
        let Some(command) = self.command else { return commands::course_flow(&mut s) };
        if matches!(command, Command::Dev(_)) {
            // An instructor's command, on purpose: the working SUMS is theirs to rewrite.
            crate::integrity::trust_working_sums();
        }
        match command {
            Command::List => commands::list(&s),
            Command::Check { lesson, all, json } => {
                commands::check(&mut s, lesson.as_deref(), all, json)
            }
            Command::Hint { lesson } => commands::hint(&mut s, &lesson),
            Command::Watch { manual } => watch::watch(&mut s, manual),
            Command::Replay { lesson, token } => commands::replay(&s, &lesson, &token),
            Command::Reset { lesson, yes } => commands::reset(&mut s, &lesson, yes),
            Command::Solution { lesson } => commands::solution(&s, &lesson),
            Command::Dev(Dev::Check { sample }) => dev::check(&s, sample),
            Command::Dev(Dev::New { name }) => scaffold::new_lesson(&s, &name),
            Command::Dev(Dev::Sums) => dev::sums(&s),
            Command::Dev(Dev::Sync) => dev::sync(&s),
            Command::Dev(Dev::Try { lesson, files, suite, json }) => {
                dev::try_files(&s, &lesson, &files, suite.as_deref(), json)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_typo_gets_a_suggestion() {
        let err = Cli::try_parse_from(["checker", "chek"]).unwrap_err().to_string();
        assert!(err.contains("similar subcommand exists: 'check'"), "{err}");
    }

    #[test]
    fn the_old_forms_still_parse() {
        for args in [
            &["checker", "check", "--all", "--json"][..],
            &["checker", "check", "channels"],
            &["checker", "reset", "--yes", "01_spawn"],
            &["checker", "reset", "01_spawn", "--yes"],
            &["checker", "dev", "try", "01_spawn", "a.patch", "b.rs", "--suite", "s.rs", "--json"],
            &["checker", "watch", "--manual"],
            &["checker", "--memory", "512", "check", "--all"],
            &["checker", "check", "01_spawn", "--memory", "8192"],
        ] {
            assert!(Cli::try_parse_from(args).is_ok(), "{args:?}");
        }
        assert!(Cli::try_parse_from(["checker", "check", "x", "--all"]).is_err());
        assert!(Cli::try_parse_from(["checker", "dev", "try", "01_spawn"]).is_err());
        assert!(Cli::try_parse_from(["checker", "--memory", "1"]).is_err(), "below 64 MiB");
    }
}

//! The monthly letters (§5.1): a provisional and a final one for each activity month, and
//! the names their files take.

use crate::model::calendar::Month;

/// Which of a month's two letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Stage {
    /// After flex: the month's figures and challenges, put to the provider.
    Provisional,
    /// After freeze and the provider's response window: agreed challenges and the net adjustment.
    Final,
}

impl Stage {
    /// The stage as commands, file names and letters write it: `provisional` or `final`.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Provisional => "provisional",
            Stage::Final => "final",
        }
    }
}

/// `<YYYY-MM>-<stage>-challenges.csv`: the letter's challenge CSV.
pub fn companion_name(month: Month, stage: Stage) -> String {
    format!("{month}-{}-challenges.csv", stage.name())
}

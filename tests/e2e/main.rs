//! levers' end-to-end tests, one binary: the real `levers` on small workspaces, and the
//! library's commands on workspaces written from strings. Golden files live in tests/golden
//! (regenerate with LEVERS_BLESS=1 and review the diff); contracts as data in tests/contracts.

mod common;

mod cases;
mod challenges;
mod charts;
mod cli;
mod consequences;
mod contracts;
mod hardening;
mod information;
mod letters;
mod reference;
mod sql;
mod workbook;

//! pachhook: checks Pachyderm pipeline specs before they are committed or pushed, and
//! deploys them with images tagged by the commit SHA.
//!
//! The flow: `source` (bytes from git or disk) → `spec` (read, normalize) → `check`
//! (rules, findings) → `report` (human, JSON). `commands` wire the flow to the command
//! line; the hooks and deploy only choose which sources to feed the engine.

pub mod atomic_write;
pub mod check;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod deploy;
pub mod diagnostic;
pub mod discover;
pub mod error;
pub mod escape;
pub mod explanation;
pub mod graph;
pub mod hooks;
pub mod image_ref;
pub mod jsonnet;
pub mod parallel;
pub mod percent;
pub mod process;
pub mod redact;
pub mod release;
pub mod repo;
pub mod report;
pub mod select;
pub mod source;
pub mod spec;

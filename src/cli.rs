//! The command line. `arbiter` alone serves, so `cargo run --release` starts a server.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "arbiter", version, about = "Authoritative game server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `serve`, accepted without the subcommand too.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Config file to load and watch [default: assets/config/server.toml if it exists, else the
    /// embedded defaults].
    #[arg(long, short, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,
}

impl Cli {
    /// The command to run, `serve` when none was named.
    pub fn into_command(self) -> Command {
        self.command.unwrap_or(Command::Serve(self.serve))
    }
}

use arbiter::cli::{Cli, Command, EventsCommand, Role, ServeArgs};
use bevy_app::AppExit;
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = cli.serve.config.clone();
    let outcome = match cli.into_command() {
        Command::Serve(args) => arbiter::serve::serve(&args),
        Command::Matchmaker(args) => arbiter::serve::serve(&ServeArgs {
            role: Role::Matchmaker,
            ..args
        }),
        Command::Token(args) => {
            arbiter::token::print_token(config.as_deref(), &args).map(|()| AppExit::Success)
        }
        Command::Bots(args) => arbiter::bots::run(&args).map(|()| AppExit::Success),
        Command::Migrate => arbiter::store_commands::migrate(config.as_deref()),
        Command::Replay(args) => arbiter::store_commands::replay(config.as_deref(), &args),
        Command::Verify(args) => arbiter::store_commands::verify(config.as_deref(), &args),
        Command::Grant(args) => arbiter::store_commands::grant(config.as_deref(), &args),
        Command::Rebalance => arbiter::store_commands::rebalance(config.as_deref()),
        Command::Events(EventsCommand::Tail(args)) => {
            arbiter::read::tail::tail(config.as_deref(), &args).map(|()| AppExit::Success)
        }
    };
    match outcome {
        Ok(AppExit::Success) => ExitCode::SUCCESS,
        Ok(AppExit::Error(code)) => ExitCode::from(code.get()),
        Err(error) => {
            // Logging may not be set up yet (a broken config file), so report on stderr directly.
            #[expect(
                clippy::print_stderr,
                reason = "the binary's last word when start-up fails"
            )]
            {
                eprintln!("arbiter: {error:#}");
            }
            ExitCode::FAILURE
        }
    }
}

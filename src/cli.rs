//! Command-line definitions (clap), nothing else.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::ColorChoice;

/// Build a highly available application cluster on AWS from one YAML topology: a load balancer in front
/// of auto-scaled app nodes, with shared storage and database; preview, apply, destroy.
#[derive(Debug, Parser)]
#[command(name = "clusterup", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// AWS region for commands without a topology (`destroy --name`, `output`); with a topology it must
    /// match the topology's `region`
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// AWS shared-config profile to take credentials from
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (LocalStack, moto); AWS_ENDPOINT_URL does the same
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL", value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// More detail on stderr (-v: info, -vv: debug, -vvv: AWS SDK debug)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only results and errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// When to use colours
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// No live view redrawn in place during apply and destroy: one plain line per step instead (as when
    /// stderr is not a terminal, CI=true or NO_COLOR is set)
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// Allow apply and destroy to delete data: the shared file system, and a database whose topology says
    /// `deletion: delete` (without it, such plans are refused; databases otherwise get a final snapshot)
    #[arg(long, global = true)]
    pub delete_data: bool,
    /// How many AWS actions run at once during apply and destroy (each is rate-limited per service)
    #[arg(long, global = true, default_value_t = crate::engine::DEFAULT_PARALLELISM, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a topology offline: syntax, types, and the rules AWS enforces (no credentials needed)
    Validate {
        /// The topology file
        file: PathBuf,
    },
    /// Show what apply would change, without changing anything
    Plan {
        /// The topology file
        file: PathBuf,
        /// Save the plan, to apply exactly it later with `clusterup apply PLAN`
        #[arg(long, value_name = "PLAN")]
        out: Option<PathBuf>,
        /// Print the plan as JSON on stdout
        #[arg(long)]
        json: bool,
        /// Exit 2 when there are changes, 0 when there are none (1 stays an error)
        #[arg(long)]
        detailed_exitcode: bool,
    },
    /// Create or update the deployment so it matches the topology
    Apply {
        /// A topology file, or a plan saved with `plan --out`
        file: PathBuf,
        /// Do not ask for confirmation (required without a terminal)
        #[arg(short, long)]
        yes: bool,
        /// Take the deployment's lock even if another run holds it (only when that run is gone)
        #[arg(long)]
        force_unlock: bool,
    },
    /// Delete every resource of a deployment, then check that nothing tagged with it is left
    Destroy {
        /// The topology file (or use --name)
        #[arg(required_unless_present = "name", conflicts_with = "name")]
        file: Option<PathBuf>,
        /// The deployment name, when the topology file is gone
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Do not ask for confirmation (required without a terminal)
        #[arg(short, long)]
        yes: bool,
        /// Take the deployment's lock even if another run holds it (only when that run is gone)
        #[arg(long)]
        force_unlock: bool,
    },
    /// Print a deployment's outputs (URL, ids), read from AWS
    Output {
        /// The deployment name
        name: String,
        /// Print them as a JSON object
        #[arg(long)]
        json: bool,
    },
    /// Print the resource dependency graph of a topology (offline)
    Graph {
        /// The topology file
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
    },
    /// Print the JSON Schema of the topology file, for editor completion
    Schema,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

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
    /// AWS region for commands without a topology (`destroy --name`, `output`, `status NAME`, `spark ...
    /// NAME`); with a topology it must match the topology's `region`
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// AWS shared-config profile to take credentials from
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (LocalStack, moto); AWS_ENDPOINT_URL does the same
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL", value_name = "URL", value_parser = crate::aws::parse_endpoint_url)]
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
    /// No live progress lines during apply and destroy
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
        /// Price the cost estimate with the AWS Price List API instead of the dated table in the repository
        #[arg(long)]
        pricing_api: bool,
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
    /// Is every tier healthy right now: read live from AWS. Exit 0 healthy, 3 degraded or down, 1 error
    Status {
        /// The deployment name, or its topology file
        #[arg(value_name = "NAME|FILE")]
        target: String,
        /// Print the report as JSON (schema: docs/status.schema.json)
        #[arg(long)]
        json: bool,
        /// Keep reading and redraw the report (in place on a terminal), until Ctrl-C
        #[arg(long)]
        watch: bool,
        /// Seconds between reads with --watch
        #[arg(long, default_value_t = 10, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600), requires = "watch")]
        interval: u64,
        /// Stop --watch after this many reads (the exit code is the last read's)
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), requires = "watch")]
        count: Option<u64>,
        /// Add what the deployment costs per hour and month
        #[arg(long)]
        cost: bool,
        /// With --cost: price with the AWS Price List API instead of the dated table in the repository
        #[arg(long, requires = "cost")]
        pricing_api: bool,
    },
    /// Run work on the deployment's Spark cluster
    #[command(subcommand)]
    Spark(SparkCommand),
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

#[derive(Debug, Subcommand)]
pub enum SparkCommand {
    /// Copy a job (.py or .jar) to the deployment's bucket, run it as an EMR step (spark-submit, cluster
    /// mode) and follow it to its end
    Submit {
        /// The deployment name, or its topology file
        #[arg(value_name = "NAME|FILE")]
        target: String,
        /// The job: a PySpark script (.py) or an application jar (.jar)
        job: PathBuf,
        /// Arguments passed to the job
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
        /// The main class of a jar (without it, the jar's manifest names it)
        #[arg(long, value_name = "CLASS")]
        class: Option<String>,
        /// The step's name (default: `clusterup: <job file name>`)
        #[arg(long)]
        name: Option<String>,
        /// Add the step and return at once, printing its id and where its logs will be
        #[arg(long)]
        no_wait: bool,
        /// Stop following the step after this long (the step goes on): 90s, 30m, 2h
        #[arg(long, default_value = "6h", value_name = "DURATION", value_parser = crate::spark::parse_duration, conflicts_with = "no_wait")]
        timeout: std::time::Duration,
    },
    /// List the recent steps of the deployment's Spark cluster
    Jobs {
        /// The deployment name, or its topology file
        #[arg(value_name = "NAME|FILE")]
        target: String,
        /// How many steps, newest first
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=50))]
        limit: u16,
        /// Print them as JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

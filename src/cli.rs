//! Command-line definitions (clap), nothing else.
//!
//! Options sit where they mean something: `-v`, `-q` and `--color` on every command ("Global options");
//! where AWS calls go and as whom on the commands that make them ("AWS options"); how changes run on
//! `apply` and `destroy` ("Run options"). The help, the shell completions and the man page are all
//! generated from these definitions.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::ColorChoice;
use crate::rollout::Steps;

/// `0.1.0 (3c0bb40a1b2c 2026-12-06)`: the version, the commit built from and the build date (see
/// build.rs), so a bug report names the exact build.
pub const VERSION: &str =
    concat!(env!("CARGO_PKG_VERSION"), " (", env!("CLUSTERUP_COMMIT"), " ", env!("CLUSTERUP_BUILD_DATE"), ")");

/// Build a highly available application cluster on AWS from one YAML topology: a load balancer in front
/// of auto-scaled app nodes, with shared storage and database; preview, apply, destroy.
#[derive(Debug, Parser)]
#[command(name = "clusterup", version = VERSION, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Whether `--no-progress` was given (only apply and destroy take it).
    pub fn no_progress(&self) -> bool {
        match &self.command {
            Command::Apply { run, .. } | Command::Destroy { run, .. } => run.no_progress,
            _ => false,
        }
    }
}

/// What every command takes: how much to say, and in which colours.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// More detail on stderr (-v: info, -vv: debug, -vvv: AWS SDK debug)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only results and errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// When to use colours (NO_COLOR in the environment means never, for `auto`)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// Where AWS calls go, and as whom: for the commands that call AWS.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "AWS options")]
pub struct AwsArgs {
    /// AWS region for commands without a topology (`destroy --name`, `output`, `status NAME`, `spark ...
    /// NAME`); with a topology it must match the topology's `region`. Default: AWS_REGION, else the
    /// profile's region
    #[arg(long, value_name = "REGION", value_parser = region)]
    pub region: Option<String>,
    /// AWS shared-config profile to take credentials (and the default region) from
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint (LocalStack, moto); AWS_ENDPOINT_URL does the same
    #[arg(long, env = "AWS_ENDPOINT_URL", value_name = "URL", value_parser = crate::aws::parse_endpoint_url)]
    pub endpoint_url: Option<String>,
}

/// How apply and destroy carry out their changes.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Run options")]
pub struct RunArgs {
    /// How many AWS actions run at once (each is rate-limited per service)
    #[arg(long, default_value_t = crate::engine::DEFAULT_PARALLELISM, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
    /// No live view redrawn in place: one plain line per step instead (as when stderr is not a
    /// terminal, CI=true or NO_COLOR is set)
    #[arg(long)]
    pub no_progress: bool,
    /// Allow deleting data: the shared file system, and a database whose topology says
    /// `deletion: delete` (without it, such plans are refused; databases otherwise get a final snapshot)
    #[arg(long)]
    pub delete_data: bool,
}

/// What plan and apply compare.
#[derive(Debug, Clone, Copy, Default, Args)]
#[command(next_help_heading = "Plan options")]
pub struct PlanArgs {
    /// Set the group's desired node count to the topology's, even with a scaling policy (which
    /// otherwise owns it after creation)
    #[arg(long)]
    pub set_desired: bool,
}

/// How a canary rollout goes (`rollout`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Run options")]
pub struct RolloutArgs {
    /// The canary's share of the traffic at each step, in percent: rising, the last one 100
    /// (e.g. 10,50,100). Give the same steps again to resume a rollout that was interrupted
    #[arg(long, value_name = "STEPS", required_unless_present = "rollback", value_parser = clap::value_parser!(Steps))]
    pub canary: Option<Steps>,
    /// How long each step is watched before the next: every canary target must stay healthy for all of
    /// it (30s, 5m, 1h; 1s to 1d)
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = step_time)]
    pub step_time: Duration,
    /// A step fails when more than this share of the canary's answers are 5xx (CloudWatch's count for
    /// its target group; none counted is none failed)
    #[arg(long, value_name = "PERCENT", default_value_t = 1.0, value_parser = percent)]
    pub max_5xx_percent: f64,
    /// How long each step's last look waits after --step-time for CloudWatch's last minutes (the load
    /// balancer sends its figures per minute, published a minute or two later); 0s where there are none
    /// to wait for, as on an emulator (0s to 15m)
    #[arg(long, value_name = "DURATION", default_value = "3m", value_parser = metrics_delay)]
    pub metrics_delay: Duration,
    /// The node group to roll out: one the load balancer routes to, by the default route (alone or
    /// shared by weight: the canary splits the group's share) or by paths and hosts (the canary splits
    /// its listener rules), and not a singleton. Default: the one group that takes the default route, or
    /// the group of the rollout in progress. Other groups' nodes are replaced by `apply`
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
    /// Undo the rollout in progress instead: all the rolled-out group's traffic back to it at once (each
    /// route as the topology composes it), the canary group and target group deleted, the launch
    /// template's default version put back
    #[arg(long, conflicts_with = "canary")]
    pub rollback: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented starter topology that validates as written
    Init {
        /// The deployment name: lowercase letters, digits and hyphens, at most 21 characters
        #[arg(value_parser = deployment_name)]
        name: String,
        /// Add the shared metadata database (RDS MySQL, Multi-AZ)
        #[arg(long)]
        database: bool,
        /// Add the shared data folder (EFS), mounted on every node
        #[arg(long)]
        storage: bool,
        /// Add a Spark cluster (EMR); with --database its Hive metastore lives in that database
        #[arg(long)]
        spark: bool,
        /// Several node groups instead of one app tier: a web group, a singleton coordinator and
        /// workers started after it
        #[arg(long)]
        groups: bool,
        /// The AWS region to deploy to
        #[arg(long, default_value = "us-east-1", value_name = "REGION", value_parser = region)]
        region: String,
        /// Where to write the topology [default: NAME.yaml]
        #[arg(short, long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Overwrite the file if it exists
        #[arg(long)]
        force: bool,
    },
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
        /// One line per resource, without properties (the summary and estimate stay)
        #[arg(long, conflicts_with = "json")]
        compact: bool,
        /// Price the cost estimate with the AWS Price List API instead of the dated table in the repository
        #[arg(long)]
        pricing_api: bool,
        #[command(flatten)]
        options: PlanArgs,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Create or update the deployment so it matches the topology
    Apply {
        /// A topology file, or a plan saved with `plan --out`
        file: PathBuf,
        /// Do not ask for confirmation (required without a terminal)
        #[arg(short, long)]
        yes: bool,
        /// Show the plan as one line per resource, without properties
        #[arg(long)]
        compact: bool,
        /// Take the deployment's lock even if another run holds it (only when that run is gone)
        #[arg(long)]
        force_unlock: bool,
        #[command(flatten)]
        options: PlanArgs,
        #[command(flatten)]
        aws: AwsArgs,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Roll a new node version out through a weighted canary, each step gated on its health
    ///
    /// A second group on the new launch template version takes a growing share of the traffic, each
    /// step gated on its health, and the rollout ends with the group on the new version and the
    /// canary gone (or, on a failure, back where it began).
    Rollout {
        /// The topology file
        file: PathBuf,
        /// Do not ask for confirmation (required without a terminal)
        #[arg(short, long)]
        yes: bool,
        /// Take the deployment's lock even if another run holds it (only when that run is gone)
        #[arg(long)]
        force_unlock: bool,
        #[command(flatten)]
        rollout: RolloutArgs,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Delete every resource of a deployment, then check that nothing tagged with it is left
    Destroy {
        /// The deployment name, or its topology file
        #[arg(value_name = "NAME|FILE", required_unless_present = "name", conflicts_with = "name")]
        target: Option<String>,
        /// The deployment name (the older spelling of `destroy NAME`, kept for scripts)
        #[arg(long, value_name = "NAME", value_parser = deployment_name, hide = true)]
        name: Option<String>,
        /// Do not ask to type the deployment name (required without a terminal)
        #[arg(short, long)]
        yes: bool,
        /// Show the plan as one line per resource, without properties
        #[arg(long)]
        compact: bool,
        /// Take the deployment's lock even if another run holds it (only when that run is gone)
        #[arg(long)]
        force_unlock: bool,
        #[command(flatten)]
        aws: AwsArgs,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Print a deployment's outputs (URL, ids), read from AWS
    Output {
        /// The deployment name, or its topology file
        #[arg(value_name = "NAME|FILE")]
        target: String,
        /// Print them as a JSON object
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        aws: AwsArgs,
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
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// List the deployment's DB snapshots and EFS backups, their sizes and how to delete them
    ///
    /// Read from AWS (DescribeDBSnapshots of the deployment's database, which snapshots keep after the
    /// database is gone; AWS Backup's recovery points tagged with the deployment), so it works after
    /// destroy. `database.restore_from: latest` restores the newest final snapshot
    Snapshots {
        /// The deployment name, or its topology file
        #[arg(value_name = "NAME|FILE")]
        target: String,
        /// Print them as JSON
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Run a shell command on the app nodes through Systems Manager (no SSH), and print each node's output
    ///
    /// The command goes to one node (--node) or to every running node of a group (--group, default the
    /// app group) as AWS-RunShellScript's `commands` parameter, run by root through the SSM agent; each
    /// node's output is printed under its id with its exit code. Exit 0 when it succeeded on every node,
    /// 4 when it failed on any (non-zero exit, timed out, cancelled), 1 on an error, 130 on Ctrl-C (the
    /// command goes on on the nodes).
    #[command(after_help = "Example: clusterup exec smarten-prod -- 'df -h /mnt/shared && systemctl status app'")]
    Exec {
        /// The deployment name, or its topology file
        #[arg(value_name = "NAME|FILE")]
        target: String,
        /// Run it on this node only (an instance id of the deployment's app nodes)
        #[arg(long, value_name = "ID", conflicts_with = "group")]
        node: Option<String>,
        /// Run it on every running node of this group: `main` (the app group), `canary` (a rollout's), or
        /// a group's name
        #[arg(long, value_name = "GROUP", default_value = "main")]
        group: String,
        /// The command, after `--`: one shell command line (its words are joined with spaces, as ssh does)
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<String>,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Open a shell on an app node through Session Manager (no SSH): runs `aws ssm start-session`
    ///
    /// Needs the AWS CLI and the Session Manager plugin; it is given the same region, profile and
    /// endpoint as clusterup. The session ends with `exit`.
    Shell {
        /// The deployment name, or its topology file
        #[arg(value_name = "NAME|FILE")]
        target: String,
        /// The node (an instance id of the deployment's app nodes); default: the first healthy app node
        #[arg(long, value_name = "ID")]
        node: Option<String>,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Print the app nodes' logs (their app log and system journal) from CloudWatch Logs
    ///
    /// Each line is the event's time (UTC), the node it came from (its log stream: the instance id, with
    /// `/journal` after it for the system journal) and the event. Read from every group's log group
    /// (`/clusterup/<deployment>/<group>`), or --group's. --follow keeps reading new events (every
    /// second) until Ctrl-C.
    #[command(after_help = "Example: clusterup logs smarten-prod --group app --since 1h --filter ERROR")]
    Logs {
        /// The deployment name, or its topology file
        #[arg(value_name = "NAME|FILE")]
        target: String,
        /// Only this node group's logs (default: every group's)
        #[arg(long, value_name = "GROUP")]
        group: Option<String>,
        /// How far back to start: a duration such as 30s, 15m, 2h or 7d
        #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = since)]
        since: std::time::Duration,
        /// Keep printing new events until Ctrl-C
        #[arg(long)]
        follow: bool,
        /// Only events that contain this text (as written, case-sensitive)
        #[arg(long, value_name = "TEXT")]
        filter: Option<String>,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Run work on the deployment's Spark cluster
    #[command(subcommand)]
    Spark(SparkCommand),
    /// Release the deployment's lock held by a run that is gone (apply, destroy and rollout say its id)
    ///
    /// Only for a holder that no longer runs: the lock keeps two runs from changing one deployment at
    /// once. The id must match the lock's, so a lock taken since by another run is left alone.
    #[command(name = "force-unlock")]
    ForceUnlock {
        /// The deployment name, or its topology file
        #[arg(value_name = "NAME|FILE")]
        target: String,
        /// The id of the lock to release, as the message about the lock shows it
        #[arg(value_name = "LOCK_ID")]
        lock_id: String,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Print the resource dependency graph of a topology (offline)
    Graph {
        /// The topology file
        file: PathBuf,
        /// Graphviz `dot` (render with `dot -Tsvg`) or a Mermaid flowchart (Markdown, GitHub)
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
    },
    /// Print the least-privilege IAM policy the identity running clusterup needs for this deployment
    ///
    /// Every action clusterup calls, on this deployment's resources only (by their names or the
    /// clusterup:deployment tag), roles passed only to their services, and with iam.permissions_boundary
    /// roles made only under it. Without --account, the account and partition are the caller's (STS
    /// GetCallerIdentity)
    IamPolicy {
        /// The topology file
        file: PathBuf,
        /// The 12-digit account the deployment lives in (no AWS call is then made)
        #[arg(long, value_name = "ID", value_parser = parse_account)]
        account: Option<String>,
        /// With --account: the partition (aws, aws-cn, aws-us-gov); default: the region's
        #[arg(long, value_name = "PARTITION", requires = "account", value_parser = ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"])]
        partition: Option<String>,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Print the JSON Schema of the topology file, for editor completion
    Schema,
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    ///
    /// Install it where your shell looks, e.g.
    /// `clusterup completions bash > ~/.local/share/bash-completion/completions/clusterup`, or
    /// `clusterup completions zsh > ~/.zfunc/_clusterup` (with ~/.zfunc in $fpath), or
    /// `clusterup completions fish > ~/.config/fish/completions/clusterup.fish`.
    Completions {
        /// The shell to complete in
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), of clusterup or of one command
    ///
    /// Read it with `clusterup man | man -l -`, or install it:
    /// `clusterup man > ~/.local/share/man/man1/clusterup.1` (and `clusterup man apply >
    /// ~/.local/share/man/man1/clusterup-apply.1` for a command's own page).
    Man {
        /// A command to print the page of, instead of clusterup's own
        command: Option<String>,
    },
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
        #[command(flatten)]
        aws: AwsArgs,
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
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Print a step's standard error, as EMR copied it to the deployment's bucket
    ///
    /// Read from `<log uri><cluster>/steps/<step>/stderr.gz` (the cluster's LogUri, the bucket's logs/
    /// folder). EMR copies a step's logs there every few minutes while it runs and once it ends.
    Logs {
        /// The deployment name, or its topology file
        #[arg(value_name = "NAME|FILE")]
        target: String,
        /// The step's id (`s-...`, as `spark submit` and `spark jobs` show it)
        #[arg(value_name = "STEP")]
        step: String,
        #[command(flatten)]
        aws: AwsArgs,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

/// A step time: a duration as the topology writes them, from a second to a day.
fn step_time(text: &str) -> Result<Duration, String> {
    let time = crate::topology::parse_duration(text)?;
    if (1..=86_400).contains(&time.as_secs()) {
        Ok(time)
    } else {
        Err(format!("`{text}` is out of range: expected 1s to 1d"))
    }
}

/// A wait for CloudWatch: a duration from none to a quarter of an hour.
fn metrics_delay(text: &str) -> Result<Duration, String> {
    let time = crate::topology::parse_duration(text)?;
    if time.as_secs() <= 900 {
        Ok(time)
    } else {
        Err(format!("`{text}` is out of range: expected 0s to 15m"))
    }
}

/// A percentage from 0 to 100, fractions allowed.
fn percent(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(n) if (0.0..=100.0).contains(&n) => Ok(n),
        _ => Err(format!("`{text}` is not a percentage from 0 to 100")),
    }
}

/// A region given on the command line is one AWS knows, as the topology's `region` must be.
fn region(text: &str) -> Result<String, String> {
    crate::topology::check_region(text)?;
    Ok(text.to_owned())
}

/// A deployment name given on the command line follows the same rule as the topology's `name`.
fn deployment_name(text: &str) -> Result<String, String> {
    crate::topology::check_deployment_name(text)?;
    Ok(text.to_owned())
}

/// A 12-digit AWS account id.
fn parse_account(text: &str) -> Result<String, String> {
    if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_owned())
    } else {
        Err(format!("`{text}` is not an AWS account id (12 digits)"))
    }
}

/// `--since`: a duration as the topology writes them (`15m`, `2h`, `7d`).
fn since(text: &str) -> Result<std::time::Duration, String> {
    crate::topology::parse_duration(text)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_and_option_has_a_description() {
        let mut cli = Cli::command();
        cli.build();
        let mut missing = Vec::new();
        for command in std::iter::once(&cli).chain(cli.get_subcommands()) {
            if command.get_name() != "clusterup" && command.get_about().is_none() {
                missing.push(command.get_name().to_owned());
            }
            for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
                if arg.get_help().is_none() {
                    missing.push(format!("{} {}", command.get_name(), arg.get_id()));
                }
            }
        }
        assert_eq!(missing, Vec::<String>::new(), "without a description");
    }
}

//! Shell completions and man pages, generated from the same clap definitions as the help, so they
//! cannot drift from the options the binary takes. The man pages add what `--help` does not say: exit
//! status, environment, files and examples (`manual`).

use anyhow::{bail, Context, Result};
use clap::CommandFactory;

use super::ExitStatus;
use crate::cli::Cli;
use crate::output::Printer;

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell, printer: &Printer) -> Result<ExitStatus> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "clusterup", &mut script);
    printer.out(&String::from_utf8(script).context("the completion script is not UTF-8")?);
    Ok(ExitStatus::Success)
}

/// The man page of clusterup, or of one of its commands (`clusterup-apply(1)`), or of a command of a
/// command (`spark-submit`, or `"spark submit"`: `clusterup-spark-submit(1)`), as roff.
pub fn man(command: Option<&str>, printer: &Printer) -> Result<ExitStatus> {
    let mut cli = Cli::command();
    // Building propagates the global options into every command, as parsing does.
    cli.build();
    let (page, path) = match command {
        None => (clap_mangen::Man::new(cli.clone()), Vec::new()),
        Some(name) => {
            let Some((sub, path)) = find(&cli, name) else {
                bail!("no command named `{name}`; man pages exist for: {}", page_names(&cli).join(", "));
            };
            let title = format!("clusterup-{}", path.join("-"));
            let page = clap_mangen::Man::new(sub.clone().display_name(title.clone()))
                .title(title)
                .source(format!("clusterup {}", env!("CARGO_PKG_VERSION")));
            (page, path)
        }
    };
    let mut roff = Vec::new();
    page.render(&mut roff).context("rendering the man page")?;
    let roff = String::from_utf8(roff).context("the man page is not UTF-8")?;
    let extra = manual::sections(&path.iter().map(String::as_str).collect::<Vec<_>>(), &page_names(&cli));
    // Before VERSION, where man pages keep these sections; at the end when there is none.
    let page = match roff.split_once("\n.SH VERSION\n") {
        Some((head, version)) => format!("{head}\n{extra}.SH VERSION\n{version}"),
        None => format!("{roff}{extra}"),
    };
    printer.out(&page);
    Ok(ExitStatus::Success)
}

/// The command `name` names: `apply`, `force-unlock`, `spark-submit` or `spark submit`, with its path
/// of command names.
fn find<'a>(cli: &'a clap::Command, name: &str) -> Option<(&'a clap::Command, Vec<String>)> {
    if let Some(sub) = cli.find_subcommand(name) {
        return Some((sub, vec![sub.get_name().to_owned()]));
    }
    let (first, rest) = name.split_once([' ', '-'])?;
    let parent = cli.find_subcommand(first)?;
    let sub = parent.find_subcommand(rest)?;
    Some((sub, vec![parent.get_name().to_owned(), sub.get_name().to_owned()]))
}

/// Every page there is: `apply`, ..., `spark-submit`, `spark-jobs`.
fn page_names(cli: &clap::Command) -> Vec<String> {
    let mut names = Vec::new();
    for sub in cli.get_subcommands().filter(|s| s.get_name() != "help") {
        names.push(sub.get_name().to_owned());
        for nested in sub.get_subcommands().filter(|s| s.get_name() != "help") {
            names.push(format!("{}-{}", sub.get_name(), nested.get_name()));
        }
    }
    names
}

mod manual {
    //! The sections of the man pages that clap does not make, as roff.

    /// `(term, description)`: one entry of a section's list.
    type Entry = (&'static str, &'static str);

    const EXIT_STATUS: &[Entry] = &[
        ("0", "Success. With plan --detailed-exitcode: no changes."),
        (
            "1",
            "An error: the message names the resource, the AWS call, AWS's error code and what to do. Also a usage \
             error, and a canary rollout that failed and was rolled back.",
        ),
        ("2", "plan --detailed-exitcode found changes (or a canary rollout in progress)."),
        ("3", "status: a tier is degraded or down; the last line says which and why."),
        (
            "130",
            "Interrupted by Ctrl-C (or a closed output). Everything done so far is recorded in AWS tags: the same \
             command resumes where it stopped. A second Ctrl-C exits at once.",
        ),
    ];

    const ENVIRONMENT: &[Entry] = &[
        ("AWS_ENDPOINT_URL", "Send every AWS call to this endpoint (LocalStack, moto), as --endpoint-url does."),
        ("AWS_REGION", "The region of commands given a deployment name rather than a file."),
        (
            "AWS_PROFILE",
            "The shared-config profile for credentials and region, as --profile; a profile the config files do \
             not have is refused.",
        ),
        (
            "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN",
            "Credentials, read first by the standard AWS chain (then the profile, SSO, the instance or container \
             role).",
        ),
        ("AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE", "Where the profiles are, instead of ~/.aws/."),
        ("NO_COLOR", "No colours, and no progress view redrawn in place."),
        ("CI", "Set (to anything but false or 0): plain progress lines instead of a view redrawn in place."),
        ("RUST_LOG", "Log filter for -v output, e.g. clusterup=debug."),
    ];

    const FILES: &[Entry] = &[
        ("NAME.yaml", "The topology: what to build (clusterup init writes a commented one; docs/topology.md)."),
        ("PLAN", "A plan saved by plan --out, applied exactly by apply PLAN."),
        ("~/.aws/config, ~/.aws/credentials", "The AWS profiles --profile and AWS_PROFILE name."),
        (
            "AWS itself",
            "Nothing else is kept locally: resources carry the tags clusterup:deployment and clusterup:resource, and \
             the lock of apply, destroy and rollout is the SSM parameter /clusterup/NAME/lock.",
        ),
    ];

    /// Examples for the page of the command at `path` (the top page for none).
    fn examples(path: &[&str]) -> &'static [Entry] {
        match path {
            [] => &[
                ("clusterup init shop --database --storage", "Write shop.yaml, a starter topology."),
                ("clusterup plan shop.yaml", "Show what apply would change, and what it costs."),
                ("clusterup apply shop.yaml", "Build it (shows the plan and its cost, then asks)."),
                ("clusterup status shop", "Every tier's health, read live."),
                ("clusterup destroy shop", "Delete everything, after the name is typed."),
            ],
            ["init"] => &[("clusterup init shop --spark --database", "App tier, database and a Spark cluster.")],
            ["validate"] => &[("clusterup validate shop.yaml", "Offline: syntax, types, names AWS knows.")],
            ["plan"] => &[
                ("clusterup plan shop.yaml", "The changes, the cost once applied and what they change it by."),
                ("clusterup plan --detailed-exitcode shop.yaml", "Exit 2 when there are changes (a drift check)."),
                ("clusterup plan --out shop.plan shop.yaml", "Save the plan for apply shop.plan."),
            ],
            ["apply"] => &[
                ("clusterup apply shop.yaml", "Show the plan and its cost, ask, build."),
                ("clusterup apply --yes shop.plan", "Apply exactly a saved plan, without asking."),
            ],
            ["rollout"] => &[
                ("clusterup rollout shop.yaml --canary 10,50,100", "A new node version through a weighted canary."),
                ("clusterup rollout shop.yaml --rollback", "Undo the rollout in progress."),
            ],
            ["destroy"] => &[
                ("clusterup destroy shop", "Delete the deployment shop (in AWS_REGION), after the name is typed."),
                ("clusterup destroy --yes --delete-data shop.yaml", "Also the shared folder, without asking."),
            ],
            ["output"] => &[("clusterup output --json shop --region eu-west-1", "The outputs as JSON.")],
            ["status"] => &[
                ("clusterup status shop.yaml", "Every tier's health; exit 3 when one is degraded or down."),
                ("clusterup status shop --watch --interval 30", "Read again every 30 s, until Ctrl-C."),
            ],
            ["force-unlock"] => &[(
                "clusterup force-unlock shop 4f1c2a9d0b7e6c35",
                "Release the lock of a run that is gone (apply, destroy and rollout show the id).",
            )],
            ["spark"] | ["spark", "submit"] => &[
                ("clusterup spark submit shop report.py 2026-11", "Run report.py with one argument, follow it."),
                ("clusterup spark submit --no-wait shop job.jar --class com.example.Main", "Add the step, return."),
            ],
            ["spark", "jobs"] => &[("clusterup spark jobs shop --limit 5", "The five newest steps.")],
            ["graph"] => &[("clusterup graph shop.yaml | dot -Tsvg > shop.svg", "Draw the resource graph.")],
            ["schema"] => &[("clusterup schema > topology.schema.json", "For editor completion.")],
            ["completions"] => &[("clusterup completions bash > /etc/bash_completion.d/clusterup", "Bash.")],
            ["man"] => &[("clusterup man spark-submit | man -l -", "Read the page of spark submit.")],
            _ => &[],
        }
    }

    /// Text as roff prints it: backslashes and hyphens escaped, no line taken for a request.
    fn escaped(text: &str) -> String {
        let text = text.replace('\\', "\\\\").replace('-', "\\-");
        if text.starts_with(['.', '\'']) {
            format!("\\&{text}")
        } else {
            text
        }
    }

    fn section(out: &mut String, title: &str, entries: &[Entry]) {
        if entries.is_empty() {
            return;
        }
        out.push_str(&format!(".SH \"{title}\"\n"));
        for (term, description) in entries {
            out.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", escaped(term), escaped(description)));
        }
    }

    /// EXIT STATUS, ENVIRONMENT, FILES, EXAMPLES and SEE ALSO for the page of the command at `path`.
    pub fn sections(path: &[&str], pages: &[String]) -> String {
        let mut out = String::new();
        section(&mut out, "EXIT STATUS", EXIT_STATUS);
        section(&mut out, "ENVIRONMENT", ENVIRONMENT);
        section(&mut out, "FILES", FILES);
        section(&mut out, "EXAMPLES", examples(path));
        let mut see: Vec<String> = Vec::new();
        if !path.is_empty() {
            see.push("clusterup(1)".into());
        }
        let own = path.join("-");
        see.extend(pages.iter().filter(|p| **p != own).map(|p| format!("clusterup-{p}(1)")));
        out.push_str(&format!(".SH \"SEE ALSO\"\n{}\n", escaped(&see.join(", "))));
        out
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn roff_requests_hyphens_and_backslashes_are_escaped() {
            assert_eq!(escaped(".hidden --yes a\\b"), "\\&.hidden \\-\\-yes a\\\\b");
            let text = sections(&["spark", "submit"], &["apply".into(), "spark-submit".into()]);
            assert!(text.contains(".SH \"EXIT STATUS\"\n.TP\n\\fB0\\fR\n"), "{text}");
            assert!(text.contains("\\fB130\\fR"), "{text}");
            assert!(text.contains("clusterup spark submit shop report.py"), "{text}");
            assert!(text.contains(".SH \"SEE ALSO\"\nclusterup(1), clusterup\\-apply(1)\n"), "{text}");
        }
    }
}

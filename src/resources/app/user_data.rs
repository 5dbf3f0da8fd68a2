//! Rendering the app nodes' user-data template: `{{ name }}` placeholders, nothing else, so that a shell
//! script stays a shell script. An unknown placeholder is an error before any AWS call.

use std::collections::BTreeMap;

use crate::topology::Topology;

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{origin}: line {line}: {message}")]
pub struct TemplateError {
    pub origin: String,
    pub line: usize,
    pub message: String,
}

/// The values a template can use, by name.
pub fn variables(topology: &Topology) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("deployment", topology.name.clone()),
        ("region", topology.region.clone()),
        ("app_port", topology.app.port.to_string()),
        ("health_check_path", topology.load_balancer.health_check.path.clone()),
    ])
}

/// Render the topology's user-data template.
pub fn render_for(topology: &Topology) -> Result<String, TemplateError> {
    render(&topology.app.user_data_template, &topology.app.user_data_origin, &variables(topology))
}

pub fn render(template: &str, origin: &str, vars: &BTreeMap<&'static str, String>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let line = template.len() - rest.len() + start;
        let line = template[..line].matches('\n').count() + 1;
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(TemplateError { origin: origin.into(), line, message: "`{{` without a closing `}}`".into() });
        };
        let name = after[..end].trim();
        match vars.get(name) {
            Some(value) => out.push_str(value),
            None => {
                let known: Vec<&str> = vars.keys().copied().collect();
                return Err(TemplateError {
                    origin: origin.into(),
                    line,
                    message: format!("unknown placeholder `{{{{ {name} }}}}`; available: {}", known.join(", ")),
                });
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> BTreeMap<&'static str, String> {
        BTreeMap::from([("deployment", "demo".to_owned()), ("app_port", "8080".to_owned())])
    }

    #[test]
    fn replaces_placeholders_with_or_without_spaces() {
        let out = render("name={{deployment}} port={{ app_port }}\n", "t", &vars()).expect("renders");
        assert_eq!(out, "name=demo port=8080\n");
    }

    #[test]
    fn unknown_placeholder_names_line_and_choices() {
        let err = render("#!/bin/bash\n\necho {{ db_password }}\n", "app.sh", &vars()).expect_err("unknown");
        assert_eq!(err.line, 3);
        assert!(
            err.to_string().contains("unknown placeholder `{{ db_password }}`; available: app_port, deployment"),
            "{err}"
        );
    }

    #[test]
    fn unclosed_placeholder_is_an_error() {
        assert!(render("echo {{ deployment", "t", &vars()).is_err());
    }

    #[test]
    fn shell_braces_pass_through() {
        let out = render("echo ${HOME} { x; }", "t", &vars()).expect("renders");
        assert_eq!(out, "echo ${HOME} { x; }");
    }
}

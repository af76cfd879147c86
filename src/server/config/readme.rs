//! The README's configuration table is generated from the declaration in `sections.rs`; this
//! test fails when the two differ and prints the table to paste in.

use super::declare::env_name;
use super::sections::{ENVIRONMENT_ONLY, SECTIONS};

/// The table as the declaration describes it, one row per variable, in declaration order.
fn declared_table() -> String {
    let mut rows = vec![
        "| variable | default | meaning |".to_string(),
        "|---|---|---|".to_string(),
    ];
    for section in SECTIONS {
        for setting in section.settings {
            let default = match (setting.shown, setting.default) {
                (Some(shown), _) => shown.to_string(),
                (None, Some(default)) => format!("`{default}`"),
                (None, None) => "—".to_string(),
            };
            let secret = if setting.secret { " (secret)" } else { "" };
            rows.push(format!(
                "| `{}` | {default} | {}{secret} |",
                env_name(section.name, setting.key),
                setting.meaning
            ));
        }
    }
    for variable in ENVIRONMENT_ONLY {
        rows.push(format!(
            "| `{}` | `{}` | {} |",
            variable.name, variable.default, variable.meaning
        ));
    }
    rows.join("\n")
}

/// The first table under the README's "## Configuration" heading.
fn readme_table(readme: &str) -> String {
    let section = readme
        .split("\n## Configuration\n")
        .nth(1)
        .expect("README.md has a \"## Configuration\" section");
    let section = section.split("\n## ").next().unwrap_or_default();
    section
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_readme_configuration_table_matches_the_declaration() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let declared = declared_table();
    assert!(
        readme_table(&readme) == declared,
        "README.md's configuration table differs from src/server/config/sections.rs. \
         Replace the table under \"## Configuration\" with:\n\n{declared}\n"
    );
}

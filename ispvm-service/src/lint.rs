//! The style guide's linter ([`ispvm_model::lint`]) for the agent: the options of a tenant
//! (its declared aliases), and the findings of every tenant of a configuration file, which
//! `ispvm-agent check-config` prints and the live page shows (`GET .../lint`).
//!
//! A configured tenant's topology is linted as written in its file, before validation, so that
//! an unknown reference is reported with its code rather than as a load failure; a tenant
//! without a topology file is linted as the agent builds it (its routers as devices). The file's
//! maintenance windows are not linted here, as the agent does not use them (`ispvm-schema lint`
//! does).
//!
//! # Examples
//! ```
//! let options = ispvm_service::lint::embedded_options()?;
//! let topology = ispvm_service::embedded::topology()?;
//! let report = ispvm_model::lint::lint_topology(&topology, &[], &options);
//! assert_eq!(report.findings(), &[], "the demo world follows the style guide");
//! # Ok::<(), ispvm_service::embedded::EmbeddedError>(())
//! ```

use std::path::PathBuf;

use ispvm_model::lint::{LintOptions, LintReport, LintSeverity, lint, lint_topology};
use ispvm_model::{Entity, EntityId, EntityKind, TenantId, Topology};
use ispvm_pipeline::PipelineConfig;
use ispvm_schemas::scenario::ScenarioDocument;

use crate::config::{Config, TenantConfig};
use crate::embedded::{self, EmbeddedError};

/// The linter's options for a tenant analysed with `pipeline`: every topology id its alias
/// table maps a device-found id to is a declared alias.
#[must_use]
pub fn options(pipeline: &PipelineConfig) -> LintOptions {
    LintOptions::default().with_aliases(pipeline.aliases.values().cloned())
}

/// The linter's options for the embedded ISP (its transits and link entities are aliases).
///
/// # Errors
/// [`EmbeddedError`] if the embedded description were invalid (it is not).
pub fn embedded_options() -> Result<LintOptions, EmbeddedError> {
    Ok(options(&embedded::pipeline_config()?))
}

/// The findings on a running tenant's topology: the embedded world with its aliases, a
/// configured tenant with the defaults (its pipeline declares no alias).
#[must_use]
pub fn running_tenant(topology: &Topology, embedded_world: bool) -> LintReport {
    let options = if embedded_world {
        embedded_options().unwrap_or_default()
    } else {
        LintOptions::default()
    };
    lint_topology(topology, &[], &options)
}

/// The findings on one configured tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TenantFindings {
    /// The tenant.
    pub tenant: TenantId,
    /// Its topology file, `None` for a tenant linted as its routers.
    pub file: Option<PathBuf>,
    /// The findings.
    pub report: LintReport,
}

/// Why a tenant's topology could not be linted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", file.display())]
#[non_exhaustive]
pub struct LintLoadError {
    /// The topology file.
    pub file: PathBuf,
    /// Why (unreadable, not a scenario document, another tenant's file).
    pub message: String,
}

/// Lints the topology of every tenant of `config`, in file order.
///
/// # Errors
/// [`LintLoadError`] when a topology file cannot be read or is not a scenario document of its
/// tenant.
pub fn check_config(config: &Config) -> Result<Vec<TenantFindings>, LintLoadError> {
    config.tenants.iter().map(|t| tenant(config, t)).collect()
}

/// Logs the findings of [`check_config`] at start: one `warn` event per error or warning, one
/// `info` event per hint, each with the tenant, code and subject as fields. A file that cannot
/// be linted is not reported here (loading the tenants reports it).
pub fn log_findings(config: &Config) {
    let Ok(found) = check_config(config) else {
        return;
    };
    for t in &found {
        for f in t.report.findings() {
            let (tenant, code, subject) = (t.tenant.as_str(), f.code.as_str(), f.subject.as_str());
            if f.severity == LintSeverity::Hint {
                tracing::info!(tenant, code, subject, fix = %f.fix, "style guide: {}", f.message);
            } else {
                tracing::warn!(tenant, code, subject, severity = %f.severity, fix = %f.fix, "style guide: {}", f.message);
            }
        }
    }
}

fn tenant(config: &Config, t: &TenantConfig) -> Result<TenantFindings, LintLoadError> {
    let id = t.id.get_ref().as_str();
    let Some(file) = &t.topology else {
        // `Config::load` checked the ids; an invalid one would be skipped, not reported twice.
        let tenant = TenantId::new(id).map_err(|e| LintLoadError {
            file: PathBuf::from("(config)"),
            message: e.to_string(),
        })?;
        let entities: Vec<Entity> = t
            .routers
            .iter()
            .filter_map(|r| EntityId::new(r.id.get_ref().as_str()).ok())
            .map(|id| Entity::new(id, EntityKind::Device))
            .collect();
        let report = lint(&tenant, &entities, &[], &[], &LintOptions::default());
        return Ok(TenantFindings {
            tenant,
            file: None,
            report,
        });
    };
    let path = config.resolve(file.get_ref());
    let err = |message: String| LintLoadError {
        file: path.clone(),
        message,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| err(format!("cannot read: {e}")))?;
    let doc: ScenarioDocument =
        serde_json::from_str(&text).map_err(|e| err(format!("line {}: {e}", e.line())))?;
    if doc.tenant != id {
        return Err(err(format!(
            "the file is of tenant {}, not {id}",
            doc.tenant
        )));
    }
    let report = lint(
        &doc.tenant,
        &doc.entities,
        &doc.dependencies,
        &[],
        &LintOptions::default(),
    );
    Ok(TenantFindings {
        tenant: doc.tenant,
        file: Some(path),
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ispvm_model::lint::Code;

    #[test]
    fn the_embedded_world_is_clean_with_its_aliases_and_not_without() {
        let topology = embedded::topology().unwrap();
        let report = running_tenant(&topology, true);
        assert_eq!(report.findings(), &[]);
        // Without the declared aliases the transits break the BGP session grammar.
        let bare = running_tenant(&topology, false);
        let subjects: Vec<(Code, &str)> = bare
            .findings()
            .iter()
            .map(|f| (f.code, f.subject.as_str()))
            .collect();
        assert_eq!(
            subjects,
            [
                (Code::KindMismatch, "transit1"),
                (Code::KindMismatch, "transit2"),
                (Code::KindMismatch, "transit3"),
            ]
        );
        assert_eq!(bare.count(LintSeverity::Error), 0);
    }

    #[test]
    fn check_config_lints_every_tenant_as_written() {
        let dir = std::env::temp_dir().join(format!("ispvm-lint-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("north.json"),
            r#"{"schema": "ispvm.scenario/v1", "tenant": "north-isp",
                "entities": [
                  {"id": "agg1", "kind": "device", "role": "aggregation", "site": "pop-north"},
                  {"id": "acc1", "kind": "device", "role": "access"}],
                "dependencies": [{"dependent": "acc1", "mode": "all", "members": ["agg9"]}]}"#,
        )
        .unwrap();
        std::fs::write(dir.join("pw"), "secret\n").unwrap();
        let text = r#"
[[tenants]]
id = "north-isp"
topology = "north.json"
[[tenants.routers]]
id = "agg1"
host = "192.0.2.1"
user = "ispvm-ro"
password_file = "pw"

[[tenants]]
id = "south-isp"
[[tenants.routers]]
id = "r1"
host = "192.0.2.2"
user = "ispvm-ro"
password_file = "pw"
"#;
        let config = Config::parse(text, &dir.join("agent.toml")).unwrap();
        let found = check_config(&config).unwrap();
        let lines: Vec<(String, Vec<String>)> = found
            .iter()
            .map(|t| {
                (
                    t.tenant.to_string(),
                    t.report
                        .findings()
                        .iter()
                        .map(ToString::to_string)
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                (
                    "north-isp".to_owned(),
                    vec![
                        "error L002 dependency #0: acc1 needs agg9, which is not an entity; fix: add agg9 to the entities or correct the name".to_owned(),
                        "warning L201 acc1: device without a site; fix: set \"site\" to its PoP or data centre (e.g. \"pop-north\")".to_owned(),
                    ]
                ),
                (
                    "south-isp".to_owned(),
                    vec![
                        "warning L201 r1: device without a site; fix: set \"site\" to its PoP or data centre (e.g. \"pop-north\")".to_owned(),
                        "warning L202 r1: device without a role; fix: set \"role\": core, aggregation, access, edge, upstream or cpe".to_owned(),
                    ]
                ),
            ]
        );
        assert_eq!(
            found[0].file.as_deref(),
            Some(dir.join("north.json").as_path())
        );
        assert_eq!(found[1].file, None);

        // Another tenant's file is refused with its name.
        std::fs::write(
            dir.join("north.json"),
            r#"{"schema": "ispvm.scenario/v1", "tenant": "west-isp", "entities": []}"#,
        )
        .unwrap();
        let err = check_config(&config).unwrap_err();
        assert_eq!(err.message, "the file is of tenant west-isp, not north-isp");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

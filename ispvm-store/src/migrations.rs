//! The embedded, versioned schema migrations: one set per backend (their dialects differ only
//! in how generated ids are declared), applied by sqlx's migrator at [`Store::open`](crate::Store::open).

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// The newest schema version this program carries.
pub(crate) const LATEST: i64 = 2;

const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../migrations/sqlite/0001_initial.sql"),
    ),
    (
        2,
        "notification outbox",
        include_str!("../migrations/sqlite/0002_notification_outbox.sql"),
    ),
];
const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../migrations/postgres/0001_initial.sql"),
    ),
    (
        2,
        "notification outbox",
        include_str!("../migrations/postgres/0002_notification_outbox.sql"),
    ),
];

#[derive(Debug, Clone, Copy)]
struct Embedded(&'static [(i64, &'static str, &'static str)]);

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> futures::future::BoxFuture<'static, Result<Vec<Migration>, sqlx::error::BoxDynError>> {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

pub(crate) async fn migrator(postgres: bool) -> Result<Migrator, crate::StoreError> {
    let source = Embedded(if postgres { POSTGRES } else { SQLITE });
    Ok(Migrator::new(source).await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_sets_have_the_same_versions() {
        let v = |s: &[(i64, &str, &str)]| s.iter().map(|m| m.0).collect::<Vec<_>>();
        assert_eq!(v(super::SQLITE), v(super::POSTGRES));
        assert_eq!(v(super::SQLITE).last(), Some(&super::LATEST));
    }
}

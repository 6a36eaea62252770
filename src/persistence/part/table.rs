//! A part's table, described once and spelled in each backend's SQL by the store.

/// A part's table: `owner_id BIGINT NOT NULL` first, then `columns`; the primary key is the owner
/// and the first `key_columns` columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSpec {
    pub name: &'static str,
    pub columns: &'static [Column],
    pub key_columns: usize,
}

/// One column of a part's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub kind: ColumnKind,
}

/// What a column holds. Integers are 64-bit signed on both backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Integer,
    Real,
    Text,
}

/// One value of a row, in column order.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Integer(i64),
    Real(f64),
    Text(String),
}

/// One row of a part's table, without the owner column.
pub type Row = Vec<SqlValue>;

/// Where a part's rows say what an owner holds, for [`Store::part_owners`].
///
/// [`Store::part_owners`]: crate::persistence::Store::part_owners
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldIn {
    /// A text column whose value is the key held (`wallet_balances.currency`).
    Column(&'static str),
    /// A text column of [keyed lines](super::keyed_lines), one line per key held
    /// (`inventories.holdings`).
    LineKeys(&'static str),
}

impl HeldIn {
    pub fn column(self) -> &'static str {
        match self {
            HeldIn::Column(column) | HeldIn::LineKeys(column) => column,
        }
    }
}

impl SqlValue {
    pub fn kind(&self) -> ColumnKind {
        match self {
            SqlValue::Integer(_) => ColumnKind::Integer,
            SqlValue::Real(_) => ColumnKind::Real,
            SqlValue::Text(_) => ColumnKind::Text,
        }
    }

    pub fn as_i64(&self) -> Result<i64, String> {
        match self {
            SqlValue::Integer(value) => Ok(*value),
            other => Err(format!("expected an integer, found {other:?}")),
        }
    }

    pub fn as_f64(&self) -> Result<f64, String> {
        match self {
            SqlValue::Real(value) => Ok(*value),
            other => Err(format!("expected a real number, found {other:?}")),
        }
    }

    pub fn as_str(&self) -> Result<&str, String> {
        match self {
            SqlValue::Text(value) => Ok(value),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}

/// The SQL dialects a part's table is spelled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl ColumnKind {
    fn sql_type(self, dialect: Dialect) -> &'static str {
        match (self, dialect) {
            (ColumnKind::Integer, Dialect::Sqlite) => "INTEGER",
            (ColumnKind::Integer, Dialect::Postgres) => "BIGINT",
            (ColumnKind::Real, Dialect::Sqlite) => "REAL",
            (ColumnKind::Real, Dialect::Postgres) => "DOUBLE PRECISION",
            (ColumnKind::Text, _) => "TEXT",
        }
    }

    /// The array type PostgreSQL's `UNNEST` takes for a column of this kind.
    pub(crate) fn pg_array(self) -> &'static str {
        match self {
            ColumnKind::Integer => "int8[]",
            ColumnKind::Real => "float8[]",
            ColumnKind::Text => "text[]",
        }
    }
}

impl TableSpec {
    /// `owner_id, c1, c2, …`
    pub(crate) fn column_list(&self) -> String {
        std::iter::once("owner_id")
            .chain(self.columns.iter().map(|column| column.name))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Creates the table if it does not exist yet; columns added to the spec later are added by
    /// [`Self::add_missing_columns`]. Any other change needs a migration of its own.
    pub(crate) fn create_statement(&self, dialect: Dialect) -> String {
        let columns: Vec<String> =
            std::iter::once(format!(
                "owner_id {} NOT NULL",
                ColumnKind::Integer.sql_type(dialect)
            ))
            .chain(self.columns.iter().map(|column| {
                format!("{} {} NOT NULL", column.name, column.kind.sql_type(dialect))
            }))
            .collect();
        let key: Vec<&str> = std::iter::once("owner_id")
            .chain(
                self.columns
                    .iter()
                    .take(self.key_columns)
                    .map(|column| column.name),
            )
            .collect();
        let suffix = if dialect == Dialect::Sqlite {
            " WITHOUT ROWID"
        } else {
            ""
        };
        format!(
            "CREATE TABLE IF NOT EXISTS {} ({}, PRIMARY KEY ({})){suffix}",
            self.name,
            columns.join(", "),
            key.join(", ")
        )
    }

    /// The statements that add the columns of this spec missing from `existing` (the table's
    /// columns as stored), each holding its kind's zero in the rows already there.
    pub(crate) fn add_missing_columns(&self, existing: &[&str], dialect: Dialect) -> Vec<String> {
        self.columns
            .iter()
            .filter(|column| !existing.contains(&column.name))
            .map(|column| {
                let zero = match column.kind {
                    ColumnKind::Integer | ColumnKind::Real => "0",
                    ColumnKind::Text => "''",
                };
                format!(
                    "ALTER TABLE {} ADD COLUMN {} {} NOT NULL DEFAULT {zero}",
                    self.name,
                    column.name,
                    column.kind.sql_type(dialect)
                )
            })
            .collect()
    }

    /// Checks that `row` has this table's shape.
    pub(crate) fn check_row(&self, row: &Row) -> Result<(), String> {
        if row.len() != self.columns.len() {
            return Err(format!(
                "table {}: a row has {} values for {} columns",
                self.name,
                row.len(),
                self.columns.len()
            ));
        }
        for (value, column) in row.iter().zip(self.columns) {
            if value.kind() != column.kind {
                return Err(format!(
                    "table {}: column {} is {:?}, the row has {value:?}",
                    self.name, column.name, column.kind
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ITEMS: TableSpec = TableSpec {
        name: "test_items",
        columns: &[
            Column {
                name: "slot",
                kind: ColumnKind::Integer,
            },
            Column {
                name: "item",
                kind: ColumnKind::Text,
            },
        ],
        key_columns: 1,
    };

    #[test]
    fn only_the_columns_a_stored_table_lacks_are_added_with_their_kinds_zero() {
        assert_eq!(
            ITEMS.add_missing_columns(&["owner_id", "slot"], Dialect::Postgres),
            vec!["ALTER TABLE test_items ADD COLUMN item TEXT NOT NULL DEFAULT ''".to_owned()]
        );
        assert_eq!(
            ITEMS.add_missing_columns(&["owner_id", "item"], Dialect::Sqlite),
            vec!["ALTER TABLE test_items ADD COLUMN slot INTEGER NOT NULL DEFAULT 0".to_owned()]
        );
        assert!(
            ITEMS
                .add_missing_columns(&["owner_id", "slot", "item"], Dialect::Sqlite)
                .is_empty()
        );
    }

    #[test]
    fn a_table_is_spelled_in_each_dialect_with_the_owner_first_in_its_key() {
        assert_eq!(
            ITEMS.create_statement(Dialect::Sqlite),
            "CREATE TABLE IF NOT EXISTS test_items (owner_id INTEGER NOT NULL, slot INTEGER NOT NULL, \
             item TEXT NOT NULL, PRIMARY KEY (owner_id, slot)) WITHOUT ROWID"
        );
        assert_eq!(
            ITEMS.create_statement(Dialect::Postgres),
            "CREATE TABLE IF NOT EXISTS test_items (owner_id BIGINT NOT NULL, slot BIGINT NOT NULL, \
             item TEXT NOT NULL, PRIMARY KEY (owner_id, slot))"
        );
        assert_eq!(ITEMS.column_list(), "owner_id, slot, item");
    }

    #[test]
    fn rows_of_the_wrong_shape_are_refused() {
        let good = vec![SqlValue::Integer(1), SqlValue::Text("medkit".into())];
        assert_eq!(ITEMS.check_row(&good), Ok(()));
        assert!(ITEMS.check_row(&vec![SqlValue::Integer(1)]).is_err());
        let swapped = vec![SqlValue::Text("medkit".into()), SqlValue::Integer(1)];
        assert!(ITEMS.check_row(&swapped).is_err());
    }
}

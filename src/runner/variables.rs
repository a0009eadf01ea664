//! The variable store of a run: name → [`Value`], in insertion order, each
//! flagged as secret or not so reports can redact secret values.

use indexmap::IndexMap;

use crate::runner::value::Value;

/// Variables visible to templates, queries and predicates.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Variables {
    entries: IndexMap<String, Entry>,
}

#[derive(Clone, Debug, PartialEq)]
struct Entry {
    value: Value,
    secret: bool,
}

impl Variables {
    /// An empty store.
    pub fn new() -> Variables {
        Variables::default()
    }

    /// Sets a variable (replacing any previous value; it keeps its first position).
    ///
    /// A variable that was secret stays secret: its old value may already be in logs.
    pub fn insert(&mut self, name: impl Into<String>, value: Value) {
        let name = name.into();
        let secret = self.entries.get(&name).is_some_and(|e| e.secret);
        self.entries.insert(name, Entry { value, secret });
    }

    /// Sets a secret variable: its rendered value is redacted from reports.
    pub fn insert_secret(&mut self, name: impl Into<String>, value: Value) {
        self.entries.insert(name.into(), Entry { value, secret: true });
    }

    /// The value of a variable.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.entries.get(name).map(|e| &e.value)
    }

    /// Whether the variable is a secret.
    pub fn is_secret(&self, name: &str) -> bool {
        self.entries.get(name).is_some_and(|e| e.secret)
    }

    /// The rendered text of every secret value (empty strings left out), for redaction.
    pub fn secrets(&self) -> Vec<String> {
        self.entries
            .values()
            .filter(|e| e.secret)
            .filter_map(|e| e.value.render())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// `(name, value, secret)` in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value, bool)> + '_ {
        self.entries.iter().map(|(k, e)| (k.as_str(), &e.value, e.secret))
    }

    /// The number of variables.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no variable.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_insertion_order_and_secrets() {
        let mut vars = Variables::new();
        vars.insert("b", Value::Integer(1));
        vars.insert_secret("token", Value::String("s3cret".to_owned()));
        vars.insert("a", Value::Bool(true));
        vars.insert("b", Value::Integer(2));
        let names: Vec<_> = vars.iter().map(|(n, _, _)| n).collect();
        assert_eq!(names, ["b", "token", "a"]);
        assert_eq!(vars.get("b"), Some(&Value::Integer(2)));
        assert_eq!(vars.secrets(), ["s3cret"]);
        assert!(vars.is_secret("token"));
        vars.insert("token", Value::String("new".to_owned()));
        assert_eq!(vars.secrets(), ["new"]);
        assert_eq!(vars.get("missing"), None);
    }
}

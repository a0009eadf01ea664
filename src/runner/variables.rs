//! Contract stub (replaced by the evaluation work): the variables of a run.

use crate::runner::value::Value;

/// Variables by name, with a secret flag.
#[derive(Clone, Debug, Default)]
pub struct Variables {
    entries: Vec<(String, Value, bool)>,
}

impl Variables {
    /// Sets a variable.
    pub fn insert(&mut self, name: String, value: Value) {
        self.set(name, value, false);
    }
    /// Sets a secret variable.
    pub fn insert_secret(&mut self, name: String, value: Value) {
        self.set(name, value, true);
    }
    fn set(&mut self, name: String, value: Value, secret: bool) {
        if let Some(entry) = self.entries.iter_mut().find(|(n, _, _)| *n == name) {
            entry.1 = value;
            entry.2 = secret;
        } else {
            self.entries.push((name, value, secret));
        }
    }
    /// A variable's value.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.entries.iter().find(|(n, _, _)| n == name).map(|(_, v, _)| v)
    }
    /// The secret values, rendered.
    pub fn secrets(&self) -> Vec<String> {
        self.entries.iter().filter(|(_, _, s)| *s).filter_map(|(_, v, _)| v.render()).collect()
    }
}

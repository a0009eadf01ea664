//! Reports: outcomes in, documents out (JSON, JUnit, terminal lines).

//! The schema planner's one error type.

use std::fmt;

/// The catalog cannot be turned into a restorable order. Opaque: the message
/// names the objects involved.
#[derive(Debug)]
pub struct SchemaError(Box<Inner>);

#[derive(Debug)]
enum Inner {
    /// These entries depend on each other in a loop.
    Cycle(Vec<String>),
    /// An entry depends on one restored in a later section.
    Section {
        entry: String,
        section: &'static str,
        dep: String,
        dep_section: &'static str,
    },
    /// A selection option is malformed or selects nothing.
    Selection(String),
}

impl SchemaError {
    pub(crate) fn cycle(objects: Vec<String>) -> Self {
        SchemaError(Box::new(Inner::Cycle(objects)))
    }

    pub(crate) fn section(
        entry: String,
        section: &'static str,
        dep: String,
        dep_section: &'static str,
    ) -> Self {
        SchemaError(Box::new(Inner::Section {
            entry,
            section,
            dep,
            dep_section,
        }))
    }
}

impl SchemaError {
    pub(crate) fn selection(message: String) -> Self {
        SchemaError(Box::new(Inner::Selection(message)))
    }
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            Inner::Cycle(objects) => write!(
                f,
                "cannot order the schema for restore: dependency loop among {}; \
                 this kind of loop is not supported yet, please report it",
                objects.join(" -> ")
            ),
            Inner::Section {
                entry,
                section,
                dep,
                dep_section,
            } => write!(
                f,
                "cannot order the schema for restore: {entry} ({section}) depends on \
                 {dep} ({dep_section}), which is restored later; this is not supported yet, \
                 please report it"
            ),
            Inner::Selection(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for SchemaError {}

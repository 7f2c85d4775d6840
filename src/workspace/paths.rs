//! Paths under the workspace root, and the checks that keep every read and
//! write inside it (no symbolic links followed, no unknown customers).

use std::path::{Path, PathBuf};

use super::{CustomerId, Workspace, WorkspaceError};

impl Workspace {
    /// `customers/`.
    pub(super) fn customers_dir(&self) -> PathBuf {
        self.root.join("customers")
    }

    /// `customers/<id>/`: the only place a customer's files live.
    pub fn customer_dir(&self, customer: &CustomerId) -> PathBuf {
        self.customers_dir().join(customer.as_str())
    }

    /// `path` relative to the root, for error messages.
    pub(super) fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// Turns an I/O error on `path` into a [`WorkspaceError::Io`] naming it.
    pub(super) fn io(&self, path: &Path) -> impl Fn(std::io::Error) -> WorkspaceError + '_ {
        let path = self.relative(path);
        move |source| WorkspaceError::Io {
            path: path.clone(),
            source,
        }
    }

    /// Refuses symbolic links, so a link planted in a customer's folder cannot
    /// lead a read or write outside it.
    pub(super) fn check_no_link(&self, path: &Path) -> Result<(), WorkspaceError> {
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                Err(WorkspaceError::Symlink(self.relative(path)))
            }
            _ => Ok(()),
        }
    }

    /// `path` (under the root) if no part of it below the root is a symbolic link.
    pub(super) fn checked(&self, path: &Path) -> Result<PathBuf, WorkspaceError> {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        let mut current = self.root.clone();
        for part in relative.components() {
            current.push(part);
            self.check_no_link(&current)?;
        }
        Ok(path.to_path_buf())
    }

    /// Whether the customer has a folder.
    pub fn customer_exists(&self, customer: &CustomerId) -> bool {
        let dir = self.customer_dir(customer);
        self.check_no_link(&dir).is_ok() && dir.is_dir()
    }

    /// The customer's folder, if it exists.
    pub(super) fn existing(&self, customer: &CustomerId) -> Result<PathBuf, WorkspaceError> {
        if self.customer_exists(customer) {
            Ok(self.customer_dir(customer))
        } else {
            Err(WorkspaceError::UnknownCustomer(customer.to_string()))
        }
    }

    /// A file in an existing customer's folder, checked not to be a link.
    pub(super) fn file(
        &self,
        customer: &CustomerId,
        name: &str,
    ) -> Result<PathBuf, WorkspaceError> {
        self.checked(&self.existing(customer)?.join(name))
    }
}

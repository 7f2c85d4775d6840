//! Property tests: whatever string arrives (from a request or from the model),
//! the path resolver never yields a path outside that customer's folder.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

use std::path::{Component, Path};

use pmcoach::workspace::{ArtifactName, CustomerId, SessionId, Workspace};
use proptest::prelude::*;

/// Strings that look like attacks as well as arbitrary ones.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z0-9./\\\\-]{0,20}",
        Just("..".to_string()),
        Just("../../etc/passwd".to_string()),
        Just("acme/../../x".to_string()),
        Just("/abs".to_string()),
        Just("acme\0".to_string()),
        Just("ａｃｍｅ".to_string()),
        Just("ac\u{0435}me".to_string()),
        Just("a".repeat(65)),
        "[a-z]{1,10}(-[a-z0-9]{1,5}){0,3}",
    ]
}

fn only_normal_components(path: &Path) -> bool {
    path.components().all(|c| matches!(c, Component::Normal(_)))
}

proptest! {
    #[test]
    fn customer_ids_resolve_to_one_folder_under_customers(raw in hostile()) {
        let workspace = Workspace::new("/ws");
        if let Ok(id) = CustomerId::parse(&raw) {
            let dir = workspace.customer_dir(&id);
            let relative = dir.strip_prefix("/ws/customers").expect("under customers/");
            prop_assert_eq!(relative.components().count(), 1);
            prop_assert!(only_normal_components(relative));
            prop_assert_eq!(relative.to_str(), Some(raw.as_str()));
            prop_assert!(raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
        }
    }

    #[test]
    fn artifact_and_session_names_are_single_plain_components(raw in hostile()) {
        if let Ok(name) = ArtifactName::parse(&raw) {
            let path = Path::new(name.as_str());
            prop_assert_eq!(path.components().count(), 1);
            prop_assert!(only_normal_components(path));
            prop_assert!(name.as_str().ends_with(".md"));
        }
        if let Ok(id) = SessionId::parse(&raw) {
            let path = Path::new(id.as_str());
            prop_assert_eq!(path.components().count(), 1);
            prop_assert!(only_normal_components(path));
        }
    }

    #[test]
    fn valid_slugs_are_accepted(raw in "[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,4}") {
        prop_assert!(CustomerId::parse(&raw).is_ok());
        let artifact = format!("{raw}.md");
        prop_assert!(ArtifactName::parse(&artifact).is_ok());
    }
}

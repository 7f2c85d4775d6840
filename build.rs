//! The shipped capabilities, eval suite and template examples are built into
//! the binary (`include_dir!`); this tells cargo to rebuild when they change.

fn main() {
    for dir in ["capabilities", "evals", "tests/fixtures/templates"] {
        println!("cargo:rerun-if-changed={dir}");
    }
}

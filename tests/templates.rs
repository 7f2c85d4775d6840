//! Output templates: structure against the reference documents, field errors,
//! injection, and the `pmcoach render` CLI.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use pmcoach::capability::{self, Capability};
use pmcoach::templates::{FieldErrorKind, FillError, Templates};
use regex::Regex;
use serde_json::{Value, json};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shipped() -> (Vec<Capability>, Templates) {
    let capabilities = capability::load_dir(&common::capabilities_dir()).expect("capabilities");
    let templates = Templates::load(&capabilities).expect("templates compile");
    (capabilities, templates)
}

fn fixture(id: &str) -> Value {
    let path = root().join(format!("tests/fixtures/templates/{id}.json"));
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The fenced template under `### <title>` in a capability definition.
fn reference_block(definition: &str, title: &str) -> String {
    let heading = format!("### {title}");
    let mut lines = definition.lines().skip_while(|line| line.trim() != heading);
    assert!(lines.next().is_some(), "no `{heading}` in the definition");
    let mut lines = lines.skip_while(|line| !line.starts_with("```"));
    lines.next();
    lines
        .take_while(|line| line.trim() != "```")
        .collect::<Vec<_>>()
        .join("\n")
}

/// Headings and table header rows, in order: the document's structure.
fn outline(markdown: &str) -> Vec<String> {
    let lines: Vec<&str> = markdown.lines().collect();
    let separator = |line: &str| {
        let line = line.trim();
        line.starts_with('|') && line.contains('-') && line.chars().all(|c| "|-: ".contains(c))
    };
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with('#') {
            out.push(line.trim().to_string());
        } else if lines.get(i + 1).is_some_and(|next| separator(next)) {
            let cells: Vec<&str> = line
                .trim()
                .trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect();
            out.push(format!("| {} |", cells.join(" | ")));
        }
    }
    out
}

/// A reference line with `[placeholders]` as a pattern matching any text there.
fn pattern(reference: &str) -> Regex {
    let placeholder = Regex::new(r"\[[^\]]*\]").expect("regex");
    let mut source = String::from("^");
    let mut last = 0;
    for found in placeholder.find_iter(reference) {
        source.push_str(&regex::escape(&reference[last..found.start()]));
        source.push_str(".+");
        last = found.end();
    }
    source.push_str(&regex::escape(&reference[last..]));
    source.push('$');
    Regex::new(&source).expect("pattern")
}

fn assert_same_structure(rendered: &str, reference: &str, what: &str) {
    let got = outline(rendered);
    let want = outline(reference);
    assert!(!want.is_empty(), "{what}: the reference has no structure");
    for (i, line) in want.iter().enumerate() {
        let actual = got.get(i).map_or("<end of document>", String::as_str);
        assert!(
            pattern(line).is_match(actual),
            "{what}: structure item {i} differs\n  reference: {line}\n  rendered:  {actual}\n\nrendered outline:\n{}",
            got.join("\n")
        );
    }
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: extra structure:\n{}",
        got.join("\n")
    );
}

fn titles(templates: &Templates, capability: &str) -> Vec<String> {
    templates
        .for_capability(capability)
        .iter()
        .map(|t| t.title.clone())
        .collect()
}

#[test]
fn the_family_has_its_eighteen_documents_and_the_graduation_plan() {
    let (_, templates) = shipped();
    assert_eq!(
        titles(&templates, "strategic-pm-coach"),
        [
            "Client PM Coaching Plan",
            "Engagement Value Assessment",
            "Graduation Plan",
            "Strategic Work Proposal"
        ]
    );
    assert_eq!(
        titles(&templates, "growth-advisor"),
        [
            "Feedback Entry",
            "Growth Profile Assessment",
            "Growth Roadmap",
            "Quarterly Retrospective",
            "Skill Matrix"
        ]
    );
    assert_eq!(
        titles(&templates, "exec-comms-specialist"),
        [
            "Board Update",
            "Executive Email",
            "Executive Memo (6-Pager Style)"
        ]
    );
    assert_eq!(
        titles(&templates, "relationship-advisor"),
        [
            "Boundary Setting Framework",
            "Difficult Conversation Prep",
            "Exit Strategy",
            "Relationship Health Assessment",
            "Renewal Strategy"
        ]
    );
    assert_eq!(
        titles(&templates, "strategy-architect"),
        ["Product Strategy", "Strategic Options"]
    );
    assert_eq!(templates.iter().count(), 19);
}

#[test]
fn every_template_renders_its_fixture_with_the_reference_structure() {
    let (capabilities, templates) = shipped();
    let seed = std::fs::read_to_string(
        root().join("tests/fixtures/capabilities/strategic-pm-coach/AGENT.md"),
    )
    .expect("seed");
    for template in templates.iter() {
        let artifact = templates
            .fill(&template.id, fixture(&template.id))
            .unwrap_or_else(|err| panic!("{}: {err}", template.id));
        let capability = capabilities
            .iter()
            .find(|c| c.id == template.capability)
            .expect("owner");
        let reference = reference_block(&capability.body, &template.title);
        assert_same_structure(&artifact.markdown, &reference, &template.id);
        if template.capability == "strategic-pm-coach" && template.id != "graduation-plan" {
            // The coach's documents follow the seed itself, not only our copy of it
            // (the seed names Phase 5 but has no Graduation Plan document).
            let original = reference_block(&seed, &template.title);
            assert_same_structure(
                &artifact.markdown,
                &original,
                &format!("{} (seed)", template.id),
            );
        }
        assert!(!artifact.title.is_empty(), "{}", template.id);
        assert!(!artifact.markdown.contains("{{"), "{}", template.id);
    }
}

#[test]
fn the_engagement_value_assessment_fills_and_derives() {
    let (_, templates) = shipped();
    let mut fields = fixture("engagement-value-assessment");
    fields["time_allocation"]["tactical"]["current_pct"] = json!(50); // column now sums to 90
    fields["value_ladder"]["current_multiplier"] = json!("4x");
    let artifact = templates
        .fill("engagement-value-assessment", fields)
        .expect("renders");
    assert_eq!(artifact.title, "Engagement Value Assessment: Acme Corp");
    let md = &artifact.markdown;
    assert!(
        md.contains("- **Current Level**: Expert Executor (1.5x rate multiplier)"),
        "{md}"
    );
    assert!(
        md.contains("- **Target Level**: Strategic Advisor (2-3x rate multiplier)"),
        "{md}"
    );
    // 50/25/10/5 scaled to 100: 55.6, 27.8, 11.1, 5.6 → 56, 28, 11, 5
    assert!(
        md.contains("| Tactical (specs, tickets) | 56% | 25% | Reduce |"),
        "{md}"
    );
    assert!(
        md.contains("| Operational (meetings, process) | 28% | 20% | Reduce |"),
        "{md}"
    );
    assert!(
        md.contains("| Strategic (decisions, direction) | 11% | 35% | Increase |"),
        "{md}"
    );
    assert!(
        md.contains("| Capability Building (coaching) | 5% | 20% | Increase |"),
        "{md}"
    );
    // $150/hour at 1.5x is a $100 base: 2-3x of it as Strategic Advisor.
    assert!(
        md.contains("- **Implied Rate**: $200-300 per hour as Strategic Advisor (from $150 per hour as Expert Executor)"),
        "{md}"
    );
    assert!(
        md.contains("*A tick means: observed in the client team (a gap to close).*\n- [ ] Start"),
        "{md}"
    );
    assert!(md.contains("- [x] Connect features to business outcomes"));
    assert!(md.contains("- [ ] Start with \"why\" before \"what\""));
    assert!(md.contains("worth $156,000 per year because"), "{md}");
    assert!(
        md.contains("I can deliver $600,000 per year in value"),
        "{md}"
    );
    // Two corrections and the implied rate's note.
    assert_eq!(artifact.corrections.len(), 3, "{:?}", artifact.corrections);
    assert!(
        artifact
            .corrections
            .iter()
            .any(|c| c.contains("summed to 90"))
    );
    assert!(artifact.corrections.iter().any(|c| c.contains("not 4x")));
}

#[test]
fn missing_extra_and_mistyped_fields_are_listed_with_paths() {
    let (_, templates) = shipped();
    let mut fields = fixture("engagement-value-assessment");
    let object = fields.as_object_mut().expect("object");
    object.remove("customer_name");
    object.remove("conversation");
    fields["value_ladder"]
        .as_object_mut()
        .expect("ladder")
        .remove("gap");
    fields["value_ladder"]["current_level"] = json!("Senior PM");
    fields["untapped_value"][0]["client_benefit"] = json!(42);
    fields["mood"] = json!("optimistic");

    let Err(FillError::Fields(errors)) = templates.fill("engagement-value-assessment", fields)
    else {
        panic!("expected field errors");
    };
    let missing: Vec<&str> = errors
        .iter()
        .filter(|e| e.kind == FieldErrorKind::Missing)
        .map(|e| e.path.as_str())
        .collect();
    assert_eq!(
        missing,
        ["/customer_name", "/conversation", "/value_ladder/gap"]
    );
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(text.contains(&"/value_ladder/current_level: \"Senior PM\" is not allowed; use one of: Staff Aug, Expert Executor, Strategic Advisor, Transformation Partner".to_string()), "{text:?}");
    assert!(
        text.iter()
            .any(|t| t.starts_with("/untapped_value/0/client_benefit: ")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.starts_with("/: unexpected field(s) mood")),
        "{text:?}"
    );

    let message = FillError::Fields(errors).to_string();
    assert!(
        message.starts_with(
            "missing required fields: /customer_name, /conversation, /value_ladder/gap"
        ),
        "{message}"
    );
}

#[test]
fn a_target_below_the_current_level_is_refused() {
    let (_, templates) = shipped();
    let mut fields = fixture("engagement-value-assessment");
    fields["value_ladder"]["target_level"] = json!("Staff Aug");
    let Err(FillError::Fields(errors)) = templates.fill("engagement-value-assessment", fields)
    else {
        panic!("expected a field error");
    };
    assert_eq!(errors[0].path, "/value_ladder/target_level");
}

#[test]
fn template_syntax_in_field_values_renders_literally() {
    let (_, templates) = shipped();
    let mut fields = fixture("engagement-value-assessment");
    let hostile = "{{ 7 * 7 }} {% for x in range(3) %}loop{% endfor %} {# c #}";
    fields["customer_name"] = json!(hostile);
    fields["untapped_value"][0]["opportunity"] = json!("a | b\n## Injected heading");
    let artifact = templates
        .fill("engagement-value-assessment", fields)
        .expect("renders");
    let md = &artifact.markdown;
    assert!(
        md.contains(&format!("# Engagement Value Assessment: {hostile}")),
        "{md}"
    );
    assert!(!md.contains("49") && !md.contains("looploop"), "{md}");
    // A value cannot break out of its table cell or add a heading.
    assert!(md.contains("| a \\| b<br>## Injected heading |"), "{md}");
    assert!(!md.lines().any(|l| l.starts_with("## Injected")), "{md}");
}

#[test]
fn unknown_templates_and_non_objects_are_errors() {
    let (_, templates) = shipped();
    let err = templates.fill("nope", json!({})).expect_err("unknown");
    assert!(
        err.to_string().contains("engagement-value-assessment"),
        "{err}"
    );
    let err = templates
        .fill("engagement-value-assessment", json!([1, 2]))
        .expect_err("array");
    assert!(matches!(err, FillError::NotAnObject));
}

fn pmcoach(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_pmcoach"))
        .arg("--capabilities-dir")
        .arg(common::capabilities_dir())
        .args(args)
        .current_dir(std::env::temp_dir())
        .env_remove("PMCOACH_CONFIG")
        .output()
        .expect("run pmcoach");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn write(dir: &Path, name: &str, value: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, value.to_string()).expect("write");
    path.to_str().expect("utf-8").to_string()
}

#[test]
fn cli_lists_templates_and_renders_offline() {
    let (code, out, err) = pmcoach(&["templates"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("engagement-value-assessment  Engagement Value Assessment (strategic-pm-coach; Phase 1: Engagement Assessment)"), "{out}");
    assert!(out.contains("  customer_name*: string"), "{out}");
    assert!(out.contains("    current_level*: one of: Staff Aug | Expert Executor | Strategic Advisor | Transformation Partner"), "{out}");

    let dir = tempfile::tempdir().expect("temp dir");
    let good = write(
        dir.path(),
        "good.json",
        &fixture("engagement-value-assessment"),
    );
    let out_path = dir.path().join("out/assessment.md");
    let (code, stdout, err) = pmcoach(&[
        "render",
        "engagement-value-assessment",
        "--fields",
        &good,
        "--out",
        out_path.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.is_empty());
    let written = std::fs::read_to_string(&out_path).expect("written");
    assert!(written.starts_with("# Engagement Value Assessment: Acme Corp\n"));

    let mut broken = fixture("engagement-value-assessment");
    broken["client_signals"]["access_level"] = json!("CEO");
    broken.as_object_mut().expect("object").remove("pm_team");
    let bad = write(dir.path(), "bad.json", &broken);
    let (code, stdout, err) = pmcoach(&["render", "engagement-value-assessment", "--fields", &bad]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(
        err.contains(&format!("{bad}: /pm_team: required field is missing")),
        "{err}"
    );
    assert!(err.contains(&format!("{bad}: /client_signals/access_level: \"CEO\" is not allowed; use one of: Team, Leadership, Executive")), "{err}");

    let (code, _, err) = pmcoach(&[
        "render",
        "engagement-value-assessment",
        "--fields",
        "/nonexistent.json",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent.json: cannot read"), "{err}");
}

#[test]
fn the_work_proposal_returns_on_the_increment() {
    let (_, templates) = shipped();
    let artifact = templates
        .fill(
            "strategic-work-proposal",
            fixture("strategic-work-proposal"),
        )
        .expect("renders");
    let md = &artifact.markdown;
    // $12,000 now, $15,000 proposed: $45,000 of value for $3,000 more.
    assert!(md.contains("Change: +$3,000/month (+25%)."), "{md}");
    assert!(
        md.contains("Expected value: $45,000/month for $3,000/month more than today: 15× the increment (net $42,000/month)."),
        "{md}"
    );
}

#[test]
fn the_board_update_computes_each_variance() {
    let (_, templates) = shipped();
    let mut fields = fixture("board-update");
    fields["performance"][2]["variance"] = json!("+25%");
    let artifact = templates.fill("board-update", fields).expect("renders");
    let md = &artifact.markdown;
    assert!(md.contains("| Annual recurring revenue | $4,800,000 per year | $4,560,000 per year | -5% | Two enterprise deals moved to Q1 |"), "{md}");
    assert!(
        md.contains("| Readmission reduction at pilots | 15% | 22% | +7 pts |"),
        "{md}"
    );
    assert!(
        md.contains("| Enterprise logos | 8 accounts | 6 accounts | -25% |"),
        "{md}"
    );
    assert!(
        artifact
            .corrections
            .iter()
            .any(|c| c.contains("+25% corrected to -25%")),
        "{:?}",
        artifact.corrections
    );
}

#[test]
fn the_renewal_plan_is_dated_back_from_the_renewal() {
    let (_, templates) = shipped();
    let artifact = templates
        .fill("renewal-strategy", fixture("renewal-strategy"))
        .expect("renders");
    let md = &artifact.markdown;
    for line in [
        "- **6 weeks before (2026-11-19)**: Review the value evidence and the health score",
        "- **4-6 weeks before (2026-11-19 to 2026-12-03)**: Open with Elena in the steering meeting, leading with the readmission result",
        "- **2-3 weeks before (2026-12-10 to 2026-12-17)**: Send the proposal",
        "- **Renewal date (2026-12-31)**: Signed terms",
        "**Timing**: In the window: open the renewal conversation by 2026-12-03.",
        "- **Proposed Rate**: $190 per hour (+26.7%)",
        "| Care navigation backlog reframed around readmissions | Readmissions down 22% at three pilots | Pilot dashboard, 20 Nov |",
    ] {
        assert!(md.contains(line), "{line}\n{md}");
    }

    // The ledger may have nothing yet, and a rate case is optional.
    let mut fields = fixture("renewal-strategy");
    let object = fields.as_object_mut().expect("object");
    object.remove("value_delivered");
    object.remove("rate_justification");
    object.remove("date");
    let md = templates
        .fill("renewal-strategy", fields)
        .expect("renders")
        .markdown;
    assert!(md.contains("| None recorded yet"), "{md}");
    assert!(md.contains("No rate change argued yet"), "{md}");

    let mut fields = fixture("renewal-strategy");
    fields["renewal_date"] = json!("31 Dec");
    let Err(FillError::Fields(errors)) = templates.fill("renewal-strategy", fields) else {
        panic!("expected a field error");
    };
    assert_eq!(errors[0].path, "/renewal_date");
}

#[test]
fn the_graduation_plan_dates_the_monthly_check_in() {
    let (_, templates) = shipped();
    let artifact = templates
        .fill("graduation-plan", fixture("graduation-plan"))
        .expect("renders");
    let md = &artifact.markdown;
    assert!(
        md.contains(
            "| Plans across time horizons | Not yet | The Q2 plan still has no LATER items |"
        ),
        "{md}"
    );
    // A criterion left out is listed, not met.
    assert!(
        md.contains("| Coaches others on strategic thinking | Not yet | — |"),
        "{md}"
    );
    assert!(
        md.contains("**Ready to graduate**: Not yet: 3 of 5 criteria met"),
        "{md}"
    );
    assert!(
        md.contains("- **First check-in**: 2027-04-30 (one month after graduation)"),
        "{md}"
    );
    assert!(
        md.contains("- **Then**: 2027-05-31, 2027-06-30, and monthly after that"),
        "{md}"
    );
}

#[test]
fn every_checklist_says_what_a_tick_means() {
    let (_, templates) = shipped();
    for template in templates.iter() {
        let md = templates
            .fill(&template.id, fixture(&template.id))
            .expect("renders")
            .markdown;
        let lines: Vec<&str> = md.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.starts_with("- [x]") || line.starts_with("- [ ]") {
                let legend = lines[..i]
                    .iter()
                    .rev()
                    .take_while(|l| l.starts_with("- ["))
                    .count();
                let above = lines[i - legend - 1];
                assert!(
                    above.starts_with("*A tick means: "),
                    "{}: no legend above {line:?}",
                    template.id
                );
            }
        }
    }
}

#[test]
fn cli_lists_all_nineteen_documents() {
    let (code, out, err) = pmcoach(&["templates"]);
    assert_eq!(code, 0, "{err}");
    let listed: Vec<&str> = out
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(' '))
        .collect();
    assert_eq!(listed.len(), 19, "{out}");
    assert!(
        out.contains(
            "graduation-plan  Graduation Plan (strategic-pm-coach; Phase 5: Graduation Planning)"
        ),
        "{out}"
    );
    assert!(
        out.contains("renewal-strategy  Renewal Strategy (relationship-advisor;"),
        "{out}"
    );
}

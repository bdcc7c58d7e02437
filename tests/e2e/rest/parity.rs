//! One table, two front ends: each row runs one operation through REST and through GraphQL,
//! each on its own fresh fixture, and both must end alike: the same success or the same error
//! (`error.code` against `errors[0].extensions.code`, with `field` and `requiredScope`), the
//! same answer, and the same keys afterwards, read back through GraphQL for both. The pattern
//! of `plain_verify.rs`, for the whole key lifecycle.

mod cases;
mod shape;
mod world;

use reqwest::Method;
use serde_json::{Value, json};

use world::{Front, Outcome, World};

/// Who makes the request.
#[derive(Debug, Clone, Copy)]
pub enum Caller {
    /// The production full-access key.
    FullAccess,
    /// A production key with `api_keys:read` only.
    Reader,
    /// A production key with `api_keys:write` and `customers:read`, nothing more.
    Writer,
    /// The production publishable key.
    Publishable,
    /// The staging full-access key: every production key is of another environment to it.
    Staging,
    /// A member, by session, acting in production.
    Member,
    /// A read-only person, by session, acting in production.
    ReadOnlyPerson,
    /// The member's session, acting in staging.
    MemberInStaging,
    /// The member's session without `Keyplane-Environment`.
    MemberNowhere,
    /// A well-formed key no environment has.
    UnknownKey,
    /// No credential at all.
    Nobody,
}

/// What each front end's run is given, made afresh for each run (`<target>`, `<second>`).
#[derive(Debug, Clone, Copy)]
pub enum Target {
    None,
    /// A scoped key with `customers:read` and no expiry.
    Active,
    /// An active scoped key expiring in 30 days.
    Expiring,
    Revoked,
    Disabled,
    /// Two active scoped keys.
    Pair,
    /// An active scoped key with every setting set: a description, customers, a rate limit,
    /// metadata, an external id (`<tag>`, unique to the run), an IP allow-list and a quota.
    Configured,
    /// An id no environment has.
    Unknown,
}

/// One operation in both forms, who calls it on what, and how it must end.
pub struct Case {
    name: &'static str,
    free_plan: bool,
    caller: Caller,
    target: Target,
    rest: (Method, &'static str, Option<Value>),
    graphql: (&'static str, Value),
    expect: Result<(), &'static str>,
    field: Option<&'static str>,
    required_scope: Option<&'static str>,
    /// Why only the error code is compared, when the front ends legitimately differ.
    code_only: Option<&'static str>,
}

impl Case {
    pub fn new(name: &'static str, caller: Caller, target: Target) -> Self {
        Self {
            name,
            free_plan: false,
            caller,
            target,
            rest: (Method::GET, "", None),
            graphql: ("", Value::Null),
            expect: Ok(()),
            field: None,
            required_scope: None,
            code_only: None,
        }
    }

    pub fn rest(
        mut self,
        method: Method,
        path: &'static str,
        body: impl Into<Option<Value>>,
    ) -> Self {
        self.rest = (method, path, body.into());
        self
    }

    pub fn graphql(mut self, document: &'static str, variables: Value) -> Self {
        self.graphql = (document, variables);
        self
    }

    pub fn succeeds(mut self) -> Self {
        self.expect = Ok(());
        self
    }

    pub fn fails(mut self, code: &'static str) -> Self {
        self.expect = Err(code);
        self
    }

    /// The error must name this input.
    pub fn naming(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    /// The error must name this scope as the one missing.
    pub fn needing(mut self, scope: &'static str) -> Self {
        self.required_scope = Some(scope);
        self
    }

    pub fn code_only(mut self, why: &'static str) -> Self {
        self.code_only = Some(why);
        self
    }

    pub fn on_free_plan(mut self) -> Self {
        self.free_plan = true;
        self
    }
}

/// What is wrong with one row, if anything.
fn judge(case: &Case, rest: &Outcome, graphql: &Outcome) -> Option<String> {
    let mut wrong = Vec::new();
    for (front, outcome) in [("REST", rest), ("GraphQL", graphql)] {
        match (&case.expect, &outcome.answer) {
            (Ok(()), Err(refusal)) => wrong.push(format!("{front} refused: {refusal:?}")),
            (Err(code), Ok(_)) => wrong.push(format!("{front} succeeded, expected {code}")),
            (Err(code), Err(refusal)) => {
                if refusal.code != *code {
                    wrong.push(format!(
                        "{front} answered {}, expected {code}",
                        refusal.code
                    ));
                }
                if let Some(field) = case.field
                    && case.code_only.is_none()
                    && refusal.field != field
                {
                    wrong.push(format!(
                        "{front} named field {}, expected {field}",
                        refusal.field
                    ));
                }
                if let Some(scope) = case.required_scope
                    && refusal.required_scope != scope
                {
                    wrong.push(format!(
                        "{front} named requiredScope {}, expected {scope}",
                        refusal.required_scope
                    ));
                }
            }
            (Ok(()), Ok(_)) => {}
        }
    }
    match (&rest.answer, &graphql.answer) {
        (Ok(r), Ok(g)) if r != g => wrong.push(format!("answers differ: REST {r} / GraphQL {g}")),
        (Err(r), Err(g)) if case.code_only.is_some() && r.code != g.code => {
            wrong.push(format!(
                "codes differ: REST {} / GraphQL {}",
                r.code, g.code
            ));
        }
        (Err(r), Err(g)) if case.code_only.is_none() && r != g => {
            wrong.push(format!("errors differ: REST {r:?} / GraphQL {g:?}"));
        }
        _ => {}
    }
    if rest.after != graphql.after {
        wrong.push(format!(
            "keys afterwards differ: REST {} / GraphQL {}",
            json!(rest.after),
            json!(graphql.after)
        ));
    }
    (!wrong.is_empty()).then(|| format!("{}: {}", case.name, wrong.join("; ")))
}

#[tokio::test]
async fn every_operation_ends_alike_over_rest_and_graphql() {
    let world = World::new().await;
    let table = cases::table();
    let mut disagreements = Vec::new();
    for case in &table {
        let rest = world.run(case, Front::Rest).await;
        let graphql = world.run(case, Front::Graphql).await;
        disagreements.extend(judge(case, &rest, &graphql));
    }
    assert!(table.len() >= 25, "the table has {} rows", table.len());
    assert!(
        disagreements.is_empty(),
        "{} of the {} rows of the parity table failed:\n{}",
        disagreements.len(),
        table.len(),
        disagreements.join("\n")
    );
}

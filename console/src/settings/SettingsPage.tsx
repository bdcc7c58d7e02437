import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { problemOfError, type Problem } from "../api/errors";
import { usePermissions, useViewer } from "../app/viewer";
import { graphql } from "../graphql";
import { rateLimitText } from "../keys/format";
import { RateLimitFields, rateLimitOf } from "../keys/RateLimitFields";
import { ProblemMessage } from "../ui/Problem";

const SettingsQuery = graphql(`
  query Settings {
    viewer { account { id name plan } environment { id name recoverableKeys defaultRateLimit { requests periodSeconds mode } } }
  }
`);
const UpdateRateLimit = graphql(`
  mutation UpdateRateLimit($input: UpdateEnvironmentRateLimitInput!) {
    updateEnvironmentRateLimit(input: $input) { id defaultRateLimit { requests periodSeconds mode } }
  }
`);
const UpdateRecoverable = graphql(`
  mutation UpdateRecoverable($input: UpdateRecoverableKeysInput!) {
    updateRecoverableKeys(input: $input) { id recoverableKeys }
  }
`);
const ChangePassword = graphql(`
  mutation ChangePassword($input: ChangePasswordInput!) { changePassword(input: $input) { id } }
`);

const PLAN_LABELS: Record<string, string> = { FREE: "Free", GROWTH: "Growth", SCALE: "Scale" };

export function SettingsPage() {
  const viewer = useViewer();
  const { isOwner } = usePermissions();
  const [{ data, error }] = useQuery({ query: SettingsQuery });
  const [problem, setProblem] = useState<Problem>();
  const [status, setStatus] = useState("");
  const [, updateRateLimit] = useMutation(UpdateRateLimit);
  const [, updateRecoverable] = useMutation(UpdateRecoverable);
  const environment = data?.viewer.environment;
  const plan = data?.viewer.account.plan ?? viewer.account.plan;

  const saveRateLimit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const result = await updateRateLimit({ input: { rateLimit: rateLimitOf(new FormData(event.currentTarget)) } });
    setProblem(problemOfError(result.error));
    setStatus(result.error ? "" : "Default rate limit saved.");
  };
  const toggleRecoverable = async (enabled: boolean) => {
    const result = await updateRecoverable({ input: { enabled } });
    setProblem(problemOfError(result.error));
    setStatus(result.error ? "" : enabled ? "Recoverable keys are on." : "Recoverable keys are off; every sealed copy was deleted.");
  };

  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <ProblemMessage problem={problemOfError(error) ?? problem} />
      <p role="status" className="muted">
        {status}
      </p>
      <section className="card" aria-labelledby="plan-title">
        <h2 id="plan-title">Plan</h2>
        <p>
          The {viewer.account.name} account is on the <strong>{PLAN_LABELS[plan] ?? plan}</strong> plan.
        </p>
        {plan !== "SCALE" ? (
          <p>Scoped keys need the Scale plan. An operator moves the account with <code>keyplane set-plan --plan SCALE</code>.</p>
        ) : null}
      </section>
      {environment ? (
        <>
          <form className="card" onSubmit={(e) => void saveRateLimit(e)} aria-labelledby="rate-title" key={JSON.stringify(environment.defaultRateLimit)}>
            <h2 id="rate-title">Default rate limit of {environment.name}</h2>
            <p>
              Now: <strong>{environment.defaultRateLimit ? rateLimitText(environment.defaultRateLimit) : "Unlimited"}</strong>. It applies to
              keys without a limit of their own, never to the full-access key.
            </p>
            {isOwner ? (
              <>
                <RateLimitFields value={environment.defaultRateLimit} />
                <button type="submit" className="button primary">
                  Save default rate limit
                </button>
              </>
            ) : (
              <p className="muted">Only owners change it.</p>
            )}
          </form>
          <section className="card" aria-labelledby="recoverable-title">
            <h2 id="recoverable-title">Recoverable keys</h2>
            <p>
              When on, new and rotated secrets are also kept sealed, so owners and members can reveal them later (each reveal is audited).
              When off, Keyplane keeps only hashes. Now: <strong>{environment.recoverableKeys ? "on" : "off"}</strong>.
            </p>
            {isOwner ? (
              <button type="button" className="button secondary" onClick={() => void toggleRecoverable(!environment.recoverableKeys)}>
                {environment.recoverableKeys ? "Turn recoverable keys off" : "Turn recoverable keys on"}
              </button>
            ) : null}
          </section>
        </>
      ) : null}
      <PasswordForm />
    </section>
  );
}

function PasswordForm() {
  const [problem, setProblem] = useState<Problem>();
  const [done, setDone] = useState(false);
  const [{ fetching }, change] = useMutation(ChangePassword);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const result = await change({
      input: { currentPassword: String(data.get("current") ?? ""), newPassword: String(data.get("next") ?? "") },
    });
    setProblem(problemOfError(result.error));
    setDone(!result.error);
    if (!result.error) form.reset();
  };
  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="password-title">
      <h2 id="password-title">Your password</h2>
      <label className="field">
        <span>Current password</span>
        <input name="current" type="password" autoComplete="current-password" required />
      </label>
      <label className="field">
        <span>New password (at least 12 characters)</span>
        <input name="next" type="password" autoComplete="new-password" required minLength={12} />
      </label>
      <ProblemMessage problem={problem} />
      <div className="actions">
        <button type="submit" className="button primary" disabled={fetching}>
          Change password
        </button>
        <span role="status" className="muted">
          {done ? "Password changed; your other sessions ended." : ""}
        </span>
      </div>
    </form>
  );
}

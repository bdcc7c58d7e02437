import { useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { problemOfError, type Problem } from "../api/errors";
import { usePermissions } from "../app/viewer";
import { graphql } from "../graphql";
import { OneTimeSecret } from "../ui/OneTimeSecret";
import { ProblemMessage } from "../ui/Problem";
import { StatusBadge } from "../ui/StatusBadge";

const PublishableQuery = graphql(`
  query Publishable {
    viewer { environment { id clientSecurity { enabled allowedOrigins } } }
    apiKeys(first: 5, filter: { type: [PUBLISHABLE], status: [ACTIVE, EXPIRING_SOON] }) {
      edges { node { id name maskedKey status } }
    }
  }
`);

const UpdateClientSecurity = graphql(`
  mutation UpdateClientSecurity($input: UpdateClientSecurityInput!) {
    updateClientSecurity(input: $input) { enabled allowedOrigins }
  }
`);

const RotateSigningSecret = graphql(`
  mutation RotateSigningSecret($input: RotateClientSigningSecretInput!) {
    rotateClientSigningSecret(input: $input) { signingSecret clientSecurity { enabled allowedOrigins } }
  }
`);

/** How a backend mints a customer token, in Node; the same HMAC as `examples/customer_token.rs`. */
const SNIPPET = `import { createHmac } from "node:crypto";

// The signing secret stays on your server; never send it to a browser.
export function customerToken(customerId, secret, lifetimeSeconds = 3600) {
  const expiry = Math.floor(Date.now() / 1000) + lifetimeSeconds;
  const mac = createHmac("sha256", secret).update(\`v2\\n\${customerId}\\n\${expiry}\`).digest("hex");
  return \`v2.\${expiry}.\${mac}\`;
}
// The browser then sends X-Customer-Id and X-Customer-Token with the publishable key.`;

const GRACES = [
  ["NOW", "Now"],
  ["ONE_HOUR", "1 hour"],
  ["ONE_DAY", "24 hours"],
  ["THREE_DAYS", "3 days"],
  ["SEVEN_DAYS", "7 days"],
] as const;

export function PublishablePage() {
  const { env } = useParams();
  const { isOwner } = usePermissions();
  const [{ data, error }] = useQuery({ query: PublishableQuery });
  const [problem, setProblem] = useState<Problem>();
  const [saved, setSaved] = useState(false);
  const [secret, setSecret] = useState<string>();
  const [{ fetching }, update] = useMutation(UpdateClientSecurity);
  const [{ fetching: rotating }, rotate] = useMutation(RotateSigningSecret);
  const security = data?.viewer.environment.clientSecurity;

  const save = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const allowedOrigins = String(form.get("origins") ?? "")
      .split(/\s+/)
      .filter(Boolean);
    const result = await update({ input: { enabled: form.get("enabled") === "on", allowedOrigins } });
    setProblem(problemOfError(result.error));
    setSaved(!result.error);
  };
  const rotateSecret = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const grace = String(new FormData(event.currentTarget).get("grace") ?? "ONE_DAY") as (typeof GRACES)[number][0];
    const result = await rotate({ input: { gracePeriod: grace } });
    setProblem(problemOfError(result.error));
    setSecret(result.data?.rotateClientSigningSecret.signingSecret);
  };

  return (
    <section aria-labelledby="publishable-title">
      <h1 id="publishable-title">Publishable key</h1>
      <p className="muted">
        The publishable key (<code>client-…</code>) may be shipped to browsers. With client-side security on, each use must carry a
        customer id and a token your backend signs, so one customer cannot read another's data.
      </p>
      <ProblemMessage problem={problemOfError(error)} />
      {data ? (
        <ul className="plain">
          {data.apiKeys.edges.map(({ node }) => (
            <li key={node.id}>
              <Link to={`/${env}/keys/${node.id}`}>{node.name}</Link> <code>{node.maskedKey}</code> <StatusBadge status={node.status} />
            </li>
          ))}
        </ul>
      ) : null}
      {security ? (
        <form className="card" onSubmit={(e) => void save(e)} aria-labelledby="client-security-title" key={JSON.stringify(security)}>
          <h2 id="client-security-title">Client-side security</h2>
          <label className="check">
            <input type="checkbox" name="enabled" defaultChecked={security.enabled} disabled={!isOwner} />
            Require a signed customer token
          </label>
          <label className="field">
            <span>Allowed origins (one per line; empty allows any)</span>
            <textarea name="origins" rows={3} defaultValue={security.allowedOrigins.join("\n")} disabled={!isOwner} placeholder="https://app.example.com" />
          </label>
          {isOwner ? (
            <div className="actions">
              <button type="submit" className="button primary" disabled={fetching}>
                Save client-side security
              </button>
              <span role="status" className="muted">
                {saved ? "Saved." : ""}
              </span>
            </div>
          ) : (
            <p className="muted">Only owners change client-side security.</p>
          )}
        </form>
      ) : null}
      {isOwner ? (
        <form className="card" onSubmit={(e) => void rotateSecret(e)} aria-labelledby="signing-title">
          <h2 id="signing-title">Signing secret</h2>
          <p>Issue a new signing secret for your backend. The previous one keeps verifying tokens during the grace period.</p>
          <label className="field inline">
            <span>Previous secret keeps working for</span>
            <select name="grace" defaultValue="ONE_DAY">
              {GRACES.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="button secondary" disabled={rotating}>
            Issue a new signing secret
          </button>
        </form>
      ) : null}
      <ProblemMessage problem={problem} />
      <section className="card" aria-labelledby="snippet-title">
        <h2 id="snippet-title">Minting a customer token on your backend</h2>
        <pre>
          <code>{SNIPPET}</code>
        </pre>
      </section>
      {secret ? <OneTimeSecret title="New signing secret" secret={secret} secretLabel="Signing secret" onDone={() => setSecret(undefined)} /> : null}
    </section>
  );
}

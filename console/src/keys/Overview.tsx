import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { problemOfError, type Problem } from "../api/errors";
import { usePermissions } from "../app/viewer";
import { CopyButton } from "../ui/CopyButton";
import { ProblemMessage } from "../ui/Problem";
import { StatusBadge } from "../ui/StatusBadge";
import { Time } from "../ui/Time";
import { RevealSecret, UpdateKey, type KeyDetail } from "./documents";
import { quotaText, rateLimitText, typeLabel } from "./format";
import { RateLimitFields, rateLimitOf } from "./RateLimitFields";
import type { keyActions } from "./rules";

export function Overview({ apiKey, editable }: { apiKey: KeyDetail; editable: ReturnType<typeof keyActions> }) {
  return (
    <div className="overview">
      <dl className="facts">
        <dt>Type</dt>
        <dd>{typeLabel(apiKey.type)}</dd>
        <dt>Key</dt>
        <dd>
          <MaskedKey apiKey={apiKey} />
        </dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={apiKey.status} />
          {apiKey.replacedBy ? <span className="muted"> · replaced by {apiKey.replacedBy.name}</span> : null}
        </dd>
        <dt>Expiration</dt>
        <dd>
          <Time at={apiKey.revokedAt ? null : apiKey.expiresAt} empty={apiKey.revokedAt ? "Revoked" : "Never"} />
        </dd>
        {apiKey.disabledAt ? (
          <>
            <dt>Disabled</dt>
            <dd>
              <Time at={apiKey.disabledAt} /> — {apiKey.disabledReason}
            </dd>
          </>
        ) : null}
        {apiKey.revokedAt ? (
          <>
            <dt>Revoked</dt>
            <dd>
              <Time at={apiKey.revokedAt} />
            </dd>
          </>
        ) : null}
        <dt>Created</dt>
        <dd>
          <Time at={apiKey.createdAt} />
        </dd>
        <dt>Created by</dt>
        <dd>{apiKey.createdBy.name}</dd>
        <dt>Environment</dt>
        <dd>{apiKey.environment.name}</dd>
        <dt>Customers</dt>
        <dd>{apiKey.customerIds ? apiKey.customerIds.join(", ") : "Any customer"}</dd>
        <dt>Rate limit</dt>
        <dd>{rateLimitText(apiKey.rateLimit)}</dd>
        <dt>Quota</dt>
        <dd>{quotaText(apiKey.quota)}</dd>
        <dt>Allowed IPs</dt>
        <dd>{apiKey.allowedIps ? apiKey.allowedIps.join(", ") : "Any address"}</dd>
        <dt>External id</dt>
        <dd>{apiKey.externalId ?? <span className="muted">None</span>}</dd>
        <dt>Metadata</dt>
        <dd>{apiKey.metadata ? <pre className="metadata">{JSON.stringify(apiKey.metadata, null, 2)}</pre> : <span className="muted">None</span>}</dd>
        <dt>Last used</dt>
        <dd>
          <Time at={apiKey.lastUsedAt} empty="Never" />
        </dd>
      </dl>
      {editable.editSettings ? <SettingsForm apiKey={apiKey} withName={editable.editNameAndScopes} /> : null}
    </div>
  );
}

/** The masked key, and for a recoverable key and a role that may reveal: Show/Hide and Copy. */
function MaskedKey({ apiKey }: { apiKey: KeyDetail }) {
  const { canReveal } = usePermissions();
  const [secret, setSecret] = useState<string>();
  const [problem, setProblem] = useState<Problem>();
  const [, reveal] = useMutation(RevealSecret);
  const mayReveal = canReveal && apiKey.recoverable && apiKey.status !== "REVOKED";
  const show = async () => {
    const result = await reveal({ input: { id: apiKey.id } });
    setProblem(problemOfError(result.error));
    setSecret(result.data?.revealApiKeySecret.secret);
  };
  return (
    <span className="masked-key">
      <code aria-label={secret ? "Full key" : "Masked key"}>{secret ?? apiKey.maskedKey}</code>
      {mayReveal ? (
        <>
          <button type="button" className="button secondary small" onClick={() => (secret ? setSecret(undefined) : void show())}>
            {secret ? "Hide" : "Show"}
          </button>
          {secret ? <CopyButton value={secret} label="Copy key" /> : null}
        </>
      ) : null}
      <ProblemMessage problem={problem} />
    </span>
  );
}

function SettingsForm({ apiKey, withName }: { apiKey: KeyDetail; withName: boolean }) {
  const [{ fetching }, update] = useMutation(UpdateKey);
  const [problem, setProblem] = useState<Problem>();
  const [saved, setSaved] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const input: Parameters<typeof update>[0]["input"] = { id: apiKey.id, rateLimit: rateLimitOf(form) };
    if (withName) {
      input.name = String(form.get("name") ?? "");
      const description = String(form.get("description") ?? "").trim();
      input.description = description || null;
      const customers = String(form.get("customers") ?? "")
        .split(/[\s,]+/)
        .filter(Boolean);
      input.customerIds = customers.length > 0 ? customers : null;
    }
    const addresses = String(form.get("allowedIps") ?? "")
      .split(/[\s,]+/)
      .filter(Boolean);
    input.allowedIps = addresses.length > 0 ? addresses : null;
    const result = await update({ input });
    setProblem(problemOfError(result.error));
    setSaved(!result.error);
  };
  return (
    <form className="settings-form" onSubmit={(e) => void submit(e)} aria-label="Key settings">
      <h3>Settings</h3>
      {withName ? (
        <>
          <label className="field">
            <span>Name</span>
            <input name="name" defaultValue={apiKey.name} required maxLength={100} />
          </label>
          <label className="field">
            <span>Description</span>
            <textarea name="description" defaultValue={apiKey.description ?? ""} maxLength={500} rows={2} />
          </label>
          <label className="field">
            <span>Customers (one per line; empty for any)</span>
            <textarea name="customers" defaultValue={apiKey.customerIds?.join("\n") ?? ""} rows={2} />
          </label>
        </>
      ) : null}
      <label className="field">
        <span>Allowed IPs: addresses or CIDR ranges, one per line (empty for any address)</span>
        <textarea name="allowedIps" defaultValue={apiKey.allowedIps?.join("\n") ?? ""} rows={2} />
      </label>
      <RateLimitFields value={apiKey.rateLimit} />
      <ProblemMessage problem={problem} />
      <div className="actions">
        <button type="submit" className="button primary" disabled={fetching}>
          Save settings
        </button>
        <span role="status" className="muted">
          {saved ? "Saved." : ""}
        </span>
      </div>
    </form>
  );
}

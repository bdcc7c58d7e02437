import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { problemOfError, type Problem } from "../api/errors";
import { useViewer } from "../app/viewer";
import type { VariablesOf } from "../graphql";
import { Modal, ModalClose } from "../ui/Modal";
import { OneTimeSecret } from "../ui/OneTimeSecret";
import { ProblemMessage } from "../ui/Problem";
import { CatalogQuery, CreateKey } from "./documents";
import { ExpiryInput } from "./ExpiryInput";
import { instantOf } from "./format";
import { levelsOf, PRESETS, ScopeMatrix, scopesOf, type Preset } from "./Permissions";
import { RateLimitFields, rateLimitOf } from "./RateLimitFields";

type Input = VariablesOf<typeof CreateKey>["input"];

/** "+ Add scoped key". Mounted only while open, so every opening starts empty. */
export function CreateKeyDialog({ onClose }: { onClose: () => void }) {
  const viewer = useViewer();
  const [{ data: catalog }] = useQuery({ query: CatalogQuery, requestPolicy: "cache-first" });
  const [access, setAccess] = useState<Preset | "CUSTOM">("READ_ONLY");
  const [levels, setLevels] = useState<ReturnType<typeof levelsOf> | null>(null);
  const [problem, setProblem] = useState<Problem>();
  const [created, setCreated] = useState<{ name: string; secret: string }>();
  const [{ fetching }, create] = useMutation(CreateKey);

  if (viewer.account.plan !== "SCALE") {
    return (
      <Modal title="Scoped keys need the Scale plan" onClose={onClose}>
        <p>
          This account is on the {viewer.account.plan.charAt(0) + viewer.account.plan.slice(1).toLowerCase()} plan. Scoped keys, with
          least-privilege permissions, are part of Scale. An operator can move the account with{" "}
          <code>keyplane set-plan --plan SCALE</code>; the default keys keep working meanwhile.
        </p>
        <div className="actions">
          <ModalClose className="button primary">Close</ModalClose>
        </div>
      </Modal>
    );
  }
  if (created) {
    return <OneTimeSecret title={`Secret of ${created.name}`} secret={created.secret} onDone={onClose} />;
  }

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const input: Input = { name: String(form.get("name") ?? "") };
    const description = String(form.get("description") ?? "").trim();
    if (description) input.description = description;
    if (access === "CUSTOM") input.scopes = scopesOf(levels ?? {});
    else input.preset = access;
    const expires = String(form.get("expiresAt") ?? "");
    if (expires) input.expiresAt = instantOf(expires);
    const customers = String(form.get("customers") ?? "")
      .split(/[\s,]+/)
      .filter(Boolean);
    if (customers.length > 0) input.customerIds = customers;
    const rateLimit = rateLimitOf(form);
    if (rateLimit) input.rateLimit = rateLimit;
    const result = await create({ input });
    if (result.data) setCreated({ name: result.data.createApiKey.apiKey.name, secret: result.data.createApiKey.secret });
    else setProblem(problemOfError(result.error));
  };
  return (
    <Modal title="Add a scoped key" description="A server key with only the permissions it needs." onClose={onClose}>
      <form onSubmit={(e) => void submit(e)} className="create-form">
        <label className="field">
          <span>Name</span>
          <input name="name" required maxLength={100} autoComplete="off" />
        </label>
        <label className="field">
          <span>Description (optional)</span>
          <textarea name="description" maxLength={500} rows={2} />
        </label>
        <label className="field">
          <span>Permissions</span>
          <select value={access} onChange={(e) => setAccess(e.target.value as Preset | "CUSTOM")}>
            {PRESETS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
            <option value="CUSTOM">Custom…</option>
          </select>
        </label>
        {access === "CUSTOM" && catalog ? (
          <ScopeMatrix catalog={catalog.permissionCatalog} levels={levels ?? levelsOf(catalog.permissionCatalog, [])} onChange={setLevels} />
        ) : null}
        <ExpiryInput label="Expires (optional, your time zone)" />
        <label className="field">
          <span>Only for these customers (optional, one per line)</span>
          <textarea name="customers" rows={2} />
        </label>
        <RateLimitFields />
        <ProblemMessage problem={problem} />
        <div className="actions">
          <ModalClose className="button secondary">Cancel</ModalClose>
          <button type="submit" className="button primary" disabled={fetching}>
            Create key
          </button>
        </div>
      </form>
    </Modal>
  );
}

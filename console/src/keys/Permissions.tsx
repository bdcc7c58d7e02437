import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { problemOfError, type Problem } from "../api/errors";
import { ProblemMessage } from "../ui/Problem";
import { CatalogQuery, UpdateScopes, type Catalog, type KeyDetail } from "./documents";

export const PRESETS = [
  ["FULL_ACCESS", "Full access (every write, and event queue read)"],
  ["READ_ONLY", "Read only"],
  ["CUSTOMERS_WRITE", "Customers: write"],
  ["SUBSCRIPTIONS_WRITE", "Subscriptions: write"],
  ["COUPONS_WRITE", "Coupons: write"],
  ["API_KEYS_READ_WRITE", "API keys: read and write"],
  ["EVENT_QUEUE_READ", "Event queue: read"],
] as const;
export type Preset = (typeof PRESETS)[number][0];

type Access = "none" | "read" | "write";

/** A key's scopes as one access level per resource (a write implies the read). */
export function accessOf(scopes: readonly string[], resource: string): Access {
  if (scopes.includes("*") || scopes.includes(`${resource}:write`)) return "write";
  return scopes.includes(`${resource}:read`) ? "read" : "none";
}

/** The scopes a matrix says: the write alone where it is ticked, since it implies the read. */
function scopesOf(levels: Record<string, Access>): string[] {
  return Object.entries(levels).flatMap(([resource, access]) => (access === "none" ? [] : [`${resource}:${access}`]));
}

/** A resource × read/write grid. Ticking write ticks read; unticking read unticks write. */
export function ScopeMatrix({
  catalog,
  levels,
  onChange,
  readOnly,
}: {
  catalog: Catalog;
  levels: Record<string, Access>;
  onChange?: (levels: Record<string, Access>) => void;
  readOnly?: boolean;
}) {
  const set = (resource: string, access: Access) => onChange?.({ ...levels, [resource]: access });
  return (
    <table className="matrix" aria-label="Permissions">
      <thead>
        <tr>
          <th scope="col">Resource</th>
          <th scope="col">Read</th>
          <th scope="col">Write</th>
        </tr>
      </thead>
      <tbody>
        {catalog.map((r) => {
          const level = levels[r.resource] ?? "none";
          const writable = r.permissions.includes(`${r.resource}:write`);
          return (
            <tr key={r.resource}>
              <th scope="row" title={r.description}>
                {r.displayName}
              </th>
              <td>
                <input
                  type="checkbox"
                  aria-label={`${r.displayName}: read`}
                  checked={level !== "none"}
                  disabled={readOnly}
                  onChange={(e) => set(r.resource, e.target.checked ? "read" : "none")}
                />
              </td>
              <td>
                {writable ? (
                  <input
                    type="checkbox"
                    aria-label={`${r.displayName}: write`}
                    checked={level === "write"}
                    disabled={readOnly}
                    onChange={(e) => set(r.resource, e.target.checked ? "write" : "read")}
                  />
                ) : (
                  <span className="muted" aria-label={`${r.displayName}: no write permission exists`}>
                    —
                  </span>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function levelsOf(catalog: Catalog, scopes: readonly string[]): Record<string, Access> {
  return Object.fromEntries(catalog.map((r) => [r.resource, accessOf(scopes, r.resource)]));
}

export { scopesOf };

/** The Permissions tab: the matrix, editable (with presets) for a scoped key the caller may change. */
export function Permissions({ apiKey, editable }: { apiKey: KeyDetail; editable: boolean }) {
  const [{ data }] = useQuery({ query: CatalogQuery, requestPolicy: "cache-first" });
  const [levels, setLevels] = useState<Record<string, Access> | null>(null);
  const [problem, setProblem] = useState<Problem>();
  const [saved, setSaved] = useState(false);
  const [{ fetching }, update] = useMutation(UpdateScopes);
  if (!data) return <p aria-busy="true">Loading…</p>;
  const current = levels ?? levelsOf(data.permissionCatalog, apiKey.scopes);
  const save = async (input: { scopes?: string[]; preset?: Preset }) => {
    const result = await update({ input: { id: apiKey.id, ...input } });
    setProblem(problemOfError(result.error));
    setSaved(!result.error);
    if (!result.error) setLevels(null);
  };
  return (
    <div className="permissions">
      {apiKey.fullAccess ? <p>This key holds every current and future permission.</p> : null}
      {!editable && apiKey.type !== "SCOPED" ? (
        <p className="muted">The permissions of default and integration keys are fixed.</p>
      ) : null}
      <ScopeMatrix
        catalog={data.permissionCatalog}
        levels={current}
        readOnly={!editable}
        onChange={(next) => {
          setSaved(false);
          setLevels(next);
        }}
      />
      {editable ? (
        <>
          <div className="actions">
            <button type="button" className="button primary" disabled={fetching || !levels} onClick={() => void save({ scopes: scopesOf(current) })}>
              Save permissions
            </button>
            <label className="field inline">
              <span>Or apply a preset</span>
              <select
                defaultValue=""
                onChange={(e) => {
                  if (e.target.value) void save({ preset: e.target.value as Preset });
                  e.target.value = "";
                }}
              >
                <option value="">Choose…</option>
                {PRESETS.map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <p role="status" className="muted">
            {saved ? "Permissions saved." : ""}
          </p>
          <ProblemMessage problem={problem} />
        </>
      ) : null}
    </div>
  );
}

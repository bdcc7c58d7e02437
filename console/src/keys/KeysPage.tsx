import { useState, type FormEvent } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { useQuery } from "urql";
import { problemOfError } from "../api/errors";
import { usePermissions, useViewer } from "../app/viewer";
import type { VariablesOf } from "../graphql";
import { ProblemMessage } from "../ui/Problem";
import { Table, type Column } from "../ui/Table";
import { StatusBadge } from "../ui/StatusBadge";
import { Time } from "../ui/Time";
import { CreateKeyDialog } from "./CreateKeyDialog";
import { KeysQuery, type KeyRow } from "./documents";
import { rateLimitText, scopesSummary, typeLabel } from "./format";
import { KeyPanel } from "./KeyPanel";

const PAGE_SIZE = 20;
// An empty page names no type, so the cache is told that key mutations refresh it.
const KEY_TYPES = { additionalTypenames: ["ApiKey"] };
const STATUSES = [
  ["ACTIVE", "Active"],
  ["EXPIRING_SOON", "Expiring soon"],
  ["EXPIRED", "Expired"],
  ["REVOKED", "Revoked"],
  ["DISABLED", "Disabled"],
] as const;
type Status = (typeof STATUSES)[number][0];
type Filter = NonNullable<VariablesOf<typeof KeysQuery>["filter"]>;

/** The filters live in the URL (`?type=SCOPED&status=ACTIVE,REVOKED&q=billing&after=…`). */
function filterOf(params: URLSearchParams): Filter {
  const filter: Filter = {};
  const kind = params.get("type");
  if (kind === "DEFAULT" || kind === "SCOPED") filter.kind = [kind];
  const status = params.get("status")?.split(",").filter((s): s is Status => STATUSES.some(([v]) => v === s));
  if (status && status.length > 0) filter.status = status;
  const q = params.get("q")?.trim();
  if (q) filter.nameContains = q;
  return filter;
}

export function KeysPage() {
  const { keyId, env } = useParams();
  const [params, setParams] = useSearchParams();
  const viewer = useViewer();
  const { canWrite } = usePermissions();
  const [creating, setCreating] = useState(false);
  const filter = filterOf(params);
  const after = params.get("after");
  const [{ data, error, fetching }] = useQuery({
    query: KeysQuery,
    variables: { first: PAGE_SIZE, after, filter },
    context: KEY_TYPES,
  });

  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries(changes)) {
      if (value) next.set(name, value);
      else next.delete(name);
    }
    // A new filter starts from the first page.
    if (!("after" in changes)) {
      next.delete("after");
      next.delete("back");
    }
    setParams(next, { flushSync: true });
  };
  // Keyset pages: `after` is the page's cursor, and each `back` one of the pages before it, so a
  // shared or reloaded address still pages backwards.
  const back = params.getAll("back");
  const nextPage = (cursor: string) => {
    const next = new URLSearchParams(params);
    next.append("back", after ?? "");
    next.set("after", cursor);
    setParams(next, { flushSync: true });
  };
  const previousPage = () => {
    const next = new URLSearchParams(params);
    const earlier = back.slice(0, -1);
    next.delete("back");
    for (const cursor of earlier) next.append("back", cursor);
    const previous = back[back.length - 1];
    if (previous) next.set("after", previous);
    else next.delete("after");
    setParams(next, { flushSync: true });
  };
  const statusSet = new Set(filter.status ?? []);
  const toggleStatus = (status: Status) => {
    const next = new Set(statusSet);
    if (next.has(status)) next.delete(status);
    else next.add(status);
    update({ status: [...next].join(",") || null });
  };
  const search = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    update({ q: String(new FormData(event.currentTarget).get("q") ?? "") || null });
  };
  const query = params.toString() ? `?${params.toString()}` : "";
  const columns: Column<KeyRow>[] = [
    {
      header: "Name",
      cell: (k) => (
        <Link to={`/${env}/keys/${k.id}${query}`} className="key-link">
          {k.name}
        </Link>
      ),
    },
    { header: "Type", cell: (k) => typeLabel(k.type) },
    { header: "Key", cell: (k) => <code>{k.maskedKey}</code> },
    { header: "Status", cell: (k) => <StatusBadge status={k.status} /> },
    { header: "Scopes", className: "scopes", cell: (k) => <span title={k.scopes.join(", ")}>{scopesSummary(k)}</span> },
    { header: "Rate limit", cell: (k) => rateLimitText(k.rateLimit) },
    { header: "Last used", cell: (k) => <Time at={k.lastUsedAt} empty="Never" /> },
    { header: "Created", cell: (k) => <Time at={k.createdAt} /> },
  ];

  return (
    <div>
      <section aria-labelledby="keys-title" className="keys-list">
        <div className="page-head">
          <h1 id="keys-title">API keys</h1>
          {canWrite ? (
            <button type="button" className="button primary" onClick={() => setCreating(true)}>
              + Add scoped key
            </button>
          ) : null}
        </div>
        <p className="muted">
          Keys of the {viewer.environment.name} environment. Secrets are shown once, when a key is made or rotated.
        </p>
        <div className="filters" role="group" aria-label="Filters">
          <label className="field inline">
            <span>Type</span>
            <select value={params.get("type") ?? ""} onChange={(e) => update({ type: e.target.value || null })}>
              <option value="">All</option>
              <option value="DEFAULT">Default</option>
              <option value="SCOPED">Scoped</option>
            </select>
          </label>
          <fieldset className="status-filter">
            <legend>Status</legend>
            {STATUSES.map(([value, label]) => (
              <label key={value} className="check">
                <input type="checkbox" checked={statusSet.has(value)} onChange={() => toggleStatus(value)} />
                {label}
              </label>
            ))}
          </fieldset>
          <form role="search" onSubmit={search} className="search">
            <label className="field inline">
              <span>Name</span>
              <input name="q" type="search" defaultValue={params.get("q") ?? ""} key={params.get("q") ?? ""} placeholder="Search by name" />
            </label>
            <button type="submit" className="button secondary">
              Search
            </button>
          </form>
        </div>
        <ProblemMessage problem={problemOfError(error)} />
        <Table
          label="API keys"
          columns={columns}
          rows={data?.apiKeys.edges.map((e) => e.node)}
          rowKey={(k) => k.id}
          current={keyId}
          empty="No key matches these filters."
          busy={fetching}
          placeholderRows={5}
        />
        <nav className="pager" aria-label="Pages">
          <button type="button" className="button secondary" disabled={!after} onClick={previousPage}>
            Previous page
          </button>
          <button
            type="button"
            className="button secondary"
            disabled={!data?.apiKeys.pageInfo.hasNextPage}
            onClick={() => data?.apiKeys.pageInfo.endCursor && nextPage(data.apiKeys.pageInfo.endCursor)}
          >
            Next page
          </button>
        </nav>
      </section>
      {keyId ? <KeyPanel id={keyId} backTo={`/${env}/keys${query}`} /> : null}
      {creating ? <CreateKeyDialog onClose={() => setCreating(false)} /> : null}
    </div>
  );
}

import { useQuery } from "urql";
import { problemOfError } from "../api/errors";
import type { ResultOf } from "../graphql";
import { ProblemMessage } from "../ui/Problem";
import { Table, type Column } from "../ui/Table";
import { Time } from "../ui/Time";
import { AuditState, KeyAuditQuery } from "./documents";
import { REFILLS, rateLimitText } from "./format";

const EVENT_LABELS: Record<string, string> = {
  KEY_CREATED: "Created",
  KEY_UPDATED: "Settings changed",
  SCOPES_UPDATED: "Permissions changed",
  KEY_ROTATED: "Rotated",
  EXPIRATION_CHANGED: "Expiration changed",
  KEY_REVOKED: "Revoked",
  KEY_REVEALED: "Secret revealed",
  KEY_DISABLED: "Disabled",
  KEY_ENABLED: "Enabled",
  KEY_LEAKED: "Reported leaked",
};

type State = ResultOf<typeof AuditState>;

/** The fields of a state worth showing, as "field: value" lines. */
function describe(state: State): string[] {
  const lines: string[] = [];
  if (state.name != null) lines.push(`name: ${state.name}`);
  if (state.description != null) lines.push(`description: ${state.description}`);
  if (state.scopes) lines.push(`scopes: ${state.scopes.join(", ") || "none"}`);
  if (state.expiresAt) lines.push(`expires: ${new Date(state.expiresAt).toLocaleString()}`);
  if (state.customerIds) lines.push(`customers: ${state.customerIds.join(", ")}`);
  if (state.rateLimit) lines.push(`rate limit: ${rateLimitText(state.rateLimit)}`);
  if (state.quota) lines.push(`quota: ${state.quota.limit.toLocaleString()} ${REFILLS[state.quota.refill]}`);
  if (state.allowedIps) lines.push(`allowed IPs: ${state.allowedIps.join(", ")}`);
  if (state.disabledReason != null) lines.push(`reason: ${state.disabledReason}`);
  if (state.leak) {
    lines.push(state.leak.action === "REVOKED" ? "revoked at once" : "kept usable: rotate it");
    if (state.leak.url) lines.push(`found at: ${state.leak.url}`);
    if (state.leak.source) lines.push(`source: ${state.leak.source}`);
  }
  return lines;
}

function StateCell({ state }: { state: State }) {
  const lines = describe(state);
  if (lines.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="plain">
      {lines.map((line) => (
        <li key={line}>{line}</li>
      ))}
    </ul>
  );
}

const ACTORS: Record<string, string> = { USER: "user", API_KEY: "API key", SYSTEM: "Keyplane" };

type Event = NonNullable<ResultOf<typeof KeyAuditQuery>["apiKey"]>["auditEvents"]["edges"][number]["node"];

const COLUMNS: Column<Event>[] = [
  { header: "When", cell: (e) => <Time at={e.occurredAt} /> },
  { header: "Event", cell: (e) => EVENT_LABELS[e.type] ?? e.type },
  {
    header: "Actor",
    cell: (e) => (
      <>
        {e.actor.name} <span className="muted">({ACTORS[e.actor.type] ?? e.actor.type})</span>
      </>
    ),
  },
  { header: "Before", cell: (e) => <StateCell state={e.before} /> },
  { header: "After", cell: (e) => <StateCell state={e.after} /> },
];

export function AuditLog({ id }: { id: string }) {
  const [{ data, error, fetching }] = useQuery({ query: KeyAuditQuery, variables: { id } });
  return (
    <div>
      <ProblemMessage problem={problemOfError(error)} />
      <Table
        label="Audit log"
        columns={COLUMNS}
        rows={data?.apiKey?.auditEvents.edges.map((e) => e.node)}
        rowKey={(e) => e.id}
        empty="No events yet."
        busy={fetching}
        placeholderRows={3}
      />
    </div>
  );
}

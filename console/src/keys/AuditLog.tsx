import { useQuery } from "urql";
import { problemOfError } from "../api/errors";
import type { ResultOf } from "../graphql";
import { ProblemMessage } from "../ui/Problem";
import { Time } from "../ui/Time";
import { AuditState, KeyAuditQuery } from "./documents";
import { rateLimitText } from "./format";

const EVENT_LABELS: Record<string, string> = {
  KEY_CREATED: "Created",
  KEY_UPDATED: "Settings changed",
  SCOPES_UPDATED: "Permissions changed",
  KEY_ROTATED: "Rotated",
  EXPIRATION_CHANGED: "Expiration changed",
  KEY_REVOKED: "Revoked",
  KEY_REVEALED: "Secret revealed",
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

export function AuditLog({ id }: { id: string }) {
  const [{ data, error, fetching }] = useQuery({ query: KeyAuditQuery, variables: { id } });
  const edges = data?.apiKey?.auditEvents.edges ?? [];
  return (
    <div>
      <ProblemMessage problem={problemOfError(error)} />
      <div className="table-wrap">
        <table aria-label="Audit log" aria-busy={fetching}>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">Actor</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {edges.map(({ node }) => (
              <tr key={node.id}>
                <td>
                  <Time at={node.occurredAt} />
                </td>
                <td>{EVENT_LABELS[node.type] ?? node.type}</td>
                <td>
                  {node.actor.name} <span className="muted">({node.actor.type === "USER" ? "user" : node.actor.type === "API_KEY" ? "API key" : "Keyplane"})</span>
                </td>
                <td>
                  <StateCell state={node.before} />
                </td>
                <td>
                  <StateCell state={node.after} />
                </td>
              </tr>
            ))}
            {data && edges.length === 0 ? (
              <tr>
                <td colSpan={5} className="empty">
                  No events yet.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
    </div>
  );
}

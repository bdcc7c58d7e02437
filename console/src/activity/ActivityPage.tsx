import { Link, useParams, useSearchParams } from "react-router";
import { useQuery } from "urql";
import { problemOfError } from "../api/errors";
import { graphql, type ResultOf, type VariablesOf } from "../graphql";
import { Pager } from "../ui/Pager";
import { ProblemMessage } from "../ui/Problem";
import { Table, type Column } from "../ui/Table";
import { Time } from "../ui/Time";

const ActivityQuery = graphql(`
  query Activity($after: String, $filter: ActivityEventFilter) {
    activityEvents(first: 50, after: $after, filter: $filter) {
      edges { node { id occurredAt operationName operationType rootFields outcome httpStatus durationMicros userId apiKey { id name } } }
      pageInfo { hasNextPage endCursor }
    }
    users(first: 100) { edges { node { id displayName } } pageInfo { hasNextPage } }
  }
`);
type Filter = NonNullable<VariablesOf<typeof ActivityQuery>["filter"]>;
type Event = ResultOf<typeof ActivityQuery>["activityEvents"]["edges"][number]["node"];

/** The environment's API requests, filtered by what the URL says. */
export function ActivityPage() {
  const { env } = useParams();
  const [params, setParams] = useSearchParams();
  const filter: Filter = {};
  const type = params.get("type");
  if (type === "QUERY" || type === "MUTATION") filter.operationType = type;
  const outcome = params.get("outcome");
  if (outcome) filter.outcome = outcome;
  const after = params.get("after");
  const [{ data, error, fetching }] = useQuery({ query: ActivityQuery, variables: { after, filter } });
  const names = new Map(data?.users.edges.map(({ node }) => [node.id, node.displayName]));
  // Only a complete list of users tells that a user not in it was removed.
  const unknownUser = data?.users.pageInfo.hasNextPage ? "a user" : "a removed user";
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    next.delete("after");
    setParams(next, { flushSync: true });
  };
  const columns: Column<Event>[] = [
    { header: "When", cell: (e) => <Time at={e.occurredAt} /> },
    {
      header: "Operation",
      cell: (e) => (
        <>
          {e.operationName ?? <span className="muted">anonymous</span>} <span className="muted">{e.rootFields.join(", ")}</span>
        </>
      ),
    },
    {
      header: "By",
      cell: (e) =>
        e.apiKey ? <Link to={`/${env}/keys/${e.apiKey.id}`}>{e.apiKey.name}</Link> : e.userId ? (names.get(e.userId) ?? unknownUser) : "—",
    },
    {
      header: "Outcome",
      cell: (e) => (
        <>
          {e.outcome} <span className="muted">({e.httpStatus})</span>
        </>
      ),
    },
    { header: "Duration", cell: (e) => `${(e.durationMicros / 1000).toFixed(1)} ms` },
  ];
  return (
    <section aria-labelledby="activity-title">
      <h1 id="activity-title">Activity</h1>
      <p className="muted">Every management request in this environment. Verifications are counted per key, on each key's Usage tab.</p>
      <div className="filters" role="group" aria-label="Filters">
        <label className="field inline">
          <span>Operation</span>
          <select value={type ?? ""} onChange={(e) => set("type", e.target.value)}>
            <option value="">All</option>
            <option value="QUERY">Queries</option>
            <option value="MUTATION">Mutations</option>
          </select>
        </label>
        <label className="field inline">
          <span>Outcome</span>
          <select value={outcome ?? ""} onChange={(e) => set("outcome", e.target.value)}>
            <option value="">All</option>
            <option value="OK">OK</option>
            <option value="UNAUTHENTICATED">Unauthenticated</option>
            <option value="FORBIDDEN">Forbidden</option>
            <option value="BAD_USER_INPUT">Bad input</option>
            <option value="CONFLICT">Conflict</option>
            <option value="NOT_FOUND">Not found</option>
            <option value="RATE_LIMITED">Rate limited</option>
          </select>
        </label>
      </div>
      <ProblemMessage problem={problemOfError(error)} />
      <Table
        label="Activity"
        columns={columns}
        rows={data?.activityEvents.edges.map((e) => e.node)}
        rowKey={(e) => e.id}
        empty="No request matches these filters yet."
        busy={fetching}
        placeholderRows={5}
      />
      <Pager pageInfo={data?.activityEvents.pageInfo} />
    </section>
  );
}

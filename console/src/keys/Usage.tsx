import { useMemo } from "react";
import { useQuery } from "urql";
import { problemOfError } from "../api/errors";
import { ProblemMessage } from "../ui/Problem";
import { Table, type Column } from "../ui/Table";
import { Time } from "../ui/Time";
import { KeyUsageQuery } from "./documents";

const HOURS = 24;

/** Verifications of the key over the last day, by outcome; its own requests when it verified nothing. */
export function Usage({ id }: { id: string }) {
  const range = useMemo(() => {
    const to = new Date();
    to.setMinutes(0, 0, 0);
    to.setHours(to.getHours() + 1);
    return { from: new Date(to.getTime() - HOURS * 3600 * 1000).toISOString(), to: to.toISOString() };
  }, []);
  const [{ data, error }] = useQuery({ query: KeyUsageQuery, variables: { id, ...range, granularity: "HOUR" } });
  const points = data?.apiKey?.usage ?? [];
  const total = points.reduce((sum, p) => sum + p.total, 0);
  return (
    <div>
      <ProblemMessage problem={problemOfError(error)} />
      {!data && !error ? <p aria-busy="true">Loading…</p> : null}
      {data && total > 0 ? <UsageChart points={points} /> : null}
      {data && total === 0 ? <Activity events={data.apiKey?.activityEvents.edges.map((e) => e.node) ?? []} /> : null}
    </div>
  );
}

type Point = { at: string; total: number; byOutcome: readonly { code: string; count: number }[] };

function UsageChart({ points }: { points: readonly Point[] }) {
  const max = Math.max(1, ...points.map((p) => p.total));
  const codes = [...new Set(points.flatMap((p) => p.byOutcome.map((o) => o.code)))].sort();
  const width = 100 / points.length;
  return (
    <figure className="usage">
      <figcaption>Verifications per hour, last 24 hours</figcaption>
      <svg viewBox="0 0 100 40" preserveAspectRatio="none" role="img" aria-label="Verifications per hour by outcome">
        {points.map((p, i) => {
          let y = 40;
          return p.byOutcome.map((o) => {
            const h = (o.count / max) * 38;
            y -= h;
            return <rect key={`${p.at}-${o.code}`} x={i * width + 0.1} y={y} width={width - 0.2} height={h} className={o.code === "VALID" ? "bar-valid" : "bar-refused"} />;
          });
        })}
      </svg>
      <Table
        label="Verifications by outcome"
        columns={OUTCOME_COLUMNS}
        rows={codes.map((code) => ({ code, count: points.reduce((sum, p) => sum + (p.byOutcome.find((o) => o.code === code)?.count ?? 0), 0) }))}
        rowKey={(r) => r.code}
        empty="No verifications."
      />
    </figure>
  );
}

type Event = { id: string; occurredAt: string; operationName: string | null; rootFields: readonly string[]; outcome: string; httpStatus: number };

const OUTCOME_COLUMNS: Column<{ code: string; count: number }>[] = [
  { header: "Outcome", cell: (r) => r.code },
  { header: "Verifications", cell: (r) => r.count.toLocaleString() },
];

const REQUEST_COLUMNS: Column<Event>[] = [
  { header: "When", cell: (e) => <Time at={e.occurredAt} /> },
  { header: "Operation", cell: (e) => e.operationName ?? e.rootFields.join(", ") },
  {
    header: "Outcome",
    cell: (e) => (
      <>
        {e.outcome} <span className="muted">({e.httpStatus})</span>
      </>
    ),
  },
];

function Activity({ events }: { events: readonly Event[] }) {
  return (
    <div>
      <p className="muted">No verifications of this key in the last 24 hours. Its own most recent requests:</p>
      <Table label="Recent requests" columns={REQUEST_COLUMNS} rows={events} rowKey={(e) => e.id} empty="This key has made no requests." />
    </div>
  );
}

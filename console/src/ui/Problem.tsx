import type { Problem } from "../api/errors";

/** A failure shown to a person: the sentence chosen by its code, the field, the server's detail. */
export function ProblemMessage({ problem }: { problem: Problem | undefined }) {
  if (!problem) return null;
  return (
    <div role="alert" className="problem" data-code={problem.code}>
      <p>{problem.text}</p>
      {problem.field || problem.detail ? (
        <p className="problem-detail">
          {problem.field ? <>Field: <code>{problem.field}</code>. </> : null}
          {problem.detail}
        </p>
      ) : null}
    </div>
  );
}

import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { problemOfError, type Problem } from "../api/errors";
import type { ResultOf } from "../graphql";
import { Modal, ModalClose } from "../ui/Modal";
import { OneTimeSecret } from "../ui/OneTimeSecret";
import { ProblemMessage } from "../ui/Problem";
import { statusLabel } from "../ui/StatusBadge";
import { exactTime } from "../ui/Time";
import { RotateKey, type KeyDetail } from "./documents";
import { ExpiryInput } from "./ExpiryInput";
import { instantOf } from "./format";

const GRACES = [
  ["NOW", "Now (the old key stops at once)"],
  ["ONE_HOUR", "In 1 hour"],
  ["ONE_DAY", "In 24 hours"],
  ["THREE_DAYS", "In 3 days"],
  ["SEVEN_DAYS", "In 7 days"],
  ["DATE", "On a date"],
] as const;
type Grace = (typeof GRACES)[number][0];

export function RotateDialog({ apiKey, onClose }: { apiKey: KeyDetail; onClose: () => void }) {
  const [grace, setGrace] = useState<Grace>("ONE_DAY");
  const [problem, setProblem] = useState<Problem>();
  const [done, setDone] = useState<ResultOf<typeof RotateKey>["rotateApiKey"]>();
  const [{ fetching }, rotate] = useMutation(RotateKey);

  if (done) {
    return (
      <OneTimeSecret title={`New secret for ${done.apiKey.name}`} secret={done.secret} secretLabel="New secret" onDone={onClose}>
        <p role="status">
          The old key is now <strong>{statusLabel(done.previousKey.status)}</strong>
          {done.previousKey.expiresAt ? <> and stops working {exactTime(done.previousKey.expiresAt)}</> : null}.
        </p>
      </OneTimeSecret>
    );
  }

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const input =
      grace === "DATE"
        ? { id: apiKey.id, expiresAt: instantOf(String(form.get("expiresAt") ?? "")) }
        : { id: apiKey.id, gracePeriod: grace };
    const result = await rotate({ input });
    if (result.data) setDone(result.data.rotateApiKey);
    else setProblem(problemOfError(result.error));
  };
  return (
    <Modal title={`Rotate ${apiKey.name}`} description="A new key with the same name, permissions and settings is made. Choose when the old one stops working." onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <fieldset>
          <legend>The old key expires</legend>
          {GRACES.map(([value, label]) => (
            <label key={value} className="check">
              <input type="radio" name="grace" value={value} checked={grace === value} onChange={() => setGrace(value)} />
              {label}
            </label>
          ))}
        </fieldset>
        {grace === "DATE" ? (
          <ExpiryInput label="Old key expires at (your time zone)" required />
        ) : null}
        <ProblemMessage problem={problem} />
        <div className="actions">
          <ModalClose className="button secondary">Cancel</ModalClose>
          <button type="submit" className="button primary" disabled={fetching}>
            Rotate key
          </button>
        </div>
      </form>
    </Modal>
  );
}

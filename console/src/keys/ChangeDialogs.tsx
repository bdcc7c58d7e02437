import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { problemOfError, type Problem } from "../api/errors";
import { Modal, ModalClose } from "../ui/Modal";
import { ProblemMessage } from "../ui/Problem";
import { DisableKey, RevokeKey, UpdateExpiration, type KeyDetail } from "./documents";
import { ExpiryInput } from "./ExpiryInput";
import { instantOf } from "./format";

export function ExpirationDialog({ apiKey, onClose }: { apiKey: KeyDetail; onClose: () => void }) {
  const [problem, setProblem] = useState<Problem>();
  const [{ fetching }, change] = useMutation(UpdateExpiration);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const local = String(new FormData(event.currentTarget).get("expiresAt") ?? "");
    const result = await change({ input: { id: apiKey.id, expiresAt: instantOf(local) } });
    if (result.error) setProblem(problemOfError(result.error));
    else onClose();
  };
  return (
    <Modal title={`Change the expiration of ${apiKey.name}`} description="The key keeps working until this moment, at most a year from now." onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <ExpiryInput label="Expires at (your time zone)" required initial={apiKey.expiresAt} />
        <ProblemMessage problem={problem} />
        <div className="actions">
          <ModalClose className="button secondary">Cancel</ModalClose>
          <button type="submit" className="button primary" disabled={fetching}>
            Save expiration
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** Disabling asks why: the reason goes to the audit log and shows on the key. */
export function DisableDialog({ apiKey, onClose }: { apiKey: KeyDetail; onClose: () => void }) {
  const [problem, setProblem] = useState<Problem>();
  const [{ fetching }, disable] = useMutation(DisableKey);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const reason = String(new FormData(event.currentTarget).get("reason") ?? "");
    const result = await disable({ input: { id: apiKey.id, reason } });
    if (result.error) setProblem(problemOfError(result.error));
    else onClose();
  };
  return (
    <Modal title={`Disable ${apiKey.name}`} description="Requests made with this key are refused until it is enabled again. Nothing about the key is lost." onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <label className="field">
          <span>Reason</span>
          <input name="reason" required maxLength={500} autoComplete="off" />
        </label>
        <ProblemMessage problem={problem} />
        <div className="actions">
          <ModalClose className="button secondary">Cancel</ModalClose>
          <button type="submit" className="button danger" disabled={fetching}>
            Disable key
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** Revoking is for good: the person types the key's name to confirm. */
export function RevokeDialog({ apiKey, onClose }: { apiKey: KeyDetail; onClose: () => void }) {
  const [typed, setTyped] = useState("");
  const [problem, setProblem] = useState<Problem>();
  const [{ fetching }, revoke] = useMutation(RevokeKey);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const result = await revoke({ input: { id: apiKey.id } });
    if (result.error) setProblem(problemOfError(result.error));
    else onClose();
  };
  return (
    <Modal title={`Revoke ${apiKey.name}`} description="Every request made with this key is refused from now on. This cannot be undone." onClose={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <label className="field">
          <span>
            Type <strong>{apiKey.name}</strong> to confirm
          </span>
          <input value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
        </label>
        <ProblemMessage problem={problem} />
        <div className="actions">
          <ModalClose className="button secondary">Cancel</ModalClose>
          <button type="submit" className="button danger" disabled={fetching || typed !== apiKey.name}>
            Revoke for good
          </button>
        </div>
      </form>
    </Modal>
  );
}

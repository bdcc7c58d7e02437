import { localInputValue, ONE_YEAR_MS } from "./format";

/**
 * A moment in the browser's time zone, from now to a year out (the server's own bounds); the
 * form sends it with `instantOf`, so the instant chosen is the instant stored.
 */
export function ExpiryInput({ label, required = false, initial }: { label: string; required?: boolean; initial?: string | null }) {
  const now = new Date();
  return (
    <label className="field">
      <span>{label}</span>
      <input
        name="expiresAt"
        type="datetime-local"
        required={required}
        defaultValue={initial ? localInputValue(new Date(initial)) : ""}
        min={localInputValue(now)}
        max={localInputValue(new Date(now.getTime() + ONE_YEAR_MS))}
      />
    </label>
  );
}

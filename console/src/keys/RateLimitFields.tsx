const PERIODS: [number, string][] = [
  [1, "second"],
  [60, "minute"],
  [3600, "hour"],
  [86400, "day"],
];

type RateLimitMode = "EXACT" | "LEASED";
type RateLimit = { requests: number; periodSeconds: number; mode: RateLimitMode };

/**
 * Rate-limit inputs: requests per period, and how replicas sharing Redis agree on it; no number
 * means the environment default applies.
 */
export function RateLimitFields({ value }: { value?: RateLimit | null | undefined }) {
  // A period set through the API that is none of the usual ones stays choosable as it is.
  const periods: [number, string][] =
    value && !PERIODS.some(([s]) => s === value.periodSeconds)
      ? [...PERIODS, [value.periodSeconds, `${value.periodSeconds} seconds`]]
      : PERIODS;
  const period = value?.periodSeconds ?? 60;
  return (
    <fieldset className="rate-limit">
      <legend>Rate limit</legend>
      <label className="field inline">
        <span>Requests</span>
        <input name="rateRequests" type="number" min={1} max={1000000} defaultValue={value?.requests ?? ""} placeholder="Default" />
      </label>
      <label className="field inline">
        <span>per</span>
        <select name="ratePeriod" defaultValue={String(period)}>
          {periods.map(([seconds, label]) => (
            <option key={seconds} value={seconds}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <label className="field inline">
        <span>across replicas</span>
        <select name="rateMode" defaultValue={value?.mode ?? "EXACT"}>
          <option value="EXACT">exact (Redis per request)</option>
          <option value="LEASED">leased (fast, within a lease)</option>
        </select>
      </label>
    </fieldset>
  );
}

export function rateLimitOf(form: FormData): RateLimit | null {
  const requests = String(form.get("rateRequests") ?? "").trim();
  if (!requests) return null;
  const mode: RateLimitMode = form.get("rateMode") === "LEASED" ? "LEASED" : "EXACT";
  return { requests: Number(requests), periodSeconds: Number(form.get("ratePeriod") ?? 60), mode };
}

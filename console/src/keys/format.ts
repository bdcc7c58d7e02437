import type { KeyRow } from "./documents";

const TYPE_LABELS: Record<string, string> = {
  FULL_ACCESS: "Full access",
  PUBLISHABLE: "Publishable",
  SCOPED: "Scoped",
  INTEGRATION: "Integration",
};

export function typeLabel(type: string): string {
  return TYPE_LABELS[type] ?? type;
}

/** "Full access", or "customers: write · coupons: read", the way the matrix reads; past two, "+N more". */
export function scopesSummary(key: Pick<KeyRow, "fullAccess" | "scopes">): string {
  if (key.fullAccess) return "Full access";
  if (key.scopes.length === 0) return "None";
  const shown = key.scopes.slice(0, 2).map((s) => s.replace(":", ": "));
  const more = key.scopes.length - shown.length;
  return shown.join(" · ") + (more > 0 ? ` · +${more} more` : "");
}

const PERIODS: [number, string][] = [
  [86400, "day"],
  [3600, "hour"],
  [60, "minute"],
  [1, "second"],
];

export function rateLimitText(limit: { requests: number; periodSeconds: number; mode?: string } | null | undefined): string {
  if (!limit) return "Default";
  const leased = limit.mode === "LEASED" ? " (leased)" : "";
  for (const [seconds, unit] of PERIODS) {
    if (limit.periodSeconds % seconds === 0) {
      const count = limit.periodSeconds / seconds;
      return `${limit.requests.toLocaleString()} / ${count === 1 ? unit : `${count} ${unit}s`}${leased}`;
    }
  }
  return `${limit.requests} / ${limit.periodSeconds} s${leased}`;
}

/** The value of a `datetime-local` input as the exact instant the person meant, in UTC. */
export function instantOf(local: string): string {
  return new Date(local).toISOString();
}

/** An instant as a `datetime-local` value in the browser's time zone. */
export function localInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export const ONE_YEAR_MS = 365 * 24 * 3600 * 1000;

/** How each refill reads after a quota's limit. */
export const REFILLS: Record<string, string> = { DAILY: "a day", MONTHLY: "a month", NEVER: "in all" };

export function quotaText(
  quota: { limit: number; refill: string; remaining: number; resetsAt?: string | null } | null | undefined,
): string {
  if (!quota) return "Unlimited";
  const left = `${quota.remaining.toLocaleString()} of ${quota.limit.toLocaleString()} left`;
  const refill = quota.resetsAt ? `, refills ${new Date(quota.resetsAt).toLocaleString()}` : "";
  return `${left} (${quota.limit.toLocaleString()} ${REFILLS[quota.refill] ?? ""}${refill})`;
}

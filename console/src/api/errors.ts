import type { CombinedError } from "urql";

/** What a person reads for each `extensions.code` the API answers. Never chosen by message text. */
const MESSAGES: Record<string, string> = {
  UNAUTHENTICATED: "You are signed out. Sign in again to continue.",
  FORBIDDEN: "Your role does not allow this.",
  NOT_FOUND: "That no longer exists in this environment. It may have been removed by someone else.",
  BAD_USER_INPUT: "One of the values was not accepted.",
  BAD_REQUEST: "The request was not understood. Reload the page and try again.",
  CONFLICT: "The current state does not allow this (it may have been rotated, revoked, expired or changed by someone else). Reload to see where things stand.",
  PLAN_UPGRADE_REQUIRED: "Scoped keys need the Scale plan. An operator can move the account with `keyplane set-plan --plan SCALE`.",
  RATE_LIMITED: "Too many attempts in a short time. Wait a minute, then try again.",
  IDEMPOTENCY_CONFLICT: "The same request is already being processed. Wait a moment and reload.",
  UNAVAILABLE: "Keyplane cannot reach its database right now. Nothing was changed; try again in a moment.",
  INTERNAL_SERVER_ERROR: "Something went wrong inside Keyplane. It has been logged; try again.",
  GRAPHQL_VALIDATION_FAILED: "The console and the server disagree about the API. Reload the page.",
  GRAPHQL_PARSE_FAILED: "The console sent a request the server could not read. Reload the page.",
};

/** A failure as the console shows it: one sentence chosen by code, plus the field it concerns. */
export interface Problem {
  code: string;
  text: string;
  field?: string;
  /** The server's own explanation of a refused value (BAD_USER_INPUT only). */
  detail?: string;
}

export function problemOf(code: string | undefined, field?: string, detail?: string): Problem {
  const known = code ?? "NETWORK";
  const text =
    MESSAGES[known] ??
    (known === "NETWORK"
      ? "Keyplane did not answer. Check that the server is running and try again."
      : "The request failed.");
  const problem: Problem = { code: known, text };
  if (field) problem.field = field;
  if (known === "BAD_USER_INPUT" && detail) problem.detail = detail;
  return problem;
}

/** The first problem of a GraphQL result, if it failed. */
export function problemOfError(error: CombinedError | undefined): Problem | undefined {
  if (!error) return undefined;
  const first = error.graphQLErrors[0];
  if (!first) return problemOf(undefined);
  const ext = first.extensions as { code?: string; field?: string } | undefined;
  return problemOf(ext?.code, ext?.field, first.message);
}

/** The body of a failed plain-JSON route (`/auth/login`, `/auth/logout`). */
export async function problemOfResponse(response: Response): Promise<Problem> {
  try {
    const body = (await response.json()) as {
      errors?: { message?: string; extensions?: { code?: string; field?: string } }[];
    };
    const first = body.errors?.[0];
    return problemOf(first?.extensions?.code, first?.extensions?.field, first?.message);
  } catch {
    return problemOf(undefined);
  }
}

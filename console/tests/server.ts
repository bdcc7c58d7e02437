import { readFileSync } from "node:fs";
import { createHmac } from "node:crypto";

export const STATE_FILE = "test-results/keyplane.json";

/** What the server printed once at its first start (see global-setup.ts). */
export interface ServerState {
  baseURL: string;
  account: { id: string; name: string; plan: string };
  environments: { slug: string; type: string; fullAccessKey: string; publishableKey: string }[];
  ownerSetupUrl: string;
}

export function server(): ServerState {
  return JSON.parse(readFileSync(STATE_FILE, "utf8")) as ServerState;
}

export function fullAccessKey(slug = "production"): string {
  const env = server().environments.find((e) => e.slug === slug);
  if (!env) throw new Error(`no environment ${slug}`);
  return env.fullAccessKey;
}

export const OWNER = { email: "owner@example.com", name: "Olive Owner", password: "correct horse battery staple" };

export interface GraphQLAnswer<T> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** A GraphQL request made as a machine would: with a key, outside the browser. */
export async function asKey<T = Record<string, unknown>>(
  key: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLAnswer<T>> {
  const response = await fetch(`${server().baseURL}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphQLAnswer<T>, "status">;
  return { status: response.status, ...body };
}

/** Whether a secret authenticates a request right now. */
export async function authenticates(secret: string): Promise<boolean> {
  const answer = await asKey(secret, "{ viewer { environment { slug } } }");
  return answer.status === 200 && !answer.errors;
}

/** A customer token as a platform's backend mints it (the recipe in docs/client-side-security.md). */
export function customerToken(signingSecret: string, customerId: string, lifetimeSeconds = 600): string {
  const expiry = Math.floor(Date.now() / 1000) + lifetimeSeconds;
  const mac = createHmac("sha256", signingSecret).update(`v2\n${customerId}\n${expiry}`).digest("hex");
  return `v2.${expiry}.${mac}`;
}

import { Client, cacheExchange, fetchExchange } from "urql";

/**
 * A client for one environment. Every operation is a POST to /graphql with the session cookie
 * (same origin) and `Keyplane-Environment`; the server checks the Origin of cookie POSTs. One
 * client per environment keeps one environment's cached answers out of another's pages.
 */
export function clientFor(environment: string): Client {
  return new Client({
    url: "/graphql",
    preferGetMethod: false,
    requestPolicy: "cache-and-network",
    exchanges: [cacheExchange, fetchExchange],
    fetchOptions: () => ({
      credentials: "same-origin",
      headers: {
        accept: "application/graphql-response+json",
        "keyplane-environment": environment,
      },
    }),
  });
}

/** POST a JSON body to one of the plain routes (`/auth/login`, `/auth/logout`). */
export function postJson(path: string, body: unknown): Promise<Response> {
  return fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
  });
}

import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import "graphiql/style.css";

const DEFAULT_QUERY = `# Keyplane's GraphQL API. Every request acts in one environment.
query {
  viewer { environment { name } account { name plan } }
  apiKeys(first: 5) { edges { node { name type status maskedKey } } }
}
`;

/**
 * A request carries one credential. With an `X-API-Key` in the header editor the session
 * cookie is left out, so a signed-in person can try a key without signing out.
 */
const oneCredentialFetch: typeof fetch = (input, init) => {
  const key = new Headers(init?.headers).get("x-api-key")?.trim();
  return fetch(input, { ...init, credentials: key ? "omit" : "same-origin" });
};

/**
 * GraphiQL, bundled with the console (no CDN). `environment` is sent as `Keyplane-Environment`
 * with the session cookie, or an `X-API-Key` typed into the header editor instead of it.
 * Headers are never persisted in the browser's storage.
 */
export function Playground({ environment, defaultHeaders }: { environment?: string; defaultHeaders?: string }) {
  const fetcher = createGraphiQLFetcher({
    url: "/graphql",
    fetch: oneCredentialFetch,
    headers: environment ? { "Keyplane-Environment": environment } : {},
  });
  return (
    <GraphiQL
      fetcher={fetcher}
      defaultQuery={DEFAULT_QUERY}
      shouldPersistHeaders={false}
      defaultHeaders={defaultHeaders ?? ""}
      defaultEditorToolsVisibility={defaultHeaders ? "headers" : false}
    />
  );
}

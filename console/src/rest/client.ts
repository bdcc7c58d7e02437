import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "./schema";

// A typed client of the REST API under /api/v1, for scripts and tests: every path, parameter,
// body and answer is typed from `schema.d.ts`, which `npm run generate:rest` writes from the
// repository's `openapi.json` (CI fails when it is stale). The console itself stays a GraphQL
// client and does not import this module.

export type { components, paths };

type Schemas = components["schemas"];
export type ApiKey = Schemas["ApiKey"];
export type CreateApiKey = Schemas["CreateApiKey"];
export type CreatedApiKey = Schemas["CreatedApiKey"];
export type RotateApiKey = Schemas["RotateApiKey"];
export type RotatedApiKey = Schemas["RotatedApiKey"];
/** The one error body of every route under /api/v1: `{"error": {"code", "message", ...}}`. */
export type ErrorBody = Schemas["ErrorBody"];

export type RestClient = Client<paths>;

// What the types catch in a call: a path that does not exist, a wrong or missing path parameter,
// a missing required field, a value outside an enum, and any field of an answer that is not in
// the schema. One thing they miss: openapi-fetch infers a call's options as a generic, so a
// misspelt optional field in a literal body passes unless the body is checked against its own
// type, as in `body: { gracePeriod: "ONE_HOUR" } satisfies RotateApiKey`.

/**
 * A client that authenticates every request with `X-API-Key`. `baseUrl` is the server's origin
 * (`http://127.0.0.1:8080`): the paths already start with `/api/v1`.
 */
export function restClient(baseUrl: string, apiKey: string): RestClient {
  return createClient<paths>({ baseUrl, headers: { "X-API-Key": apiKey } });
}

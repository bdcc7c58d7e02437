import { initGraphQLTada } from "gql.tada";
import type { introspection } from "./graphql-env";

/** `graphql()` types every document from the committed schema.graphql (see graphql-env.d.ts). */
export const graphql = initGraphQLTada<{
  introspection: introspection;
  scalars: { DateTime: string; ID: string };
  // Fragments are plain selections here: every page reads the fields it spreads.
  disableMasking: true;
}>();

export type { FragmentOf, ResultOf, VariablesOf } from "gql.tada";
export { readFragment } from "gql.tada";

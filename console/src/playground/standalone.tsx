import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Playground } from "./Playground";
import "./standalone.css";

// GET /graphql in a browser. Paste a key into X-API-Key, or sign in to the console and name the
// environment: the session cookie then comes along (a request may carry only one of the two).
const HEADERS = `{
  "X-API-Key": "",
  "Keyplane-Environment": "production"
}`;

const root = document.getElementById("graphiql");
if (!root) throw new Error("graphiql.html has no #graphiql");
createRoot(root).render(
  <StrictMode>
    <Playground defaultHeaders={HEADERS} />
  </StrictMode>,
);

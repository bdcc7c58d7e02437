import "./jitless";
import { createApiReference } from "@scalar/api-reference";
import "@scalar/api-reference/style.css";
import "./reference.css";

// GET /api/v1/docs: the REST API's reference, rendered in the browser from the OpenAPI document
// this same server serves. Everything the page needs is in this build. Scalar's defaults that
// reach for its own services are switched off, so the page asks nothing of any other origin:
// its web fonts, its AI agent and developer toolbar (both shown on localhost), and the button
// that hands this document's address to its hosted API client. Its own "Test Request" client
// stays: it sends requests from this page to this origin.
const root = document.getElementById("api-reference");
if (!root) throw new Error("api-reference.html has no #api-reference");
createApiReference(root, {
  url: "/api/v1/openapi.json",
  // The document describes the server that serves it: examples and test requests go here.
  servers: [{ url: window.location.origin }],
  metaData: { title: "Keyplane API reference" },
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  mcp: { disabled: true },
  showDeveloperTools: "never",
  hideClientButton: true,
  documentDownloadType: "json",
});

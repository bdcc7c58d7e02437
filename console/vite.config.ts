import { resolve } from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The console is served by the binary under /console; in development Vite's own server
// proxies the API to a running Keyplane (KEYPLANE_URL, default http://127.0.0.1:8080).
const keyplane = process.env.KEYPLANE_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  base: "/console/",
  plugins: [react()],
  build: {
    // Two pages from one build: the console, and GraphiQL for GET /graphql.
    rollupOptions: {
      input: {
        index: resolve(import.meta.dirname, "index.html"),
        graphiql: resolve(import.meta.dirname, "graphiql.html"),
      },
    },
    // Hashed names only: the server caches everything under assets/ for a year.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2048,
  },
  server: {
    // The server accepts a cookie POST only from its own origin: the proxy presents the
    // dev server's requests as coming from there.
    proxy: Object.fromEntries(
      ["/graphql", "/auth"].map((path) => [
        path,
        {
          target: keyplane,
          configure: (proxy: { on: (event: "proxyReq", listener: (request: { setHeader: (name: string, value: string) => void }) => void) => void }) =>
            proxy.on("proxyReq", (request) => request.setHeader("origin", keyplane)),
        },
      ]),
    ),
  },
});

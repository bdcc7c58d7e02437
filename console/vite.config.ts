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
    // Hashed names only: the server caches everything under assets/ for a year.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2048,
  },
  // `vite build --app` runs two builds into one folder. The first holds two pages: the console,
  // and GraphiQL for GET /graphql. The second holds the REST API's reference for GET
  // /api/v1/docs on its own, so that it shares no chunk with the console: in one build Rollup
  // would split helpers both use into chunks of their own, and the console would load more.
  environments: {
    client: {
      build: {
        rollupOptions: {
          input: {
            index: resolve(import.meta.dirname, "index.html"),
            graphiql: resolve(import.meta.dirname, "graphiql.html"),
          },
        },
      },
    },
    reference: {
      consumer: "client",
      build: {
        // Keep what the console's build wrote.
        emptyOutDir: false,
        rollupOptions: { input: { "api-reference": resolve(import.meta.dirname, "api-reference.html") } },
        // The renderer arrives as one 3.6 MB chunk (1.1 MB gzipped), loaded by this page alone.
        chunkSizeWarningLimit: 4096,
      },
    },
  },
  builder: {
    // In this order: the console's build empties the folder first.
    async buildApp(builder) {
      for (const name of ["client", "reference"]) {
        const environment = builder.environments[name];
        if (!environment) throw new Error(`vite.config.ts defines no ${name} environment`);
        await builder.build(environment);
      }
    },
  },
  server: {
    // The server accepts a cookie POST only from its own origin: the proxy presents the
    // dev server's requests as coming from there.
    proxy: Object.fromEntries(
      ["/graphql", "/auth", "/api"].map((path) => [
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

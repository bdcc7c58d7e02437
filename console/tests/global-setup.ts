import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "@playwright/test";
import { STATE_FILE, type ServerState } from "./server";

/**
 * Starts `keyplane serve` on a fresh SQLite file and a free port, reads the default keys and the
 * owner setup link from the bootstrap secrets file it writes (stdout is not a terminal here), and
 * hands them to the tests through test-results/. Fails at
 * once when the browser cannot start: a missing browser is a failure, never a skip.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
  });
  await browser.close();

  const bin = process.env.KEYPLANE_BIN;
  if (!bin) throw new Error("set KEYPLANE_BIN to the keyplane binary (.ci/run does)");
  const dir = mkdtempSync(join(tmpdir(), "keyplane-console-"));
  const server = spawn(
    bin,
    ["serve", "--listen", "127.0.0.1:0", "--output", "json", "--database-url", `sqlite://${join(dir, "keyplane.db")}`, "--data-key-file", join(dir, "keyplane.key"), "--bootstrap-secrets-file", join(dir, "bootstrap.json")],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, KEYPLANE_LOG_FORMAT: "text", RUST_LOG: "info,memory_serve=warn" } },
  );
  let stderr = "";
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`keyplane did not start in 60 s:\n${stderr}`)), 60_000);
    server.stderr.on("data", (chunk: Buffer) => {
      // Log lines may carry colour codes around the field name.
      stderr += chunk.toString().replace(/\x1b\[[0-9;]*m/g, "");
      const found = /listen=(\S+)/.exec(stderr);
      if (found?.[1]) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
    server.on("exit", (code) => reject(new Error(`keyplane exited with ${code}:\n${stderr}`)));
  });
  // Written before the server listens.
  const bootstrap = JSON.parse(readFileSync(join(dir, "bootstrap.json"), "utf8")) as Omit<ServerState, "baseURL">;
  const baseURL = `http://${address}`;
  process.env.KEYPLANE_URL = baseURL;
  mkdirSync("test-results", { recursive: true });
  writeFileSync(STATE_FILE, JSON.stringify({ ...bootstrap, baseURL } satisfies ServerState));

  return async () => {
    server.kill("SIGTERM");
    await new Promise((resolve) => server.once("exit", resolve));
    rmSync(dir, { recursive: true, force: true });
  };
}

import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { api } from "../../convex/_generated/api.js";
import type { BackendClient } from "../../src/backend/client.js";
import { openBackend } from "../../src/backend/open.js";
import { createNiaSink } from "../../src/worker/nia.js";
import { NiaPublisher } from "../../src/worker/niaPublisher.js";
import { writeVaultEntry } from "../helpers/vaultEntry.js";

let server: Server | undefined;
let client: BackendClient | undefined;
let publisher: NiaPublisher | undefined;
afterEach(async () => {
  publisher?.stop();
  await client?.close();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = client = publisher = undefined;
});

async function vaultEntry(c: BackendClient, bucket: string): Promise<void> {
  await writeVaultEntry(c, bucket, "s1", { verdict: "compiled", scores: { schema: 1, det: 1, oracle: 1 }, family: "lookup", code: "export default function compiled(input) { return 1; }", nTraces: 30, reasons: [] });
}

const waitUntil = async (what: string, ok: () => boolean | Promise<boolean>, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

it("publishes vault entries to Nia, keeps a failed one unpublished and retries it until it lands", async () => {
  let answer = 500;
  const received: string[] = [];
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      received.push(`${req.method} ${req.url} ${answer}`);
      res.writeHead(answer, { "content-type": "application/json" }).end(answer === 200 ? JSON.stringify({ id: "ctx1" }) : "{}");
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const dir = mkdtempSync(path.join(tmpdir(), "nia-pub-"));
  client = await openBackend({ dbPath: path.join(dir, "state.db"), convexUrl: "", runCrons: false, runScheduler: false });
  const errors: string[] = [];
  const silent = { event: () => undefined, warn: () => undefined };
  publisher = new NiaPublisher(client, createNiaSink({ apiKey: "k", baseUrl: url, timeoutMs: 2000 }), (e) => errors.push(e.message), silent, 100);
  publisher.start();

  await vaultEntry(client, "acme:normalize_country:v1");
  await waitUntil("a failed publish", () => errors.length > 0);
  expect(errors[0]).toMatch(/nia publish of acme:normalize_country:v1 failed/);
  // The vault entry is intact and still waiting to be published.
  expect(await client.query(api.daemon.vault.unpublished, { limit: 10 })).toHaveLength(1);
  expect(await client.query(api.daemon.vault.list, {})).toHaveLength(1);

  answer = 200;
  await waitUntil("the retry to land", async () => (await client!.query(api.daemon.vault.unpublished, { limit: 10 })).length === 0);
  expect(received.filter((r) => r.endsWith(" 200"))).toHaveLength(1);
  expect(received.every((r) => r.startsWith("POST /v2/contexts"))).toBe(true);
});

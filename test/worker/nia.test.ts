import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createNiaSink, type NiaVaultEntry } from "../../src/worker/nia.js";

type Seen = { method?: string; url?: string; auth?: string; contentType?: string; body?: unknown };

const entry: NiaVaultEntry = {
  _id: "vault123",
  bucket: "acme:classify_lead_tier:v1",
  sha: "abc123def456",
  verdict: "compiled",
  scores: { schema: 1, det: 1, oracle: 0.97 },
  oracleLowerBound: 0.91,
  baseline: 0.4,
  family: "decision-tree",
  code: "export default function compiled(input) { return input.n > 3 ? 'hot' : 'cold'; }",
  nTraces: 60,
  reasons: ["all gates passed"],
  writtenAt: Date.UTC(2026, 0, 1),
};

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A stand-in for Nia on 127.0.0.1 that records what it received. */
async function stub(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; seen: Seen }> {
  const seen: Seen = {};
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.method = req.method;
      seen.url = req.url;
      seen.auth = req.headers.authorization;
      seen.contentType = req.headers["content-type"];
      seen.body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "null");
      handle(req, res);
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe("nia sink", () => {
  it("posts the vault entry to /v2/contexts with a bearer token", async () => {
    const { url, seen } = await stub((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: "ctx_1" }));
    });
    await createNiaSink({ apiKey: "nia-key", baseUrl: `${url}/` }).publish(entry);
    expect(seen.method).toBe("POST");
    expect(seen.url).toBe("/v2/contexts");
    expect(seen.auth).toBe("Bearer nia-key");
    expect(seen.contentType).toBe("application/json");
    const body = seen.body as Record<string, unknown>;
    expect(body).toMatchObject({
      agent_source: "compile-daemon",
      tags: expect.arrayContaining(["compile-daemon", "compiled", entry.bucket]),
      metadata: { bucket: entry.bucket, sha: entry.sha, verdict: "compiled", vaultId: "vault123" },
    });
    for (const field of ["title", "summary", "content"]) expect(typeof body[field]).toBe("string");
    expect(body.content).toContain(entry.code);
    expect(body.summary).toContain("oracle 97.0%");
  });

  it("rejects with a one-line error on HTTP 500", async () => {
    const { url } = await stub((_req, res) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end('{"detail":"database\nunavailable"}');
    });
    const err = await createNiaSink({ apiKey: "k", baseUrl: url }).publish(entry).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^nia: HTTP 500 /);
    expect((err as Error).message).not.toContain("\n");
  });

  it("rejects after its timeout when Nia does not answer", async () => {
    const { url } = await stub(() => {
      /* never answers */
    });
    const started = Date.now();
    const err = await createNiaSink({ apiKey: "k", baseUrl: url, timeoutMs: 300 }).publish(entry).catch((e: Error) => e);
    expect((err as Error).message).toBe("nia: timed out after 300 ms");
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("names a refused connection", async () => {
    const { url } = await stub(() => undefined);
    const port = (server!.address() as AddressInfo).port;
    server!.close();
    const err = await createNiaSink({ apiKey: "k", baseUrl: url }).publish(entry).catch((e: Error) => e);
    expect((err as Error).message).toBe("nia: ECONNREFUSED");
    expect(port).toBeGreaterThan(0);
  });
});

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createNiaSink, niaContextBody, type NiaVaultEntry } from "../../src/worker/nia.js";

type Seen = { method?: string; url?: string; auth?: string; contentType?: string; body?: unknown };

const entry: NiaVaultEntry = {
  _id: "vault123",
  bucket: "acme:classify_lead_tier:v1",
  sha: "abc123def456",
  verdict: "compiled",
  scores: { schema: 1, det: 1, oracle: 0.967, robustness: 1 },
  coverage: 0.984,
  selective: { agreement: 0.967, lowerBound: 0.886, upperBound: 0.991 },
  oracleLowerBound: 0.886,
  baseline: 0.4,
  family: "decision_tree",
  code: "export default function compiled(input) { return input.n > 3 ? 'hot' : 'cold'; }",
  nTraces: 80,
  reasons: [],
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
    expect(body.summary).toContain("coverage 98.4%, selective agreement 96.7% (95% CI 88.6%-99.1%)");
    expect(body.summary).toContain("robustness 100.0%");
    expect(body.metadata).toMatchObject({ coverage: 0.984, selective: entry.selective, baseline: 0.4 });
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
    const err = await createNiaSink({ apiKey: "k", baseUrl: url, timeoutMs: 300 }).publish(entry).catch((e: Error) => e);
    expect((err as Error).message).toBe("nia: timed out after 300 ms");
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

describe("nia context text per verdict", () => {
  it("a compiled function is for use, and says what undefined means", () => {
    const { content } = niaContextBody(entry);
    expect(content).toContain("Compiled function (call it instead of the model; if it returns undefined, ask the model):");
  });

  it("a partial function answers what it has evidence for and defers the rest", () => {
    const body = niaContextBody({ ...entry, verdict: "partial", coverage: 0.62, reasons: ["coverage 0.62 is below 0.95"] });
    expect(body.content).toContain("Partial function: answers the inputs it has evidence for, returns undefined otherwise (ask the model then):");
    expect(body.content).toContain("- coverage 0.62 is below 0.95");
    expect(body.tags).toContain("partial");
    expect(body.title).toBe("acme:classify_lead_tier:v1: partial (decision_tree)");
  });

  it("waiting and rejected candidates are marked not for use", () => {
    for (const verdict of ["waiting", "rejected"] as const) {
      const { content, summary } = niaContextBody({ ...entry, verdict, reasons: ["too little evidence"] });
      expect(content, verdict).toMatch(/not for use\):\n```js/);
      expect(summary, verdict).not.toContain("replacement");
    }
  });

  it("an entry from before coverage was measured falls back to its oracle score", () => {
    const { coverage: _c, selective: _s, ...old } = entry;
    const { summary, content } = niaContextBody({ ...old, scores: { schema: 1, det: 1, oracle: 0.97 } });
    expect(summary).toContain("oracle 97.0%");
    expect(summary).not.toContain("coverage");
    expect(content).toContain("(oracle Wilson 95% lower bound 88.6%)");
  });
});

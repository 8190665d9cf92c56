import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openBackend } from "../../src/backend/open.js";
import { ConvexBackend } from "../../src/backend/convex.js";
import { EmbeddedClient } from "../../src/backend/embedded/client.js";
import { api } from "../../convex/_generated/api.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("openBackend", () => {
  it("opens the embedded runtime at dbPath, creating its folder and an admin token", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "open-"));
    dirs.push(dir);
    const dbPath = path.join(dir, "nested", "deeper", "state.db");
    const client = await openBackend({ dbPath, convexUrl: "", runCrons: false, runScheduler: false });
    expect(client.backendName).toBe("embedded");
    expect(client.connectionState()).toEqual({ kind: "embedded", path: dbPath, connected: true });
    expect((client as EmbeddedClient).runtime.adminToken).toMatch(/^[\w-]{20,}$/);
    expect(existsSync(dbPath)).toBe(true);
    const state = await client.query(api.daemon.replay.state, {});
    expect(state).toBeDefined();
    await client.close();
  });

  it("uses real Convex when a URL is given and reports an unreachable deployment without falling back", async () => {
    const lines: string[] = [];
    const client = new ConvexBackend({ url: "http://127.0.0.1:9", adminToken: "t", log: (m) => lines.push(m) });
    expect(client.backendName).toBe("convex");
    const deadline = Date.now() + 15_000;
    while (client.connectionState().kind === "convex" && Date.now() < deadline) {
      const s = client.connectionState();
      if (s.kind === "convex" && s.retries > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const s = client.connectionState();
    expect(s).toMatchObject({ kind: "convex", url: "http://127.0.0.1:9", connected: false });
    if (s.kind === "convex") expect(s.lastError).toMatch(/cannot reach Convex at http:\/\/127\.0\.0\.1:9 .*still retrying/);
    expect(lines.join("\n")).toMatch(/cannot reach Convex/);
    await client.close();
  });
});

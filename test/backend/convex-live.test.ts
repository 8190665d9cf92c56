import { describe, expect, it } from "vitest";
import { api } from "../../convex/_generated/api.js";
import { ConvexBackend } from "../../src/backend/convex.js";

// Runs against a real deployment (after `npx convex deploy` and `npx convex env set COMPILE_ADMIN_TOKEN …`)
// when its URL and token are in the environment; this machine has no internet, so it is skipped here.
const url = process.env.CONVEX_URL;
const token = process.env.COMPILE_ADMIN_TOKEN;
const reason = !url ? "CONVEX_URL is not set" : !token ? "COMPILE_ADMIN_TOKEN is not set" : undefined;

describe.skipIf(reason !== undefined)(`real Convex deployment${reason ? ` (skipped: ${reason})` : ""}`, () => {
  it("answers the daemon's queries, takes a heartbeat with the token and refuses a wrong one", async () => {
    const client = new ConvexBackend({ url: url!, adminToken: token! });
    try {
      const state = await client.query(api.daemon.replay.state, {});
      expect(typeof state.position).toBe("number");
      const daemonId = `live-test-${process.pid}`;
      await client.mutation(api.daemon.heartbeat.beat, {
        daemonId,
        pid: process.pid,
        host: "live-test",
        version: "test",
        startedAt: Date.now(),
        status: "stopped",
        backend: "convex",
        compute: "local",
      });
      const beats = await client.query(api.daemon.heartbeat.status, {});
      expect(beats.some((b) => b.daemonId === daemonId)).toBe(true);
      const intruder = new ConvexBackend({ url: url!, adminToken: "wrong" });
      try {
        await expect(intruder.mutation(api.daemon.control.pause, {})).rejects.toThrow(/unauthorized/);
      } finally {
        await intruder.close();
      }
    } finally {
      await client.close();
    }
  });
});

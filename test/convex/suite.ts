import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, internal } from "../../convex/_generated/api.js";
import type { ConvexHarness, HarnessFactory } from "./harness.js";
import { driftFromChecks } from "../../convex/lib/drift.js";

/**
 * The behaviour of convex/ as the rest of the daemon relies on it, written only against
 * ConvexHarness so the same suite runs on convex-test and on the embedded node:sqlite runtime.
 * Time is Date.now() under fake timers (only Date is faked: backends keep real timers).
 */

const TOKEN = "suite-admin-token";
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const A = "acme:classify_lead_tier:v1";
const B = "acme:route_ticket:v1";

type Trace = {
  bucket: string;
  input: unknown;
  output: unknown;
  model: string;
  latencyMs: number;
  tokensIn: number;
  tokensOut: number;
  ts: number;
};

function trace(bucket: string, i: number): Trace {
  return {
    bucket,
    input: { company: `c${i}`, employees: i * 10 },
    output: { tier: ["A", "B", "C"][i % 3] },
    model: "gpt-4o-mini",
    latencyMs: 800 + i,
    tokensIn: 120,
    tokensOut: 8,
    ts: T0 - 1_000_000 + i,
  };
}

function seed(seq: number, bucket: string) {
  return { seq, ...trace(bucket, seq) };
}

/** The text a client would print for a refused call, whichever way the backend wraps it. */
function errorText(err: unknown): string {
  const e = err as { data?: unknown; message?: unknown };
  return [typeof e?.data === "string" ? e.data : "", typeof e?.message === "string" ? e.message : String(err)].join(" | ");
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return errorText(err);
  }
  throw new Error("expected the call to be refused, but it succeeded");
}

function setNow(ms: number): void {
  vi.setSystemTime(ms);
}

/**
 * Function time may run a millisecond or two ahead of the test clock: a backend keeps its commit
 * timestamps strictly increasing (convex-test does, as real Convex does), so compare with slack.
 */
function near(actual: number, expected: number, slack = 3): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(slack);
}

export function defineConvexSuite(name: string, factory: HarnessFactory): void {
  describe(`convex functions on ${name}`, () => {
    let h: ConvexHarness;
    const extra: ConvexHarness[] = [];

    async function open(env: Record<string, string>): Promise<ConvexHarness> {
      const x = await factory(env);
      extra.push(x);
      return x;
    }

    beforeEach(async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      setNow(T0);
      h = await factory({ COMPILE_ADMIN_TOKEN: TOKEN });
    });

    afterEach(async () => {
      for (const x of extra.splice(0)) await x.close();
      await h.close();
      vi.useRealTimers();
    });

    const m = {
      ingest: (t: Trace) => h.mutation(api.daemon.ingest.ingestInline, { adminToken: TOKEN, trace: t }),
      batch: (ts: Trace[]) => h.mutation(api.daemon.ingest.ingestBatch, { adminToken: TOKEN, traces: ts }),
      jobs: async () => (await h.query(api.daemon.compiles.list, { limit: 500 })) as Array<Record<string, any>>, // eslint-disable-line @typescript-eslint/no-explicit-any -- rows checked field by field
      triggers: async (kind?: string) => {
        const rows = (await h.query(api.daemon.triggers.recent, { limit: 500 })) as Array<{ kind: string; detail: string; bucket?: string; jobId?: string }>;
        return kind ? rows.filter((r) => r.kind === kind) : rows;
      },
      bucket: async (key: string) => {
        const { buckets } = await h.query(api.daemon.ingest.buckets, {});
        return (buckets as Array<{ key: string; count: number; sinceCompile: number }>).find((b) => b.key === key);
      },
      tick: () => h.mutation(internal.daemon.replay.tick, {}),
      reap: () => h.mutation(internal.daemon.compiles.reap, {}),
      state: () => h.query(api.daemon.replay.state, {}),
      traces: (bucket: string, limit = 5000) => h.query(api.daemon.ingest.traces, { bucket, limit }),
      load: (traces: ReturnType<typeof seed>[]) => h.mutation(api.daemon.replay.loadSeed, { adminToken: TOKEN, traces }),
      enqueue: (bucket: string, sha = "initial", reason = "MANUAL") =>
        h.mutation(api.daemon.compiles.enqueue, { adminToken: TOKEN, bucket, sha, reason }),
      claim: (owner = "w1", leaseMs = 30_000) => h.mutation(api.daemon.compiles.claim, { adminToken: TOKEN, owner, leaseMs }),
      vault: async () => (await h.query(api.daemon.vault.list, {})) as Array<Record<string, any>>, // eslint-disable-line @typescript-eslint/no-explicit-any -- as above
    };

    function entry(verdict: "compiled" | "partial" | "waiting" | "rejected" = "compiled", code = "export default function compiled(input) { return input; }") {
      return {
        verdict,
        scores: { schema: 1, det: 1, oracle: 0.97, robustness: 1 },
        coverage: verdict === "partial" ? 0.6 : 1,
        selective: { agreement: 0.97, lowerBound: 0.9, upperBound: 0.99 },
        oracleLowerBound: 0.9,
        baseline: 0.4,
        family: "lookup",
        code,
        nTraces: 30,
        nTrain: 24,
        nHoldout: 6,
        reasons: [],
        envelope: { fixtures: 3 },
      };
    }

    /** Everything a refused call must leave untouched. */
    async function snapshot() {
      return {
        state: await m.state(),
        buckets: await h.query(api.daemon.ingest.buckets, {}),
        triggers: await m.triggers(),
        jobs: await m.jobs(),
        vault: await m.vault(),
        code: await h.query(api.daemon.control.codeState, {}),
        tracesA: await m.traces(A),
      };
    }

    describe("admin token guard", () => {
      it("refuses every public state-changing mutation with a wrong or empty token", async () => {
        const before = await snapshot();
        const fakeJob = (await m.enqueue(A)).jobId;
        const afterEnqueue = await snapshot();
        const bad = ["wrong", "", TOKEN + "x"];
        const calls: Array<[any, Record<string, unknown>]> = [ // eslint-disable-line @typescript-eslint/no-explicit-any -- heterogeneous refs
          [api.daemon.control.pause, {}],
          [api.daemon.control.start, {}],
          [api.daemon.control.reset, { all: true }],
          [api.daemon.control.resetBatch, { cutoffs: { proxy_traces: T0 * 2, buckets: T0 * 2, pending_compiles: T0 * 2, trigger_events: T0 * 2, vault_index: T0 * 2 } }],
          [api.daemon.control.speed, { speedMs: 10 }],
          [api.daemon.control.nudgeSpeed, { direction: "faster" }],
          [api.daemon.control.bumpSha, {}],
          [api.daemon.control.reportSha, { sha: "abc" }],
          [api.daemon.control.inject, { bucket: A, n: 1 }],
          [api.daemon.ingest.ingestInline, { trace: trace(A, 1) }],
          [api.daemon.ingest.ingestBatch, { traces: [trace(A, 1)] }],
          [api.daemon.replay.loadSeed, { traces: [seed(1, A)] }],
          [api.daemon.compiles.enqueue, { bucket: B, sha: "s", reason: "MANUAL" }],
          [api.daemon.compiles.claim, { owner: "w", leaseMs: 1000 }],
          [api.daemon.compiles.renew, { jobId: fakeJob, claimToken: "x", leaseMs: 1000 }],
          [api.daemon.compiles.setStage, { jobId: fakeJob, claimToken: "x", stage: "scan" }],
          [api.daemon.compiles.complete, { jobId: fakeJob, claimToken: "x", entry: entry() }],
          [api.daemon.compiles.fail, { jobId: fakeJob, claimToken: "x", error: "boom" }],
          [api.daemon.compiles.release, { jobId: fakeJob, claimToken: "x" }],
          [api.daemon.heartbeat.beat, { daemonId: "d", pid: 1, host: "h", version: "0", startedAt: T0, status: "running", backend: "b", compute: "local" }],
          [api.daemon.triggers.record, { kind: "BOOT", detail: "x" }],
          [api.daemon.runtime.report, { traces: [trace(A, 1)], usage: [], checks: [] }],
        ];
        for (const [ref, args] of calls) {
          for (const adminToken of bad) {
            const msg = await refusal(h.mutation(ref, { ...args, adminToken }));
            expect(msg, `${JSON.stringify(args)} with token ${JSON.stringify(adminToken)}`).toContain("unauthorized: wrong admin token");
          }
        }
        expect(before.jobs).toHaveLength(0);
        expect(await snapshot()).toEqual(afterEnqueue);
      });

      it("refuses with a how-to when the deployment has no token set, even for the 'right' token", async () => {
        const bare = await open({});
        const msg = await refusal(bare.mutation(api.daemon.control.pause, { adminToken: TOKEN }));
        expect(msg).toContain("COMPILE_ADMIN_TOKEN is not set on this deployment");
        expect(msg).toContain("npx convex env set COMPILE_ADMIN_TOKEN");
        expect(msg.split(" | ")[0]).not.toContain("\n");
        expect((await bare.query(api.daemon.replay.state, {})).paused).toBe(false);
        const msg2 = await refusal(bare.mutation(api.daemon.ingest.ingestInline, { adminToken: "", trace: trace(A, 1) }));
        expect(msg2).toContain("COMPILE_ADMIN_TOKEN is not set");
        expect((await bare.query(api.daemon.ingest.buckets, {})).buckets).toHaveLength(0);
      });

      it("accepts the right token", async () => {
        await h.mutation(api.daemon.control.pause, { adminToken: TOKEN });
        expect((await m.state()).paused).toBe(true);
      });
    });

    describe("ingest", () => {
      it("a spread window of a bucket larger than the limit: the newest half, and the other half over its whole older history", async () => {
        // Bucket A's traces among B's, in uneven runs (its seqs have gaps of every size).
        let state = 99;
        const random = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
        const batch: Trace[] = [];
        for (let i = 0; i < 900; i++) batch.push(trace(random() < 0.4 ? A : B, i));
        for (let i = 0; i < batch.length; i += 300) await m.batch(batch.slice(i, i + 300));
        const all = (await m.traces(A, 5000)) as Array<{ seq: number }>;
        expect(all.length).toBeGreaterThan(200);
        const newest = (await m.traces(A, 100)) as Array<{ seq: number }>;
        const spread = (await h.query(api.daemon.ingest.traces, { bucket: A, limit: 100, spread: true })) as Array<{ seq: number }>;
        const seqs = spread.map((r) => r.seq);
        expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b)); // distinct, in seq order
        expect(seqs.slice(-50)).toEqual(newest.slice(-50).map((r) => r.seq)); // the newest half
        const older = seqs.slice(0, -50);
        expect(older.length).toBeGreaterThan(40);
        expect(older.length).toBeLessThanOrEqual(50);
        // Spread over the whole older history: each quarter of its traces gives some of the sample.
        const olderPool = all.map((r) => r.seq).filter((s) => s < seqs[seqs.length - 50]);
        for (let q = 0; q < 4; q++) {
          const [lo, hi] = [olderPool[Math.floor((olderPool.length * q) / 4)], olderPool[Math.floor((olderPool.length * (q + 1)) / 4) - 1]];
          expect(older.filter((s) => s >= lo && s <= hi).length).toBeGreaterThan(5);
        }
        // No more traces than the limit: the plain newest window, spread or not.
        expect(await h.query(api.daemon.ingest.traces, { bucket: A, limit: 5000, spread: true })).toEqual(all);
      });

      it("inserts with a strictly increasing global seq and bumps the bucket counters", async () => {
        const r1 = await m.ingest(trace(A, 1));
        const r2 = await m.ingest(trace(B, 2));
        const r3 = await m.batch([trace(A, 3), trace(A, 4)]);
        expect(r2.seq).toBeGreaterThan(r1.seq);
        expect(r3.firstSeq).toBeGreaterThan(r2.seq);
        expect(r3.lastSeq).toBe(r3.firstSeq + 1);
        const a = await m.bucket(A);
        expect(a).toMatchObject({ count: 3, sinceCompile: 3 });
        expect((await m.bucket(B))?.count).toBe(1);
        const rows = await m.traces(A);
        expect(rows.map((t: Trace) => (t.input as { company: string }).company)).toEqual(["c1", "c3", "c4"]);
        expect(rows.every((t: { source: string }) => t.source === "ingest")).toBe(true);
        const { buckets, threshold } = await h.query(api.daemon.ingest.buckets, {});
        expect(threshold).toBe(30);
        expect(buckets.map((b: { key: string }) => b.key)).toEqual([A, B].sort());
      });

      it("traces(bucket, limit) returns the newest `limit`, oldest first", async () => {
        await m.batch(Array.from({ length: 10 }, (_, i) => trace(A, i)));
        const rows = await m.traces(A, 3);
        expect(rows.map((t: Trace) => (t.input as { company: string }).company)).toEqual(["c7", "c8", "c9"]);
        expect(await refusal(m.traces(A, 5001))).toMatch(/limit must be an integer from 1 to 5000/);
      });

      it("refuses a bad bucket key naming the field, and changes nothing", async () => {
        await m.ingest(trace(A, 1));
        const before = await snapshot();
        for (const key of ["Acme:x:v1", "acme:x", "acme:x:1", "acme::v1", " acme:x:v1", "acme:x:v1 "]) {
          const msg = await refusal(m.ingest({ ...trace(A, 2), bucket: key }));
          expect(msg).toContain("trace.bucket");
          expect(msg).toContain(JSON.stringify(key));
        }
        const msg = await refusal(m.batch([trace(A, 2), trace(A, 3), { ...trace(A, 4), bucket: "BAD" }]));
        expect(msg).toContain("traces[2].bucket");
        expect(await refusal(m.ingest({ ...trace(A, 2), latencyMs: -1 }))).toContain("trace.latencyMs");
        expect(await refusal(m.batch(Array.from({ length: 1001 }, (_, i) => trace(A, i))))).toMatch(/at most 1000/);
        expect(await snapshot()).toEqual(before);
      });
    });

    describe("VOLUME trigger", () => {
      it("fires exactly once per (bucket, sha) even when 100 more traces arrive", async () => {
        await m.batch(Array.from({ length: 29 }, (_, i) => trace(A, i)));
        expect(await m.jobs()).toHaveLength(0);
        expect(await m.triggers("TRIGGER:VOLUME")).toHaveLength(0);
        const r = await m.ingest(trace(A, 29));
        expect(r.volumeJobId).not.toBeNull();
        let jobs = await m.jobs();
        expect(jobs).toHaveLength(1);
        expect(jobs[0]).toMatchObject({ bucket: A, sha: "initial", reason: "VOLUME", status: "pending", attempts: 0 });
        expect(jobs[0]._id).toBe(r.volumeJobId);
        const vol = await m.triggers("TRIGGER:VOLUME");
        expect(vol).toHaveLength(1);
        expect(vol[0]).toMatchObject({ bucket: A, jobId: r.volumeJobId });
        expect(vol[0].detail).toContain("30 traces since last compile");
        expect((await m.bucket(A))?.sinceCompile).toBe(0);

        for (let i = 0; i < 50; i++) await m.ingest(trace(A, 100 + i));
        await m.batch(Array.from({ length: 50 }, (_, i) => trace(A, 200 + i)));
        jobs = await m.jobs();
        expect(jobs).toHaveLength(1);
        expect(await m.triggers("TRIGGER:VOLUME")).toHaveLength(1);
        expect((await m.bucket(A))?.count).toBe(130);
      });

      it("does not fire once the (bucket, sha) is in the vault, and fires again under a new sha", async () => {
        await m.batch(Array.from({ length: 30 }, (_, i) => trace(A, i)));
        const c = await m.claim();
        await h.mutation(api.daemon.compiles.complete, { adminToken: TOKEN, jobId: c.jobId, claimToken: c.claimToken, entry: entry() });
        await m.batch(Array.from({ length: 100 }, (_, i) => trace(A, 100 + i)));
        expect(await m.jobs()).toHaveLength(1);
        expect(await m.triggers("TRIGGER:VOLUME")).toHaveLength(1);

        // bumpSha re-enqueues the compiled bucket (CODE_CHANGE); that live job holds VOLUME back.
        const bump = await h.mutation(api.daemon.control.bumpSha, { adminToken: TOKEN });
        expect(bump).toMatchObject({ changed: true, oldSha: "initial", requeued: 1 });
        expect((await h.query(api.daemon.control.codeState, {})).sha).toBe(bump.sha);
        let jobs = await m.jobs();
        expect(jobs).toHaveLength(2);
        expect(jobs[0]).toMatchObject({ bucket: A, sha: bump.sha, reason: "CODE_CHANGE", status: "pending" });
        const cc = await m.triggers("TRIGGER:CODE_CHANGE");
        expect(cc).toHaveLength(1);
        expect(cc[0].detail).toContain(bump.sha);
        await m.ingest(trace(A, 999));
        expect(await m.jobs()).toHaveLength(2);

        // A bucket that was never compiled fires VOLUME for the new sha on its own.
        await m.batch(Array.from({ length: 30 }, (_, i) => trace(B, i)));
        jobs = await m.jobs();
        expect(jobs).toHaveLength(3);
        expect(jobs[0]).toMatchObject({ bucket: B, sha: bump.sha, reason: "VOLUME" });
      });

      it("traces that arrived while a rejected job compiled get their retry when it completes", async () => {
        await m.batch(Array.from({ length: 30 }, (_, i) => trace(A, i)));
        const c = await m.claim();
        // 20 more arrive during the compile: 50 >= 45, but the job is live, so nothing fires yet.
        await m.batch(Array.from({ length: 20 }, (_, i) => trace(A, 100 + i)));
        expect(await m.triggers("TRIGGER:VOLUME")).toHaveLength(1);
        await h.mutation(api.daemon.compiles.complete, { adminToken: TOKEN, jobId: c.jobId, claimToken: c.claimToken, entry: entry("rejected", "// none") });
        const volume = await m.triggers("TRIGGER:VOLUME");
        expect(volume).toHaveLength(2);
        expect(volume[0].detail).toContain("45 traces, up from 30");
        const next = await m.claim();
        expect(next.bucket).toBe(A);
        // It learns from the first 45 traces, exactly as if the retry had fired on arrival.
        expect(next.uptoSeq).toBe((await m.traces(A))[44].seq);
        // A compiled verdict never re-fires this way.
        await h.mutation(api.daemon.compiles.complete, { adminToken: TOKEN, jobId: next.jobId, claimToken: next.claimToken, entry: entry("compiled") });
        expect(await m.triggers("TRIGGER:VOLUME")).toHaveLength(2);
      });

      it("a VOLUME job learns from the traces up to the one that fired it, whatever arrives later", async () => {
        const r = await m.batch(Array.from({ length: 30 }, (_, i) => trace(A, i)));
        await m.batch(Array.from({ length: 10 }, (_, i) => trace(A, 100 + i)));
        const c = await m.claim();
        expect(c.uptoSeq).toBe(r.lastSeq);
        const learned = await h.query(api.daemon.ingest.traces, { bucket: A, limit: 5000, uptoSeq: c.uptoSeq });
        expect(learned).toHaveLength(30);
        expect(learned.at(-1).seq).toBe(r.lastSeq);
        expect(await m.traces(A)).toHaveLength(40);
      });

      it("a rejected verdict is retried once the traces grew by half; a compiled one is not", async () => {
        await m.batch(Array.from({ length: 30 }, (_, i) => trace(A, i)));
        const c = await m.claim();
        // entry() records nTraces 30: the retry comes at 45 traces.
        await h.mutation(api.daemon.compiles.complete, { adminToken: TOKEN, jobId: c.jobId, claimToken: c.claimToken, entry: entry("rejected", "// none") });
        await m.batch(Array.from({ length: 14 }, (_, i) => trace(A, 100 + i)));
        expect(await m.triggers("TRIGGER:VOLUME")).toHaveLength(1);
        await m.ingest(trace(A, 200));
        const volume = await m.triggers("TRIGGER:VOLUME");
        expect(volume).toHaveLength(2);
        expect(volume[0].detail).toContain("45 traces, up from 30");
        const c2 = await m.claim();
        await h.mutation(api.daemon.compiles.complete, { adminToken: TOKEN, jobId: c2.jobId, claimToken: c2.claimToken, entry: entry("compiled") });
        const vault = await m.vault();
        expect(vault).toHaveLength(1); // replaced, not duplicated
        expect(vault[0].verdict).toBe("compiled");
        await m.batch(Array.from({ length: 100 }, (_, i) => trace(A, 300 + i)));
        expect(await m.triggers("TRIGGER:VOLUME")).toHaveLength(2);
      });

      it("waiting and partial verdicts are retried on growth like rejected ones; compiled is not", async () => {
        const C = "acme:normalize_country:v1";
        const buckets = { waiting: A, partial: B, rejected: C, compiled: "acme:extract_company:v1" } as const;
        for (const [verdict, bucket] of Object.entries(buckets)) {
          await m.batch(Array.from({ length: 30 }, (_, i) => trace(bucket, i)));
          const c = await m.claim();
          expect(c.bucket).toBe(bucket);
          await h.mutation(api.daemon.compiles.complete, { adminToken: TOKEN, jobId: c.jobId, claimToken: c.claimToken, entry: entry(verdict as keyof typeof buckets) });
        }
        // A waiting or partial compile is a finished job (done), not a rejection.
        const status = Object.fromEntries((await m.jobs()).map((j) => [j.bucket, j.status]));
        expect(status).toEqual({ [A]: "done", [B]: "done", [C]: "rejected", "acme:extract_company:v1": "done" });
        const steps = (await m.triggers("STEP")).map((r) => r.detail);
        expect(steps).toContain("vault: partial (lookup, coverage 0.60, selective 0.970 ≥ 0.900)");
        expect(steps).toContain("vault: waiting (lookup, coverage 1.00, selective 0.970 ≥ 0.900)");

        // entry() records nTraces 30: every bucket but the compiled one is retried at 45.
        for (const bucket of Object.values(buckets)) await m.batch(Array.from({ length: 15 }, (_, i) => trace(bucket, 100 + i)));
        const retries = await m.triggers("TRIGGER:VOLUME");
        expect(retries).toHaveLength(4 + 3);
        const retried = Object.fromEntries(retries.slice(0, 3).map((r) => [r.bucket, r.detail]));
        expect(Object.keys(retried).sort()).toEqual([A, B, C].sort());
        expect(retried[A]).toContain("retry of a waiting call site: 45 traces, up from 30");
        expect(retried[B]).toContain("retry of a partial call site: 45 traces, up from 30");
        expect(retried[C]).toContain("retry of a rejected call site: 45 traces, up from 30");
        const pending = (await m.jobs()).filter((j) => j.status === "pending").map((j) => j.bucket);
        expect(pending.sort()).toEqual([A, B, C].sort());
      });

      it("a waiting job that completes after its bucket grew is retried at once, from the retry point", async () => {
        await m.batch(Array.from({ length: 30 }, (_, i) => trace(A, i)));
        const c = await m.claim();
        await m.batch(Array.from({ length: 20 }, (_, i) => trace(A, 100 + i)));
        await h.mutation(api.daemon.compiles.complete, { adminToken: TOKEN, jobId: c.jobId, claimToken: c.claimToken, entry: entry("waiting") });
        const volume = await m.triggers("TRIGGER:VOLUME");
        expect(volume).toHaveLength(2);
        expect(volume[0].detail).toContain("retry of a waiting call site: 45 traces, up from 30");
        const next = await m.claim();
        expect(next.uptoSeq).toBe((await m.traces(A))[44].seq);
      });

      it("fires again after a bump of the sha while the old job is still pending", async () => {
        await m.batch(Array.from({ length: 130 }, (_, i) => trace(A, i)));
        expect(await m.jobs()).toHaveLength(1);
        const bump = await h.mutation(api.daemon.control.bumpSha, { adminToken: TOKEN });
        expect(bump.requeued).toBe(0); // nothing was compiled under "initial"
        await m.ingest(trace(A, 500));
        const jobs = await m.jobs();
        expect(jobs).toHaveLength(2);
        expect(jobs.map((j) => j.sha).sort()).toEqual(["initial", bump.sha].sort());
        expect(await m.triggers("TRIGGER:VOLUME")).toHaveLength(2);
        await m.batch(Array.from({ length: 100 }, (_, i) => trace(A, 600 + i)));
        expect(await m.triggers("TRIGGER:VOLUME")).toHaveLength(2);
      });

      it("a full 1000-trace batch fires once and stays within one transaction's limits", async () => {
        const r = await m.batch(Array.from({ length: 1000 }, (_, i) => trace(A, i)));
        expect(r.inserted).toBe(1000);
        expect(r.volumeJobIds).toHaveLength(1);
        expect(await m.jobs()).toHaveLength(1);
        expect((await m.bucket(A))?.sinceCompile).toBe(970);
        expect(await m.triggers("TRIGGER:EVENT")).toHaveLength(21); // 20 rows and a summary
      });

      it("honours COMPILE_THRESHOLD", async () => {
        const low = await open({ COMPILE_ADMIN_TOKEN: TOKEN, COMPILE_THRESHOLD: "5" });
        await low.mutation(api.daemon.ingest.ingestBatch, { adminToken: TOKEN, traces: Array.from({ length: 4 }, (_, i) => trace(A, i)) });
        expect(await low.query(api.daemon.compiles.list, {})).toHaveLength(0);
        await low.mutation(api.daemon.ingest.ingestInline, { adminToken: TOKEN, trace: trace(A, 4) });
        expect(await low.query(api.daemon.compiles.list, {})).toHaveLength(1);
        expect((await low.query(api.daemon.ingest.buckets, {})).threshold).toBe(5);
      });
    });

    describe("replay", () => {
      async function loadSeeds(n: number) {
        // Interleave two buckets so order across buckets is checked too.
        const seeds = Array.from({ length: n }, (_, i) => seed(i + 1, i % 2 === 0 ? A : B));
        for (let i = 0; i < seeds.length; i += 500) await m.load(seeds.slice(i, i + 500));
        return seeds;
      }

      async function allReplayedSeqs(): Promise<number[]> {
        const rows = [...(await m.traces(A)), ...(await m.traces(B))] as Array<{ seq: number; ts: number; source: string }>;
        expect(rows.every((r) => r.source === "replay")).toBe(true);
        // The seed seq is recoverable from ts (T0 - 1e6 + seq).
        return rows.sort((x, y) => x.seq - y.seq).map((r) => r.ts - (T0 - 1_000_000));
      }

      it("loadSeed by content key appends after the last seed and skips what it already holds", async () => {
        await m.load([seed(1, A), seed(2, B)]);
        const keyed = (k: string, bucket: string, n: number) => {
          const { seq: _seq, ...rest } = seed(n, bucket);
          void _seq;
          return { ...rest, key: k };
        };
        const first = await h.mutation(api.daemon.replay.loadSeed, { adminToken: TOKEN, traces: [keyed("k1", A, 10), keyed("k2", B, 11)] });
        expect(first).toMatchObject({ inserted: 2, skipped: 0, total: 4 });
        const again = await h.mutation(api.daemon.replay.loadSeed, { adminToken: TOKEN, traces: [keyed("k2", B, 11), keyed("k3", A, 12)] });
        expect(again).toMatchObject({ inserted: 1, skipped: 1, total: 5 });
        // Appended after seq 2, so the replay reaches all five.
        for (let i = 0; i < 5; i++) {
          setNow(T0 + 1000 * (i + 1));
          await m.tick();
        }
        expect((await m.state()).position).toBe(5);
        expect((await m.traces(A)).length + (await m.traces(B)).length).toBe(5);
      });

      it("loadSeed by content key keeps exactly the distinct traces, whatever their time order and overlap", async () => {
        // Generated loads: keys repeat within a batch and across batches, batches run in or out of
        // time order, and some are dense enough (many rows over a short span of ts) that the span
        // read falls back to a lookup per trace. Ground truth: the set of distinct (key, ts) pairs.
        let state = 12345;
        const random = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
        const pool = Array.from({ length: 1500 }, (_, i) => ({ key: `k${i}`, ts: T0 - 5_000_000 + Math.floor(i / (i % 3 === 0 ? 1 : 4)) }));
        const held = new Set<string>();
        let total = 0;
        for (let round = 0; round < 8; round++) {
          const size = 1 + Math.floor(random() * 500);
          const start = Math.floor(random() * (pool.length - size));
          const picks = Array.from({ length: size }, (_, i) => pool[round % 2 === 0 ? start + i : Math.floor(random() * pool.length)]);
          const traces = picks.map((p) => {
            const { seq: _seq, ...rest } = seed(1, p.key.length % 2 === 0 ? A : B);
            void _seq;
            return { ...rest, key: p.key, ts: p.ts };
          });
          const fresh = new Set(picks.map((p) => p.key).filter((k) => !held.has(k)));
          const r = await h.mutation(api.daemon.replay.loadSeed, { adminToken: TOKEN, traces });
          for (const k of fresh) held.add(k);
          total += fresh.size;
          expect(r).toEqual({ inserted: fresh.size, skipped: traces.length - fresh.size, total });
        }
        expect(held.size).toBeGreaterThan(500);
      });

      it("loadSeed is idempotent per seq and validates", async () => {
        expect(await m.load([seed(1, A), seed(2, B)])).toEqual({ inserted: 2, skipped: 0, total: 2 });
        expect(await m.load([seed(2, B), seed(3, A)])).toEqual({ inserted: 1, skipped: 1, total: 3 });
        expect(await m.state()).toEqual({ position: 0, total: 3, speedMs: 1000, paused: false, lastTickAt: 0 });
        expect(await refusal(m.load([{ ...seed(9, A), bucket: "nope" }]))).toContain("traces[0].bucket");
        expect(await refusal(m.load([{ ...seed(9, A), seq: -1 }]))).toContain("traces[0].seq");
        expect((await m.state()).total).toBe(3);
      });

      it("an idle driver renews its replay lease only once half of it is used, not on every poll", async () => {
        await loadSeeds(3);
        await h.mutation(api.daemon.control.pause, { adminToken: TOKEN });
        const take = (owner: string, at: number) => {
          setNow(at);
          return h.mutation(api.daemon.replay.take, { adminToken: TOKEN, owner, leaseMs: 10_000 });
        };
        expect(await take("d1", T0)).toMatchObject({ driving: true });
        expect(await take("d1", T0 + 4000)).toMatchObject({ driving: true }); // no renewal: 6 s of 10 left
        expect(await take("d2", T0 + 9000)).toMatchObject({ driving: false });
        // The poll at 4 s did not extend the lease: it lapses at 10 s and another driver may take over.
        expect(await take("d2", T0 + 10_500)).toMatchObject({ driving: true });
        // A poll past half the lease renews it.
        expect(await take("d2", T0 + 16_000)).toMatchObject({ driving: true });
        expect(await take("d1", T0 + 21_000)).toMatchObject({ driving: false });
      });

      it("take tells a driver how long nothing will be due: until the next seed, the other driver's lease, or (paused) never", async () => {
        await loadSeeds(3);
        const take = (owner: string, at: number) => {
          setNow(at);
          return h.mutation(api.daemon.replay.take, { adminToken: TOKEN, owner, leaseMs: 10_000 });
        };
        expect(await take("d1", T0)).toMatchObject({ count: 1, waitMs: 0 }); // the first at once
        expect(await take("d1", T0 + 300)).toMatchObject({ count: 0, waitMs: 700 }); // one per 1000 ms
        expect(await take("d2", T0 + 400)).toMatchObject({ driving: false, count: 0, waitMs: 9600 });
        await h.mutation(api.daemon.control.pause, { adminToken: TOKEN });
        expect(await take("d1", T0 + 500)).toMatchObject({ driving: true, count: 0, waitMs: null });
      });

      it("a daemon drives the replay: take hands out due seeds without moving, advance commits deferred traces with the position, a stale batch writes nothing, the cron stands aside", async () => {
        type Taken = { driving: boolean; fromCursor: number | null; seeds: Array<Trace & { seq: number }> };
        await loadSeeds(6);
        const take = async (owner = "d1") => (await h.mutation(api.daemon.replay.take, { adminToken: TOKEN, owner, leaseMs: 10_000 })) as Taken;
        const first = await take();
        expect(first.driving).toBe(true);
        expect(first.seeds.map((s) => s.seq)).toEqual([1]); // the same pacing as the cron: one at once
        expect((await m.state()).position).toBe(0);
        // Another daemon does not get the replay while the lease lasts; the cron stands aside too.
        expect(await take("d2")).toMatchObject({ driving: false, seeds: [] });
        setNow(T0 + 2010);
        expect((await m.tick()).replayed).toBe(0);
        // Nothing moved: the batch starts at the same seed again (a driver that died with it in hand lost nothing).
        const again = await take();
        expect(again.fromCursor).toBeNull();
        expect(again.seeds.map((s) => s.seq)).toEqual([1, 2]);
        const [s1, s2] = again.seeds.map(({ seq: _seq, ...t }) => t);
        expect([s1.bucket, s2.bucket]).toEqual([A, B]);
        const advance = (fromCursor: number | null, toSeq: number, count: number, served: number, traces: Trace[]) =>
          h.mutation(api.daemon.replay.advance, { adminToken: TOKEN, owner: "d1", fromCursor, toSeq, count, served, traces });
        // Seq 2 was served by the vault: no trace for it.
        expect(await advance(null, 2, 2, 1, [s1])).toEqual({ advanced: true });
        expect((await m.state()).position).toBe(2);
        expect((await m.traces(A)).map((t: { input: unknown }) => t.input)).toEqual([s1.input]);
        expect(await m.traces(B)).toEqual([]);
        expect((await m.triggers("TRIGGER:SCHEDULE"))[0].detail).toMatch(/replayed 2 through the runtime .*1 served, 1 asked the model/);
        // The same batch again (a retry after a lost reply) is stale: nothing is written twice.
        expect(await advance(null, 2, 2, 1, [s1])).toEqual({ advanced: false });
        expect(await m.traces(A)).toHaveLength(1);
        expect((await m.state()).position).toBe(2);
        // Bad input is refused whole.
        expect(await refusal(advance(2, 3, 1, 2, []))).toMatch(/served must be an integer/);
      });

      it("moves seed traces in order, one per speedMs, position consistent with inserts", async () => {
        await loadSeeds(10);
        expect((await m.tick()).replayed).toBe(1); // first tick replays at once
        setNow(T0 + 500);
        expect((await m.tick()).replayed).toBe(0);
        setNow(T0 + 1010);
        expect((await m.tick()).replayed).toBe(1);
        setNow(T0 + 3510); // 2.5 intervals due -> 2, cadence kept
        expect((await m.tick()).replayed).toBe(2);
        setNow(T0 + 4010);
        expect((await m.tick()).replayed).toBe(1);
        const s = await m.state();
        expect(s.position).toBe(5);
        expect(await allReplayedSeqs()).toEqual([1, 2, 3, 4, 5]);
        const sched = await m.triggers("TRIGGER:SCHEDULE");
        expect(sched).toHaveLength(4);
        expect(sched[1].detail).toBe("replayed 2 (seq 3-4)");
        expect(await m.triggers("TRIGGER:EVENT")).toHaveLength(5);
        // Run out the source; further ticks do nothing.
        for (let t = 5000; t <= 20_000; t += 1000) {
          setNow(T0 + t);
          await m.tick();
        }
        expect(await m.state()).toMatchObject({ position: 10, total: 10 });
        expect(await allReplayedSeqs()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect((await m.bucket(A))?.count).toBe(5);
        expect((await m.bucket(B))?.count).toBe(5);
      });

      it("pause stops it and start resumes where it was", async () => {
        await loadSeeds(10);
        await m.tick();
        await h.mutation(api.daemon.control.pause, { adminToken: TOKEN });
        for (let t = 1000; t <= 10_000; t += 1000) {
          setNow(T0 + t);
          expect((await m.tick()).replayed).toBe(0);
        }
        expect(await m.state()).toMatchObject({ position: 1, paused: true });
        await h.mutation(api.daemon.control.start, { adminToken: TOKEN });
        setNow(T0 + 10_100);
        // resumes with one trace, not a burst for the 10 s it was paused
        expect((await m.tick()).replayed).toBe(1);
        expect(await m.state()).toMatchObject({ position: 2, paused: false });
        expect(await allReplayedSeqs()).toEqual([1, 2]);
      });

      it("speed changes pacing; the per-tick cap bounds a burst", async () => {
        await loadSeeds(1100);
        await m.tick();
        await h.mutation(api.daemon.control.speed, { adminToken: TOKEN, speedMs: 250 });
        setNow(T0 + 1010);
        expect((await m.tick()).replayed).toBe(4);
        await h.mutation(api.daemon.control.speed, { adminToken: TOKEN, speedMs: 5000 });
        setNow(T0 + 2000);
        expect((await m.tick()).replayed).toBe(0);
        setNow(T0 + 6010);
        expect((await m.tick()).replayed).toBe(1);
        await h.mutation(api.daemon.control.speed, { adminToken: TOKEN, speedMs: 1 });
        setNow(T0 + 60_000);
        expect((await m.tick()).replayed).toBe(1000);
        // 20 per-trace EVENT rows and one summary for that tick
        const events = await m.triggers("TRIGGER:EVENT");
        expect(events.filter((e) => e.detail.startsWith("+980 more"))).toHaveLength(1);
        setNow(T0 + 61_000);
        expect((await m.tick()).replayed).toBe(94);
        expect((await m.state()).position).toBe(1100);
        const seqs = await allReplayedSeqs();
        expect(seqs).toEqual(Array.from({ length: 1100 }, (_, i) => i + 1));
      });

      it("speed out of range is a clear error and changes nothing", async () => {
        await h.mutation(api.daemon.control.speed, { adminToken: TOKEN, speedMs: 700 });
        const before = await snapshot();
        for (const speedMs of [-5, 1.5, 60_001, Number.NaN]) {
          const msg = await refusal(h.mutation(api.daemon.control.speed, { adminToken: TOKEN, speedMs }));
          expect(msg).toContain("speedMs must be an integer from 0 to 60000");
        }
        expect(await snapshot()).toEqual(before);
        expect((await m.state()).speedMs).toBe(700);
      });

      it("nudgeSpeed halves or doubles the stored pause in one mutation, clamped to 1..60000", async () => {
        expect(await h.mutation(api.daemon.control.nudgeSpeed, { adminToken: TOKEN, direction: "faster" })).toEqual({ speedMs: 500, previousMs: 1000 });
        // Two presses sent at once compose: each reads the pause the other wrote (1000 -> 500 -> 250 -> 125).
        const both = await Promise.all([
          h.mutation(api.daemon.control.nudgeSpeed, { adminToken: TOKEN, direction: "faster" }),
          h.mutation(api.daemon.control.nudgeSpeed, { adminToken: TOKEN, direction: "faster" }),
        ]);
        expect(both.map((r) => r.speedMs).sort((a, b) => a - b)).toEqual([125, 250]);
        expect((await m.state()).speedMs).toBe(125);
        await h.mutation(api.daemon.control.nudgeSpeed, { adminToken: TOKEN, direction: "slower" });
        expect((await m.state()).speedMs).toBe(250);
        // Clamped at both ends; 3 ms halves to 2 (rounded), 1 ms stays 1.
        await h.mutation(api.daemon.control.speed, { adminToken: TOKEN, speedMs: 3 });
        expect((await h.mutation(api.daemon.control.nudgeSpeed, { adminToken: TOKEN, direction: "faster" })).speedMs).toBe(2);
        expect((await h.mutation(api.daemon.control.nudgeSpeed, { adminToken: TOKEN, direction: "faster" })).speedMs).toBe(1);
        expect((await h.mutation(api.daemon.control.nudgeSpeed, { adminToken: TOKEN, direction: "faster" })).speedMs).toBe(1);
        // 0 (as fast as possible) is asked for by name; from it, slower is 1 ms and faster stays 0.
        await h.mutation(api.daemon.control.speed, { adminToken: TOKEN, speedMs: 0 });
        expect((await h.mutation(api.daemon.control.nudgeSpeed, { adminToken: TOKEN, direction: "faster" })).speedMs).toBe(0);
        expect((await h.mutation(api.daemon.control.nudgeSpeed, { adminToken: TOKEN, direction: "slower" })).speedMs).toBe(1);
        await h.mutation(api.daemon.control.speed, { adminToken: TOKEN, speedMs: 40_000 });
        expect((await h.mutation(api.daemon.control.nudgeSpeed, { adminToken: TOKEN, direction: "slower" })).speedMs).toBe(60_000);
        expect((await m.state()).speedMs).toBe(60_000);
        const msg = await refusal(h.mutation(api.daemon.control.nudgeSpeed, { adminToken: TOKEN, direction: "sideways" }));
        expect(msg).toMatch(/direction|Validator|validator/);
        expect((await m.state()).speedMs).toBe(60_000);
      });

      it("a replayed trace counts toward VOLUME like an ingested one", async () => {
        await loadSeeds(60); // 30 per bucket
        await h.mutation(api.daemon.control.speed, { adminToken: TOKEN, speedMs: 1 });
        await m.tick();
        setNow(T0 + 1000);
        await m.tick();
        expect((await m.state()).position).toBe(60);
        const jobs = await m.jobs();
        expect(jobs.map((j) => j.bucket).sort()).toEqual([A, B].sort());
        expect(jobs.every((j) => j.reason === "VOLUME")).toBe(true);
      });
    });

    describe("compile queue", () => {
      it("enqueue never duplicates a live job; claim takes the oldest with a lease", async () => {
        const first = await m.enqueue(A);
        expect(first.created).toBe(true);
        expect(await m.enqueue(A)).toEqual({ jobId: first.jobId, created: false });
        setNow(T0 + 1);
        await m.enqueue(B);
        const c = await m.claim("w1", 5000);
        expect(c).toMatchObject({ jobId: first.jobId, bucket: A, sha: "initial", attempts: 1 });
        expect(typeof c.claimToken).toBe("string");
        const [running] = await h.query(api.daemon.compiles.active, {});
        expect(running).toMatchObject({ _id: first.jobId, status: "running", leaseOwner: "w1" });
        near(running.leaseUntil, T0 + 1 + 5000);
        expect(await m.enqueue(A)).toEqual({ jobId: first.jobId, created: false }); // running is live too
        const c2 = await m.claim("w2", 5000);
        expect(c2.bucket).toBe(B);
        expect(c2.claimToken).not.toBe(c.claimToken);
        expect(await m.claim()).toBeNull();
        expect(await h.query(api.daemon.compiles.pending, {})).toEqual([]);
      });

      it("an expired lease is reaped back to pending and its stale claimToken cannot complete", async () => {
        const { jobId } = await m.enqueue(A);
        const old = await m.claim("w1", 1000);
        setNow(T0 + 990);
        await m.reap();
        expect((await m.jobs())[0].status).toBe("running");
        setNow(T0 + 1010);
        await m.reap();
        const [job] = await m.jobs();
        expect(job).toMatchObject({ status: "pending", attempts: 1 });
        expect(job.error).toContain("lease of w1 expired");
        expect(await h.query(api.daemon.compiles.pending, {})).toEqual([{ jobId, bucket: A, sha: "initial", reason: "MANUAL" }]);

        const args = { adminToken: TOKEN, jobId, claimToken: old.claimToken };
        expect(await refusal(h.mutation(api.daemon.compiles.complete, { ...args, entry: entry() }))).toMatch(/is pending, not running/);
        const fresh = await m.claim("w2", 1000);
        expect(fresh.attempts).toBe(2);
        for (const p of [
          h.mutation(api.daemon.compiles.complete, { ...args, entry: entry() }),
          h.mutation(api.daemon.compiles.renew, { ...args, leaseMs: 1000 }),
          h.mutation(api.daemon.compiles.fail, { ...args, error: "x" }),
          h.mutation(api.daemon.compiles.setStage, { ...args, stage: "scan" }),
          h.mutation(api.daemon.compiles.release, args),
        ]) {
          expect(await refusal(p)).toMatch(/stale claim on job/);
        }
        expect(await m.vault()).toHaveLength(0);
        expect((await m.jobs())[0]).toMatchObject({ status: "running", leaseOwner: "w2" });
        // The current holder can renew and finish.
        setNow(T0 + 1500);
        const r = await h.mutation(api.daemon.compiles.renew, { adminToken: TOKEN, jobId, claimToken: fresh.claimToken, leaseMs: 2000 });
        near(r.leaseUntil, T0 + 3500);
        setNow(T0 + 3000);
        await m.reap();
        expect((await m.jobs())[0].status).toBe("running");
        await h.mutation(api.daemon.compiles.complete, { adminToken: TOKEN, jobId, claimToken: fresh.claimToken, entry: entry() });
        expect((await m.jobs())[0].status).toBe("done");
      });

      it("claim takes the first still-pending job of the worker's preferred order, else the oldest; queue gives each bucket's call rate and cost", async () => {
        for (let i = 0; i < 11; i++) await m.ingest({ ...trace(B, i), ts: T0 + i * 6000 }); // one call every 6 s: 10 a minute
        const { jobId: a } = await m.enqueue(A);
        const { jobId: b } = await m.enqueue(B);
        const queue = (await h.query(api.daemon.compiles.queue, {})) as Array<{ jobId: string; bucket: string; callsPerMinute: number; avgTokensIn: number }>;
        expect(queue.map((j) => j.bucket)).toEqual([A, B]);
        expect(queue[1].callsPerMinute).toBeCloseTo(10, 6);
        expect(queue[0].callsPerMinute).toBe(0);
        const first = await h.mutation(api.daemon.compiles.claim, { adminToken: TOKEN, owner: "w", leaseMs: 10_000, prefer: [b, a] });
        expect(first.jobId).toBe(b);
        // b is running now: the preference falls through to a.
        const second = await h.mutation(api.daemon.compiles.claim, { adminToken: TOKEN, owner: "w", leaseMs: 10_000, prefer: [b] });
        expect(second.jobId).toBe(a);
        expect(await m.claim()).toBeNull();
      });

      it("a job that failed maxAttempts times stays failed with its last error", async () => {
        const { jobId } = await m.enqueue(A);
        for (let i = 1; i <= 3; i++) {
          const c = await m.claim();
          expect(c.attempts).toBe(i);
          const r = await h.mutation(api.daemon.compiles.fail, { adminToken: TOKEN, jobId, claimToken: c.claimToken, error: `boom ${i}\nstack` });
          expect(r.status).toBe(i < 3 ? "pending" : "failed");
        }
        const [job] = await m.jobs();
        expect(job).toMatchObject({ status: "failed", attempts: 3, error: "boom 3" });
        expect(await m.claim()).toBeNull();
        // A failed job is not live: the bucket can be enqueued again.
        expect((await m.enqueue(A)).created).toBe(true);
      });

      it("lease expiry on the last attempt fails the job", async () => {
        await m.enqueue(A);
        for (let i = 0; i < 3; i++) {
          await m.claim("w", 100);
          setNow(Date.now() + 150);
          await m.reap();
        }
        const [job] = await m.jobs();
        expect(job).toMatchObject({ status: "failed", attempts: 3 });
        expect(job.error).toContain("expired");
      });

      it("each finished job adds its wall-clock time to its bucket; prune keeps the newest finished jobs and never a live one", async () => {
        await m.ingest(trace(A, 1));
        await m.ingest(trace(B, 1));
        const finish = async (bucket: string, ms: number, how: "complete" | "fail") => {
          const { jobId } = await m.enqueue(bucket);
          const c = await m.claim();
          setNow(Date.now() + ms);
          if (how === "complete") await h.mutation(api.daemon.compiles.complete, { adminToken: TOKEN, jobId, claimToken: c.claimToken, entry: entry("waiting") });
          else await h.mutation(api.daemon.compiles.fail, { adminToken: TOKEN, jobId, claimToken: c.claimToken, error: "boom", final: true });
        };
        await finish(A, 1000, "complete");
        await finish(A, 500, "fail");
        await finish(B, 250, "complete");
        const live = await m.enqueue(A); // pending: never pruned
        const bucketRow = async (key: string) => (await h.query(api.daemon.ingest.buckets, {})).buckets.find((b: { key: string }) => b.key === key);
        // The clock moves on its own between calls too: a few ms either way.
        const near = (ms: number) => expect.toSatisfy((x: number) => Math.abs(x - ms) < 50);
        expect(await bucketRow(A)).toMatchObject({ compileMs: near(1500), compileJobs: 2 });
        expect(await bucketRow(B)).toMatchObject({ compileMs: near(250), compileJobs: 1 });
        const before = (await bucketRow(A)).compileMs;
        expect(await h.mutation(internal.daemon.compiles.prune, { keep: 1 })).toEqual({ deleted: 3 });
        expect((await m.jobs()).map((j) => j._id)).toEqual([live.jobId]);
        // The buckets keep what compiling them cost.
        expect(await bucketRow(A)).toMatchObject({ compileMs: before, compileJobs: 2 });
        expect(await h.mutation(internal.daemon.compiles.prune, { keep: 0 })).toEqual({ deleted: 0 });
      });

      it("release hands the job back without spending an attempt", async () => {
        const { jobId } = await m.enqueue(A);
        const c = await m.claim();
        await h.mutation(api.daemon.compiles.release, { adminToken: TOKEN, jobId, claimToken: c.claimToken });
        expect((await m.jobs())[0]).toMatchObject({ status: "pending", attempts: 0 });
        expect((await m.claim()).attempts).toBe(1);
      });

      it("setStage records a STEP row per stage change, not per progress update", async () => {
        const { jobId } = await m.enqueue(A);
        const c = await m.claim();
        const steps0 = (await m.triggers("STEP")).length;
        const stage = (stage: string, progress?: number) =>
          h.mutation(api.daemon.compiles.setStage, { adminToken: TOKEN, jobId, claimToken: c.claimToken, stage, progress });
        await stage("scan");
        await stage("stage2", 0.1);
        await stage("stage2", 0.5);
        await stage("stage2", 1);
        const [job] = await h.query(api.daemon.compiles.active, {});
        expect(job).toMatchObject({ stage: "stage2", progress: 1 });
        const steps = await m.triggers("STEP");
        expect(steps.length - steps0).toBe(2);
        expect(await refusal(stage("gate", 2))).toMatch(/progress must be a number from 0 to 1/);
      });

      it("complete writes the vault entry once per (bucket, sha), in the same transaction as the job", async () => {
        const { jobId } = await m.enqueue(A);
        const c = await m.claim();
        const { vaultId } = await h.mutation(api.daemon.compiles.complete, { adminToken: TOKEN, jobId, claimToken: c.claimToken, entry: entry() });
        let vault = await m.vault();
        expect(vault).toHaveLength(1);
        expect(vault[0]).toMatchObject({ _id: vaultId, bucket: A, sha: "initial", verdict: "compiled", jobId, family: "lookup" });
        expect((await m.jobs())[0]).toMatchObject({ status: "done", stage: "vault" });
        expect((await m.triggers("STEP"))[0].detail).toContain("vault: compiled");
        // A retry of the same complete is refused (the claim is gone) and writes nothing.
        expect(await refusal(h.mutation(api.daemon.compiles.complete, { adminToken: TOKEN, jobId, claimToken: c.claimToken, entry: entry() }))).toMatch(/is done, not running/);
        // A second job for the same (bucket, sha) replaces the entry instead of adding one.
        const again = await m.enqueue(A);
        const c2 = await m.claim();
        await h.mutation(api.daemon.compiles.complete, { adminToken: TOKEN, jobId: again.jobId, claimToken: c2.claimToken, entry: entry("rejected", "// none") });
        vault = await m.vault();
        expect(vault).toHaveLength(1);
        expect(vault[0]).toMatchObject({ _id: vaultId, verdict: "rejected", code: "// none", jobId: again.jobId });
        expect((await m.jobs())[0].status).toBe("rejected");
        expect(await h.query(api.daemon.vault.get, { bucket: A })).toMatchObject({ _id: vaultId });
        expect(await h.query(api.daemon.vault.get, { bucket: B })).toBeNull();
      });

      it("claim refuses a silly lease", async () => {
        await m.enqueue(A);
        expect(await refusal(m.claim("w", 0))).toMatch(/leaseMs must be an integer/);
        expect((await m.jobs())[0].status).toBe("pending");
      });
    });

    describe("vault publishing", () => {
      it("unpublished lists entries until markPublished", async () => {
        const { jobId } = await m.enqueue(A);
        const c = await m.claim();
        const { vaultId } = await h.mutation(api.daemon.compiles.complete, { adminToken: TOKEN, jobId, claimToken: c.claimToken, entry: entry() });
        expect((await h.query(api.daemon.vault.unpublished, { limit: 10 })).map((e: { _id: string }) => e._id)).toEqual([vaultId]);
        setNow(T0 + 5);
        await h.mutation(api.daemon.vault.markPublished, { adminToken: TOKEN, vaultId });
        setNow(T0 + 10);
        await h.mutation(api.daemon.vault.markPublished, { adminToken: TOKEN, vaultId });
        expect(await h.query(api.daemon.vault.unpublished, { limit: 10 })).toEqual([]);
        near((await m.vault())[0].publishedAt, T0 + 5); // the first publish time is kept
      });
    });

    describe("control", () => {
      it("inject copies a bucket's seed traces cyclically and counts toward VOLUME", async () => {
        await m.load([seed(1, A), seed(2, B), seed(3, A)]);
        const r = await h.mutation(api.daemon.control.inject, { adminToken: TOKEN, bucket: A, n: 31 });
        expect(r.inserted).toBe(31);
        expect(r.volumeJobIds).toHaveLength(1);
        const rows = (await m.traces(A)) as Array<{ source: string; input: { company: string } }>;
        expect(rows).toHaveLength(31);
        expect(rows.every((t) => t.source === "inject")).toBe(true);
        expect(rows.slice(0, 4).map((t) => t.input.company)).toEqual(["c1", "c3", "c1", "c3"]);
        expect(await m.traces(B)).toHaveLength(0);
      });

      it("inject falls back to recorded traces and refuses bad arguments without changing anything", async () => {
        await m.ingest(trace(A, 7));
        await h.mutation(api.daemon.control.inject, { adminToken: TOKEN, bucket: A, n: 2 });
        expect(await m.traces(A)).toHaveLength(3);
        const before = await snapshot();
        const inject = (bucket: string, n: number) => h.mutation(api.daemon.control.inject, { adminToken: TOKEN, bucket, n });
        for (const n of [-1, 0, 1.5, 1001]) {
          expect(await refusal(inject(A, n))).toContain("n must be an integer from 1 to 1000");
        }
        expect(await refusal(inject("not a bucket", 1))).toMatch(/bucket: bad bucket key "not a bucket"/);
        expect(await refusal(inject("acme:never_seen:v1", 1))).toMatch(/unknown bucket "acme:never_seen:v1"/);
        expect(await snapshot()).toEqual(before);
      });

      it("reset rewinds the replay and clears traces, buckets, jobs and triggers; --all also the vault", async () => {
        await m.load(Array.from({ length: 40 }, (_, i) => seed(i + 1, A)));
        await h.mutation(api.daemon.control.speed, { adminToken: TOKEN, speedMs: 10 });
        await m.tick();
        setNow(T0 + 1000);
        await m.tick();
        expect((await m.state()).position).toBe(40);
        const c = await m.claim();
        await h.mutation(api.daemon.compiles.complete, { adminToken: TOKEN, jobId: c.jobId, claimToken: c.claimToken, entry: entry() });
        await m.enqueue(B);

        // 40 traces, 1 bucket, 2 jobs, the trigger rows: one transaction is enough.
        const r = await h.mutation(api.daemon.control.reset, { adminToken: TOKEN });
        expect(r).toMatchObject({ done: true });
        expect(r.deleted).toBeGreaterThanOrEqual(43);
        expect(r.estimate).toBeGreaterThanOrEqual(r.deleted);
        expect(r.cutoffs.vault_index).toBe(-1); // the vault is kept
        expect(await m.state()).toEqual({ position: 0, total: 40, speedMs: 10, paused: false, lastTickAt: 0 });
        expect(await m.traces(A)).toHaveLength(0);
        expect((await h.query(api.daemon.ingest.buckets, {})).buckets).toHaveLength(0);
        expect(await m.jobs()).toHaveLength(0);
        expect(await m.triggers()).toHaveLength(0);
        expect(await m.vault()).toHaveLength(1);

        // The replay runs again from the first seed, with seq restarting.
        setNow(T0 + 2000);
        expect((await m.tick()).replayed).toBe(1);
        const [first] = (await m.traces(A)) as Array<{ seq: number; ts: number }>;
        expect(first.ts).toBe(T0 - 1_000_000 + 1);
        expect(first.seq).toBe(1);

        await h.mutation(api.daemon.control.reset, { adminToken: TOKEN, all: true });
        expect(await m.vault()).toHaveLength(0);
        expect(await m.traces(A)).toHaveLength(0);
      });

      it("a reset continuation deletes only rows from before the reset", async () => {
        await m.batch(Array.from({ length: 10 }, (_, i) => trace(A, i)));
        const rows = (await m.traces(A)) as Array<{ _creationTime: number; seq: number }>;
        const cutoff = rows[4]._creationTime;
        const none = -1;
        const r = await h.mutation(internal.daemon.control.resetContinue, {
          cutoffs: { proxy_traces: cutoff, buckets: none, pending_compiles: none, trigger_events: none, vault_index: none },
        });
        expect(r).toEqual({ done: true, deleted: 5 });
        const left = (await m.traces(A)) as Array<{ seq: number }>;
        expect(left.map((t) => t.seq)).toEqual(rows.slice(5).map((t) => t.seq));
        expect((await m.bucket(A))?.count).toBe(10); // buckets had no cutoff: untouched
      });

      it("a reset bigger than one transaction is finished batch by batch with resetBatch, sparing rows written after it", async () => {
        // 4,600 traces: more than one transaction deletes (4,000 documents at most).
        for (let i = 0; i < 4600; i += 1000) {
          setNow(T0 + i);
          await m.batch(Array.from({ length: Math.min(1000, 4600 - i) }, (_, j) => trace(j % 2 ? A : B, i + j)));
        }
        setNow(T0 + 10_000);
        const first = await h.mutation(api.daemon.control.reset, { adminToken: TOKEN });
        expect(first.done).toBe(false);
        expect(first.deleted).toBe(4000);
        expect(first.estimate).toBeGreaterThanOrEqual(4600);
        // Written after the reset: survives every batch of it.
        setNow(T0 + 11_000);
        await m.ingest(trace(A, 9999));
        let deleted = first.deleted;
        let done = false;
        for (let i = 0; i < 10 && !done; i++) {
          const next = await h.mutation(api.daemon.control.resetBatch, { adminToken: TOKEN, cutoffs: first.cutoffs });
          deleted += next.deleted;
          done = next.done;
        }
        expect(done).toBe(true);
        expect(deleted).toBeGreaterThanOrEqual(4600 + 2);
        const left = (await m.traces(A)) as Array<{ input: { company: string } }>;
        expect(left.map((t) => t.input.company)).toEqual(["c9999"]);
        expect(await m.traces(B)).toHaveLength(0);
        expect((await m.bucket(A))?.count).toBe(1);
        expect(await m.bucket(B)).toBeUndefined();
        // Running it again (a second caller, the scheduled follow-up) finds nothing more to delete.
        expect(await h.mutation(api.daemon.control.resetBatch, { adminToken: TOKEN, cutoffs: first.cutoffs })).toEqual({ done: true, deleted: 0 });
        expect(await m.traces(A)).toHaveLength(1);
      });

      it("a reset transaction also stops at about 4 MiB of documents (large traces are deleted a few at a time)", async () => {
        const big = (i: number) => ({ ...trace(A, i), input: { a: "x".repeat(50_000), b: "y".repeat(50_000), i } });
        for (let i = 0; i < 60; i += 10) await m.batch(Array.from({ length: 10 }, (_, j) => big(i + j)));
        const first = await h.mutation(api.daemon.control.reset, { adminToken: TOKEN });
        expect(first.done).toBe(false);
        // ~100 KB each: about 40 fit in 4 MiB (after the small bucket and trigger rows).
        const tracesDeleted = 60 - (await m.traces(A)).length;
        expect(tracesDeleted).toBeGreaterThan(20);
        expect(tracesDeleted).toBeLessThan(50);
        let done = false;
        for (let i = 0; i < 5 && !done; i++) done = (await h.mutation(api.daemon.control.resetBatch, { adminToken: TOKEN, cutoffs: first.cutoffs })).done;
        expect(done).toBe(true);
        expect(await m.traces(A)).toHaveLength(0);
      });

      it("reportSha records the first sha silently and re-enqueues compiled buckets on a change", async () => {
        const r0 = await h.mutation(api.daemon.control.reportSha, { adminToken: TOKEN, sha: "aaa" });
        expect(r0.changed).toBe(false);
        expect((await h.query(api.daemon.control.codeState, {})).sha).toBe("aaa");
        expect(await m.triggers("TRIGGER:CODE_CHANGE")).toHaveLength(0);
        await m.batch(Array.from({ length: 30 }, (_, i) => trace(A, i)));
        const c = await m.claim();
        expect(c.sha).toBe("aaa");
        await h.mutation(api.daemon.compiles.complete, { adminToken: TOKEN, jobId: c.jobId, claimToken: c.claimToken, entry: entry() });
        expect((await h.mutation(api.daemon.control.reportSha, { adminToken: TOKEN, sha: "aaa" })).changed).toBe(false);
        const r = await h.mutation(api.daemon.control.reportSha, { adminToken: TOKEN, sha: "bbb" });
        expect(r).toEqual({ changed: true, oldSha: "aaa", sha: "bbb", requeued: 1 });
        const jobs = await m.jobs();
        expect(jobs[0]).toMatchObject({ bucket: A, sha: "bbb", reason: "CODE_CHANGE", status: "pending" });
        expect(await m.triggers("TRIGGER:CODE_CHANGE")).toHaveLength(1);
        // Reporting again is a no-op: no second job, no second row.
        await h.mutation(api.daemon.control.reportSha, { adminToken: TOKEN, sha: "bbb" });
        expect(await m.jobs()).toHaveLength(2);
        expect(await m.triggers("TRIGGER:CODE_CHANGE")).toHaveLength(1);
      });

      it("bumpSha gives a new sha every time; the watch re-reporting the same content keeps it", async () => {
        await h.mutation(api.daemon.control.reportSha, { adminToken: TOKEN, sha: "c0ffee" });
        const a = await h.mutation(api.daemon.control.bumpSha, { adminToken: TOKEN });
        const b = await h.mutation(api.daemon.control.bumpSha, { adminToken: TOKEN });
        expect(a.sha).not.toBe("c0ffee");
        expect(b.sha).not.toBe(a.sha);
        expect((await h.query(api.daemon.control.codeState, {})).bumps).toBe(2);
        expect(await m.triggers("TRIGGER:CODE_CHANGE")).toHaveLength(2);
        const r = await h.mutation(api.daemon.control.reportSha, { adminToken: TOKEN, sha: "c0ffee" });
        expect(r.changed).toBe(false);
        expect((await h.query(api.daemon.control.codeState, {})).sha).toBe(b.sha);
        expect((await h.mutation(api.daemon.control.reportSha, { adminToken: TOKEN, sha: "beef" })).changed).toBe(true);
        expect(await m.triggers("TRIGGER:CODE_CHANGE")).toHaveLength(3);
      });
    });

    describe("agent runtime", () => {
      const C = "acme:summarize_call:v1";
      const D = "acme:extract_fields:v1";
      type Verdict = "compiled" | "partial" | "waiting" | "rejected";

      /** Enqueues, claims and completes a job for (bucket, sha): the entry the worker would write. */
      async function compile(bucket: string, verdict: Verdict = "compiled", code = `export default function compiled(input) { return ${JSON.stringify(bucket)}; }`, sha = "initial") {
        const { jobId } = await m.enqueue(bucket, sha);
        const c = await m.claim();
        expect(c.jobId).toBe(jobId);
        const { vaultId } = await h.mutation(api.daemon.compiles.complete, {
          adminToken: TOKEN,
          jobId,
          claimToken: c.claimToken,
          entry: { ...entry(verdict, code), codeHash: `hash-of-${code.length}-${bucket}` },
        });
        return vaultId as string;
      }

      const serving = () => h.query(api.daemon.runtime.serving, {});
      const report = (r: { traces?: Trace[]; usage?: Array<Record<string, unknown>>; checks?: Array<{ bucket: string; entryId: string; agree: boolean }> }) =>
        h.mutation(api.daemon.runtime.report, { adminToken: TOKEN, traces: r.traces ?? [], usage: r.usage ?? [], checks: r.checks ?? [] });
      const usageRows = (args: { bucket?: string; limit?: number } = {}) => h.query(api.daemon.runtime.usage, args);
      const checksOf = (entryId: string) => h.query(api.daemon.runtime.shadowChecks, { entryId, limit: 5000 });
      const delta = (bucket: string, windowStart: number, over: Record<string, unknown> = {}) => ({
        bucket,
        windowStart,
        served: 10,
        deferred: 2,
        shadowed: 1,
        shadowAgree: 1,
        tokensInAvoided: 1200,
        tokensOutAvoided: 80,
        latencyMsAvoided: 8000,
        model: "gpt-4o-mini",
        ...over,
      });
      const checks = (bucket: string, entryId: string, agrees: boolean[]) => agrees.map((agree) => ({ bucket, entryId, agree }));
      const vaultEntry = async (id: string) => (await m.vault()).find((e) => e._id === id);

      it("serving returns the current sha's newest active compiled/partial entries, with trace averages", async () => {
        await m.batch([trace(A, 0), trace(A, 1), trace(A, 2)]);
        const a = await compile(A, "compiled");
        const b = await compile(B, "partial");
        await compile(C, "waiting");
        await compile(D, "rejected");
        const view = await serving();
        expect(view.sha).toBe("initial");
        expect(view.entries).toEqual([
          { entryId: a, bucket: A, verdict: "compiled", code: expect.any(String), codeHash: expect.any(String), family: "lookup" },
          { entryId: b, bucket: B, verdict: "partial", code: expect.any(String), codeHash: expect.any(String), family: "lookup" },
        ]);
        // A has traces: its averages (latency 800, 801, 802); B has none, so its costs are unknown, not 0.
        expect(view.buckets).toEqual([{ bucket: A, model: "gpt-4o-mini", avgTokensIn: 120, avgTokensOut: 8, avgLatencyMs: 801 }]);
        // Entries of another sha are not served.
        const { sha } = await h.mutation(api.daemon.control.bumpSha, { adminToken: TOKEN });
        const after = await serving();
        expect(after.sha).toBe(sha);
        expect(after.entries).toEqual([]);
      });

      it("an entry without verified code (no codeHash) is not served", async () => {
        const { jobId } = await m.enqueue(A);
        const c = await m.claim();
        await h.mutation(api.daemon.compiles.complete, { adminToken: TOKEN, jobId, claimToken: c.claimToken, entry: entry("compiled") });
        expect((await serving()).entries).toEqual([]);
      });

      it("report inserts traces through the ingest path: source runtime, EVENT rows, VOLUME still fires", async () => {
        const traces = Array.from({ length: 30 }, (_, i) => trace(A, i));
        const r = await report({ traces });
        expect(r).toEqual({ inserted: 30, demoted: [] });
        const rows = (await m.traces(A)) as Array<{ source: string; seq: number }>;
        expect(rows.map((t) => t.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
        expect(rows.every((t) => t.source === "runtime")).toBe(true);
        const events = await m.triggers("TRIGGER:EVENT");
        expect(events).toHaveLength(21); // 20 rows, then one summary
        expect(events[0].detail).toBe("+10 more runtime traces (up to seq 30)");
        const volume = await m.triggers("TRIGGER:VOLUME");
        expect(volume).toHaveLength(1);
        expect((await m.jobs()).map((j) => [j.bucket, j.reason, j.uptoSeq])).toEqual([[A, "VOLUME", 30]]);
        const bucket = await m.bucket(A);
        expect(bucket).toMatchObject({ count: 30, sinceCompile: 0, summedTraces: 30, tokensInSum: 3600, tokensOutSum: 240, model: "gpt-4o-mini" });
        expect((bucket as unknown as { latencyMsSum: number }).latencyMsSum).toBe(30 * 800 + 435);
      });

      it("report adds usage deltas into one row per (bucket, window); usage lists newest windows first", async () => {
        const W0 = T0 - 120_000;
        const W1 = T0 - 60_000;
        await report({ usage: [delta(A, W0), delta(A, W0, { served: 5, shadowed: 0, shadowAgree: 0, model: "gpt-4o" }), delta(B, W0)] });
        await report({ usage: [delta(A, W0), delta(A, W1, { served: 1, deferred: 0, shadowed: 1, shadowAgree: 0 })] });
        const rows = await usageRows();
        expect(rows).toHaveLength(3);
        expect(rows[0]).toMatchObject({ bucket: A, windowStart: W1, served: 1, deferred: 0, shadowed: 1, shadowAgree: 0 });
        const a0 = rows.find((r: { bucket: string; windowStart: number }) => r.bucket === A && r.windowStart === W0);
        expect(a0).toMatchObject({ served: 25, deferred: 6, shadowed: 2, shadowAgree: 2, tokensInAvoided: 3600, tokensOutAvoided: 240, latencyMsAvoided: 24000, model: "gpt-4o-mini" });
        expect((await usageRows({ bucket: B })).map((r: { served: number }) => r.served)).toEqual([10]);
        expect(await usageRows({ limit: 1 })).toHaveLength(1);
        expect(await refusal(usageRows({ limit: 0 }))).toMatch(/limit must be an integer/);
        // Checks against a known answer are summed too, within a report and into the stored row.
        await report({ usage: [delta(B, W1, { checked: 4, checkAgree: 3 }), delta(B, W1, { checked: 2, checkAgree: 2 })] });
        await report({ usage: [delta(B, W1, { checked: 1, checkAgree: 0 }), delta(B, W1)] });
        expect((await usageRows({ bucket: B }))[0]).toMatchObject({ windowStart: W1, served: 40, checked: 7, checkAgree: 5 });
      });

      it("a stream of disagreeing checks demotes once: TRIGGER:DRIFT, a DRIFT recompile, no longer served", async () => {
        const a = await compile(A);
        expect((await serving()).entries.map((e: { entryId: string }) => e.entryId)).toEqual([a]);
        // ln 3 per disagreement against h = 9.2: eight are not enough, the ninth demotes.
        expect(await report({ checks: checks(A, a, Array(8).fill(false)) })).toEqual({ inserted: 0, demoted: [] });
        expect((await vaultEntry(a))?.drift).toMatchObject({ n: 8, disagree: 8, demoted: false });
        expect((await serving()).entries).toHaveLength(1);
        setNow(T0 + 500);
        expect(await report({ checks: checks(A, a, [false, false, false]) })).toEqual({ inserted: 0, demoted: [a] });

        const demoted = await vaultEntry(a);
        expect(demoted).toMatchObject({ status: "demoted", verdict: "compiled", drift: { n: 9, disagree: 9, demoted: true } });
        near(demoted?.demotion.at, T0 + 500);
        expect(demoted?.demotion.evidence).toMatch(/agreement 0\/9 = 0\.00 over the last 9 shadow checks; .*CUSUM 9\.89 ≥ h 9\.20/);
        const drift = await m.triggers("TRIGGER:DRIFT");
        expect(drift).toHaveLength(1);
        expect(drift[0]).toMatchObject({ bucket: A, detail: demoted?.demotion.evidence });
        const jobs = (await m.jobs()).filter((j) => j.status === "pending");
        expect(jobs.map((j) => [j.bucket, j.sha, j.reason])).toEqual([[A, "initial", "DRIFT"]]);
        expect(drift[0].jobId).toBe(jobs[0]._id);
        expect((await serving()).entries).toEqual([]);

        // Further checks are recorded and change nothing.
        expect(await report({ checks: checks(A, a, [false, true, false, true]) })).toEqual({ inserted: 0, demoted: [] });
        expect((await vaultEntry(a))?.drift).toEqual(demoted?.drift);
        expect(await m.triggers("TRIGGER:DRIFT")).toHaveLength(1);
        expect((await m.jobs()).filter((j) => j.reason === "DRIFT")).toHaveLength(1);
        const rows = (await checksOf(a)) as Array<{ agree: boolean; bucket: string }>;
        expect(rows).toHaveLength(15);
        // The stored drift state is what folding the entry's checks gives.
        expect(driftFromChecks(rows.reverse().map((r) => r.agree)).state).toEqual(demoted?.drift);

        // The recompile writes a new entry beside the demoted one, and that one is served.
        // (compile's enqueue dedupes to the pending DRIFT job, which it then claims and completes.)
        const fresh = await compile(A, "compiled", "export default function compiled(input) { return 'v2'; }");
        expect(fresh).not.toBe(a);
        const vault = (await m.vault()).filter((e) => e.bucket === A);
        expect(vault.map((e) => [e._id, e.status ?? "active"]).sort()).toEqual([[a, "demoted"], [fresh, "active"]].sort());
        expect((await serving()).entries.map((e: { entryId: string; code: string }) => [e.entryId, e.code])).toEqual([[fresh, "export default function compiled(input) { return 'v2'; }"]]);
        expect(await h.query(api.daemon.vault.get, { bucket: A })).toMatchObject({ _id: fresh });
      });

      it("a DRIFT recompile is enqueued even when a compiled entry exists and earlier jobs are done; a live job is reused", async () => {
        const a = await compile(A);
        const b = await compile(B);
        await m.enqueue(B, "initial", "MANUAL"); // a live job for B: the DRIFT recompile reuses it
        const r = await report({ checks: [...checks(A, a, Array(9).fill(false)), ...checks(B, b, Array(9).fill(false))] });
        expect(r.demoted.sort()).toEqual([a, b].sort());
        const live = (await m.jobs()).filter((j) => j.status === "pending");
        expect(live.map((j) => [j.bucket, j.reason]).sort()).toEqual([[A, "DRIFT"], [B, "MANUAL"]].sort());
        const rows = await m.triggers("TRIGGER:DRIFT");
        expect(rows.map((t) => t.bucket).sort()).toEqual([A, B].sort());
        expect(rows.find((t) => t.bucket === B)?.jobId).toBe(live.find((j) => j.bucket === B)?._id);
      });

      it("a demoted call site whose DRIFT recompile failed gets VOLUME again as its traces grow", async () => {
        const a = await compile(A); // learnt from 30 traces: retried at 45
        await report({ traces: Array.from({ length: 45 }, (_, i) => trace(A, i)) });
        expect(await m.triggers("TRIGGER:VOLUME")).toHaveLength(0); // compiled settles the call site
        await report({ checks: checks(A, a, Array(9).fill(false)) });
        const c = await m.claim();
        expect(c.reason).toBe("DRIFT");
        await h.mutation(api.daemon.compiles.fail, { adminToken: TOKEN, jobId: c.jobId, claimToken: c.claimToken, error: "boom", final: true });
        // Only traces since the drift began are learned from, so only they count towards the retry:
        // the entry learnt from 30, so the 45th new trace fires it (not the bucket's 46th).
        await report({ traces: Array.from({ length: 44 }, (_, i) => trace(A, 100 + i)) });
        expect(await m.triggers("TRIGGER:VOLUME")).toHaveLength(0);
        await report({ traces: [trace(A, 199)] });
        const volume = await m.triggers("TRIGGER:VOLUME");
        expect(volume).toHaveLength(1);
        expect(volume[0].detail).toMatch(/retry of a demoted call site: 45 traces since its drift, up from 30/);
        const retry = await m.claim();
        expect(retry.trainFromSeq).toBe(45);
      });

      it("agreeing checks never demote, nor does a steady 95 % agreement", async () => {
        const a = await compile(A);
        const b = await compile(B, "partial");
        const steady = Array.from({ length: 600 }, (_, i) => i % 20 !== 7); // 1 disagreement in 20
        for (let i = 0; i < 3; i++) {
          const r = await report({ checks: [...checks(A, a, Array(200).fill(true)), ...checks(B, b, steady.slice(i * 200, (i + 1) * 200))] });
          expect(r.demoted).toEqual([]);
        }
        expect((await vaultEntry(a))?.drift).toMatchObject({ n: 600, disagree: 0, cusum: 0, demoted: false });
        expect((await vaultEntry(b))?.drift).toMatchObject({ n: 600, disagree: 30, demoted: false });
        expect((await vaultEntry(b))?.status).toBeUndefined();
        expect((await serving()).entries).toHaveLength(2);
        expect(await m.triggers("TRIGGER:DRIFT")).toHaveLength(0);
      });

      it("refuses a bad report with a one-line reason and writes nothing", async () => {
        const a = await compile(A);
        await report({ traces: [trace(A, 1)], usage: [delta(A, T0)], checks: checks(A, a, [true]) });
        const state = async () => ({ ...(await snapshot()), usage: await usageRows(), checks: await checksOf(a) });
        const before = await state();
        const ok = { traces: [trace(A, 2)], usage: [delta(A, T0)], checks: checks(A, a, Array(9).fill(false)) };
        const jobId = (await m.jobs())[0]._id as string;
        const cases: Array<[Parameters<typeof report>[0], RegExp]> = [
          [{ ...ok, traces: [trace(A, 3), { ...trace(A, 4), bucket: "no key" }] }, /traces\[1\]\.bucket/],
          [{ ...ok, usage: [delta("nope", T0)] }, /usage\[0\]\.bucket: bad bucket key "nope"/],
          [{ ...ok, usage: [delta(A, T0, { served: -1 })] }, /usage\[0\]\.served must be an integer from 0/],
          [{ ...ok, usage: [delta(A, T0, { served: 1.5 })] }, /usage\[0\]\.served must be an integer/],
          [{ ...ok, usage: [delta(A, T0, { latencyMsAvoided: -3 })] }, /usage\[0\]\.latencyMsAvoided must be a finite number >= 0/],
          [{ ...ok, usage: [delta(A, T0, { shadowed: 3, shadowAgree: 4 })] }, /usage\[0\]: shadowAgree \(4\) exceeds shadowed \(3\)/],
          [{ ...ok, usage: [delta(A, T0, { served: 5, checked: 3, checkAgree: 4 })] }, /usage\[0\]: checkAgree \(4\) exceeds checked \(3\)/],
          [{ ...ok, usage: [delta(A, T0, { served: 5, checked: 6, checkAgree: 0 })] }, /usage\[0\]: checked \(6\) exceeds served \(5\)/],
          [{ ...ok, usage: [delta(A, T0, { windowStart: -60_000 })] }, /usage\[0\]\.windowStart must be an integer/],
          [{ ...ok, checks: [{ bucket: "x", entryId: a, agree: false }] }, /checks\[0\]\.bucket: bad bucket key/],
          [{ ...ok, checks: [...checks(A, a, [true]), { bucket: B, entryId: a, agree: false }] }, /checks\[1\]: vault entry .* belongs to acme:classify_lead_tier:v1, not acme:route_ticket:v1/],
          // An id of another table, or no id at all: refused by the argument validator (its wording differs per backend).
          [{ ...ok, checks: [{ bucket: A, entryId: jobId, agree: false }] }, /(expected Id<|Expected ID for table )"vault_index"/],
          [{ ...ok, checks: [{ bucket: A, entryId: "not-an-id", agree: false }] }, /(expected Id<|Expected ID for table )"vault_index"/],
          [{ ...ok, traces: Array.from({ length: 1001 }, (_, i) => trace(A, i)) }, /traces: at most 1000 per report/],
        ];
        for (const [args, reason] of cases) {
          const msg = await refusal(report(args));
          expect(msg, JSON.stringify(args.checks?.[0] ?? args.usage?.[0])).toMatch(reason);
          expect(msg, "one line").not.toContain("\n");
        }
        expect(await state()).toEqual(before);
      });

      it("reset clears usage and shadow checks (the vault keeps its drift state); checks of a deleted entry are recorded and change nothing", async () => {
        const a = await compile(A);
        await report({ traces: [trace(A, 1)], usage: [delta(A, T0), delta(B, T0)], checks: checks(A, a, [true, false, true]) });
        expect(await usageRows()).toHaveLength(2);
        expect(await checksOf(a)).toHaveLength(3);
        const r = await h.mutation(api.daemon.control.reset, { adminToken: TOKEN });
        expect(r.done).toBe(true);
        expect(r.cutoffs.usage).toBeGreaterThan(0);
        expect(r.cutoffs.shadow_checks).toBeGreaterThan(0);
        expect(await usageRows()).toEqual([]);
        expect(await checksOf(a)).toEqual([]);
        expect((await vaultEntry(a))?.drift).toMatchObject({ n: 3, disagree: 1 });
        expect((await serving()).entries).toHaveLength(1);

        await h.mutation(api.daemon.control.reset, { adminToken: TOKEN, all: true });
        expect(await m.vault()).toEqual([]);
        expect((await serving()).entries).toEqual([]);
        // A runtime still holding the old id: its checks are kept, nothing is demoted or enqueued.
        expect(await report({ checks: checks(A, a, Array(12).fill(false)) })).toEqual({ inserted: 0, demoted: [] });
        expect(await checksOf(a)).toHaveLength(12);
        expect(await m.jobs()).toEqual([]);
        expect(await m.triggers("TRIGGER:DRIFT")).toEqual([]);
      });
    });

    describe("heartbeat and triggers", () => {
      it("beat upserts one row per daemon with server time", async () => {
        const beat = { adminToken: TOKEN, daemonId: "d1", pid: 42, host: "h", version: "0.1.0", startedAt: T0, backend: "embedded", compute: "local" };
        await h.mutation(api.daemon.heartbeat.beat, { ...beat, status: "running", currentJob: "j1" });
        setNow(T0 + 2000);
        await h.mutation(api.daemon.heartbeat.beat, { ...beat, status: "paused" });
        await h.mutation(api.daemon.heartbeat.beat, { ...beat, daemonId: "d2", status: "running" });
        const rows = await h.query(api.daemon.heartbeat.status, {});
        expect(rows).toHaveLength(2);
        const d1 = rows.find((r: { daemonId: string }) => r.daemonId === "d1");
        expect(d1).toMatchObject({ daemonId: "d1", status: "paused", pid: 42 });
        near(d1.lastBeatAt, T0 + 2000);
        expect(d1.currentJob).toBeUndefined();
      });

      it("status lists the most recent beats first, so old stopped daemons never hide a live one", async () => {
        const beat = { adminToken: TOKEN, pid: 1, host: "h", version: "0", startedAt: T0, backend: "embedded", compute: "local" };
        for (let i = 0; i < 30; i++) {
          setNow(T0 + i * 10);
          await h.mutation(api.daemon.heartbeat.beat, { ...beat, daemonId: `old-${String(i).padStart(2, "0")}`, status: "stopped" });
        }
        setNow(T0 + 10_000);
        await h.mutation(api.daemon.heartbeat.beat, { ...beat, daemonId: "a-live-one", status: "running" });
        const rows = await h.query(api.daemon.heartbeat.status, {});
        expect(rows[0]).toMatchObject({ daemonId: "a-live-one", status: "running" });
        expect(rows.length).toBeLessThanOrEqual(20);
      });

      it("recent is newest first and bounded; record and prune work", async () => {
        for (let i = 0; i < 5; i++) {
          setNow(T0 + i);
          await h.mutation(api.daemon.triggers.record, { adminToken: TOKEN, kind: "BOOT", detail: `boot ${i}` });
        }
        const rows = await h.query(api.daemon.triggers.recent, { limit: 3 });
        expect(rows.map((r: { detail: string }) => r.detail)).toEqual(["boot 4", "boot 3", "boot 2"]);
        expect(await refusal(h.query(api.daemon.triggers.recent, { limit: 0 }))).toMatch(/limit/);
        expect(await refusal(h.query(api.daemon.triggers.recent, { limit: 501 }))).toMatch(/limit/);
        // BOOT rows are notable: `keep` bounds the routine rows, `keepNotable` these.
        expect(await h.mutation(internal.daemon.triggers.prune, { keep: 2 })).toEqual({ deleted: 0 });
        expect(await h.mutation(internal.daemon.triggers.prune, { keep: 2, keepNotable: 2 })).toEqual({ deleted: 3 });
        expect((await m.triggers()).map((r) => r.detail)).toEqual(["boot 4", "boot 3"]);
        expect(await h.mutation(internal.daemon.triggers.prune, { keep: 2, keepNotable: 2 })).toEqual({ deleted: 0 });
      });

      it("a flood of routine rows cannot push a notable row out: they are pruned apart, and notable lists them alone", async () => {
        setNow(T0);
        await h.mutation(api.daemon.triggers.record, { adminToken: TOKEN, kind: "TRIGGER:DRIFT", detail: "the drift" });
        for (let i = 0; i < 6; i++) {
          setNow(T0 + 1 + i);
          await h.mutation(api.daemon.triggers.record, { adminToken: TOKEN, kind: i % 2 ? "STEP" : "TRIGGER:SCHEDULE", detail: `routine ${i}` });
        }
        setNow(T0 + 10);
        await h.mutation(api.daemon.triggers.record, { adminToken: TOKEN, kind: "BOOT", detail: "a boot" });
        expect(await h.mutation(internal.daemon.triggers.prune, { keep: 2, keepNotable: 5 })).toEqual({ deleted: 4 });
        expect((await m.triggers()).map((r) => r.detail)).toEqual(["a boot", "routine 5", "routine 4", "the drift"]);
        const notable = await h.query(api.daemon.triggers.notable, { limit: 10 });
        expect(notable.map((r: { detail: string }) => r.detail)).toEqual(["a boot", "the drift"]);
        // Past its own bound, the oldest notable row goes too.
        expect(await h.mutation(internal.daemon.triggers.prune, { keep: 2, keepNotable: 1 })).toEqual({ deleted: 1 });
        expect((await m.triggers()).map((r) => r.detail)).toEqual(["a boot", "routine 5", "routine 4"]);
      });
    });
  });
}

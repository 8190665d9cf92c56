import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DatabaseSync } from "node:sqlite";
import { cronJobs, defineSchema, defineTable, makeFunctionReference, queryGeneric } from "convex/server";
import { v } from "convex/values";
import { openEmbeddedRuntime, type EmbeddedRuntime } from "../../src/backend/embedded/runtime.js";
import type { CronsLike, SchemaLike } from "../../src/backend/embedded/schema.js";
import { cronJobsEvery, openApp, tempDb } from "./fixtures/open.js";

let db: { path: string; cleanup: () => void };
let rt: EmbeddedRuntime;

beforeEach(() => {
  db = tempDb();
  rt = openApp(db.path);
});

afterEach(async () => {
  await rt.close();
  vi.useRealTimers();
  db.cleanup();
});

const count = async (r: EmbeddedRuntime = rt): Promise<number> => ((await r.query("app:all", {})) as unknown[]).length;

describe("transactions", () => {
  it("a thrown mutation writes nothing and schedules nothing", async () => {
    await expect(rt.mutation("app:failAfterWriteAndSchedule", {})).rejects.toThrow("boom");
    expect(await count()).toBe(0);
    const raw = new DatabaseSync(db.path);
    expect((raw.prepare("SELECT COUNT(*) AS n FROM _scheduled").get() as { n: number }).n).toBe(0);
    raw.close();
  });

  it("rolls back a batch that fails half way", async () => {
    const items = Array.from({ length: 10 }, (_, i) => ({ name: `x${i}`, n: i }));
    await expect(rt.mutation("app:addMany", { items, failAt: 5 })).rejects.toThrow("failing at 5");
    expect(await count()).toBe(0);
    expect(await rt.mutation("app:addMany", { items })).toBe(10);
    expect(await count()).toBe(10);
  });

  it("nested runMutation/runQuery share the transaction", async () => {
    expect(await rt.mutation("app:nested", {})).toBe(1);
  });

  it("a nested mutation that throws is rolled back alone; reads after it do not see its writes", async () => {
    expect(await rt.mutation("app:nestedRollback", {})).toEqual({ before: 0, after: 0, caught: true, final: 10 });
    expect(await rt.query("app:counter", { name: "nr" })).toBe(10);
  });

  it("state survives close and reopen", async () => {
    await rt.mutation("app:add", { name: "kept", n: 7 });
    const token = rt.adminToken;
    expect(token).toMatch(/^[\w-]{20,}$/);
    await rt.close();
    rt = openApp(db.path);
    expect(await rt.query("app:all", {})).toEqual([{ name: "kept", n: 7 }]);
    expect(rt.adminToken).toBe(token);
  });

  it("_creationTime is strictly increasing even under a frozen clock", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(1_000_000);
    await rt.mutation("app:addMany", { items: [{ name: "a", n: 1 }, { name: "b", n: 2 }] });
    await rt.mutation("app:add", { name: "c", n: 3 });
    const page = (await rt.query("app:page", { cursor: null, numItems: 10 })) as { page: { _creationTime: number }[] };
    const times = page.page.map((d) => d._creationTime).reverse();
    expect(times[0]).toBe(1_000_000);
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1]);
  });
});

describe("function environment", () => {
  it("freezes Date.now, seeds Math.random and overlays the deployment env", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(42_000);
    await rt.setEnv("APP_SECRET", "s3cret");
    const out = (await rt.query("app:clock", {})) as { a: number; b: number; r: number; env: string | null };
    expect(out.a).toBe(42_000);
    expect(out.b).toBe(42_000);
    expect(out.r).toBeGreaterThanOrEqual(0);
    expect(out.r).toBeLessThan(1);
    expect(out.env).toBe("s3cret");
    expect(process.env.APP_SECRET).toBeUndefined();
    expect(Math.random).not.toBe(undefined);
  });
});

describe("validation and visibility", () => {
  it("enforces argument, return and schema validators", async () => {
    await expect(rt.mutation("app:add", { name: 1, n: 1 })).rejects.toThrow(/ArgumentValidationError.*name/);
    await expect(rt.mutation("app:add", { name: "a", n: 1, extra: true })).rejects.toThrow(/unexpected field `extra`/);
    await expect(rt.query("app:badReturn", {})).rejects.toThrow(/ReturnsValidationError/);
    await expect(rt.mutation("app:badInsert", {})).rejects.toThrow(/does not match the schema/);
    expect(await count()).toBe(0);
  });

  it("refuses internal functions to public callers and allows trusted ones", async () => {
    await expect(rt.mutation("app:logIt", { msg: "x" })).rejects.toThrow(/internal/);
    await rt.mutation("app:logIt", { msg: "x" }, { allowInternal: true });
    expect(await rt.query("app:logs", {})).toEqual(["x"]);
  });

  it("names unsupported features", async () => {
    await expect(rt.mutation("app:doAction", {})).rejects.toThrow(/Actions .* not supported by the embedded Convex runtime/);
    await expect(rt.mutation("app:useStorage", {})).rejects.toThrow(/File storage .* not supported/);
  });

  it("names search indexes as unsupported, at open and when queried", async () => {
    const schema = defineSchema({ docs: defineTable({ body: v.string() }).searchIndex("search_body", { searchField: "body" }) });
    const search = queryGeneric({
      args: {},
      handler: async (ctx) => ctx.db.query("docs").withSearchIndex("search_body", (q) => q.search("body", "hello")).collect(),
    });
    const logs: string[] = [];
    const other = openEmbeddedRuntime({ path: `${db.path}.search`, schema: schema as unknown as SchemaLike, modules: { s: { search } }, runCrons: false, runScheduler: false, log: (m) => logs.push(m) });
    expect(logs.join("\n")).toMatch(/docs: search indexes/);
    await expect(other.query("s:search", {})).rejects.toThrow(/Search indexes .* not supported by the embedded Convex runtime/);
    await other.close();
  });
});

describe("indexes", () => {
  const mixed: unknown[] = [null, -5n, 3n, -Infinity, -1.5, -0, 0, 2, Infinity, false, true, "", "a", "ab", "b", "é", [], [1], [1, 2], { a: 1 }, { b: 0 }];

  it("orders a withIndex range by Convex's total order across types", async () => {
    const shuffled = [...mixed].sort(() => 0.5 - Math.random());
    for (const tag of shuffled) await rt.mutation("app:add", { name: "m", n: 0, tag: tag as never });
    await rt.mutation("app:add", { name: "none", n: 0 }); // tag undefined sorts first
    const asc = (await rt.query("app:tagRange", {})) as unknown[];
    expect(asc.length).toBe(mixed.length + 1);
    expect(asc[0]).toBe(null); // undefined tag comes back as null here
    expect(asc.slice(1).map(String)).toEqual(mixed.map(String));
    expect(Object.is(asc[6], -0)).toBe(true);
    const desc = (await rt.query("app:tagRange", { order: "desc" })) as unknown[];
    expect(desc.map(String)).toEqual([...asc].reverse().map(String));
    expect(await rt.query("app:tagRange", { lo: 0, hi: "b" })).toEqual([0, 2, Infinity, false, true, "", "a", "ab"]);
    expect(await rt.query("app:tagRange", { lo: "b" })).toEqual(["b", "é", [], [1], [1, 2], { a: 1 }, { b: 0 }]);
    expect(await rt.query("app:tagRange", { hi: -1.5 })).toEqual([null, null, -5n, 3n, -Infinity]);
  });

  it("a withIndex range is a SQLite index range scan, not a table scan", async () => {
    await rt.mutation("app:add", { name: "a", n: 1 });
    const raw = new DatabaseSync(db.path);
    const plan = raw
      .prepare(`EXPLAIN QUERY PLAN SELECT "ix_by_name" AS k, doc FROM "t_items" WHERE "ix_by_name" >= ? AND "ix_by_name" < ? ORDER BY "ix_by_name" ASC LIMIT ?`)
      .all(new Uint8Array([6]), new Uint8Array([7]), 10) as { detail: string }[];
    raw.close();
    const detail = plan.map((p) => p.detail).join(" | ");
    expect(detail).toMatch(/SEARCH t_items USING INDEX idx_items_by_name \(ix_by_name>\? AND ix_by_name<\?\)/);
    expect(detail).not.toMatch(/SCAN t_items|TEMP B-TREE/);
  });

  it("paginates newest first with cursors", async () => {
    for (let i = 0; i < 7; i++) await rt.mutation("app:add", { name: `p${i}`, n: i });
    const seen: number[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const r = (await rt.query("app:page", { cursor, numItems: 3 })) as { page: { n: number }[]; isDone: boolean; continueCursor: string };
      seen.push(...r.page.map((d) => d.n));
      if (r.isDone) break;
      cursor = r.continueCursor;
    }
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0]);
  });

  it("adds a new index to an existing file by backfilling it", async () => {
    await rt.mutation("app:add", { name: "old", n: 1 });
    const raw = new DatabaseSync(db.path);
    raw.exec(`DROP INDEX "idx_items_by_name"; UPDATE "t_items" SET "ix_by_name" = NULL; DELETE FROM _indexes WHERE name = 'by_name'`);
    raw.close();
    await rt.close();
    rt = openApp(db.path);
    expect(((await rt.query("app:byName", { name: "old" })) as unknown[]).length).toBe(1);
  });
});

describe("scheduler and crons", () => {
  it("runs runAfter jobs committed with the mutation, and cancel prevents a run", async () => {
    await rt.close();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(50_000);
    rt = openApp(db.path, { runScheduler: true, tickMs: 60_000 });
    await rt.mutation("app:scheduleLog", { msg: "soon", delayMs: 1000 });
    const later = (await rt.mutation("app:scheduleLog", { msg: "later", delayMs: 1000 })) as string;
    await rt.mutation("app:cancel", { id: later });
    await rt.tick();
    expect(await rt.query("app:logs", {})).toEqual([]);
    vi.setSystemTime(51_000);
    await rt.tick();
    expect(await rt.query("app:logs", {})).toEqual(["soon"]);
  });

  it("runs interval crons from cronJobs() only while holding the lease", async () => {
    await rt.close();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(10_000);
    rt = openApp(db.path, { runCrons: true, crons: cronJobsEvery(1), tickMs: 60_000 });
    await rt.tick(); // first sight: schedules the first run one interval ahead
    expect(await rt.query("app:counter", { name: "cron" })).toBe(0);
    vi.setSystemTime(11_000);
    await rt.tick();
    await rt.tick(); // not due again yet
    expect(await rt.query("app:counter", { name: "cron" })).toBe(1);
    expect(rt.isSchedulerLeader()).toBe(true);
    const other = openApp(db.path, { runCrons: true, crons: cronJobsEvery(1), tickMs: 60_000 });
    vi.setSystemTime(12_500);
    expect(await other.tick()).toBe(0);
    expect(other.isSchedulerLeader()).toBe(false);
    await other.close();
  });
});

describe("cron bookkeeping", () => {
  it("books a cron of at most half a lease in memory and a longer one in the file, running each once per interval", async () => {
    await rt.close();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(10_000);
    const crons = cronJobs();
    crons.interval("fast", { seconds: 1 }, makeFunctionReference<"mutation">("app:tick"));
    crons.interval("slow", { seconds: 5 }, makeFunctionReference<"mutation">("app:tick"));
    rt = openApp(db.path, { runCrons: true, crons: crons as unknown as CronsLike, tickMs: 60_000, leaseMs: 3000 });
    const booked = (): Record<string, number> => {
      const reader = new DatabaseSync(db.path, { readOnly: true });
      try {
        return Object.fromEntries((reader.prepare("SELECT name, nextRun FROM _crons").all() as { name: string; nextRun: number }[]).map((r) => [r.name, r.nextRun]));
      } finally {
        reader.close();
      }
    };
    await rt.tick(); // first sight: both booked in the file, one interval ahead
    expect(booked()).toEqual({ fast: 11_000, slow: 15_000 });
    for (let t = 11_000; t <= 16_000; t += 500) {
      vi.setSystemTime(t);
      await rt.tick();
    }
    // fast at 11, 12, ... 16 s (6 runs), slow at 15 s (1 run)
    expect(await rt.query("app:counter", { name: "cron" })).toBe(7);
    // The slow cron's next run is in the file; the fast one's stayed in memory (the file was not
    // written every second for it).
    expect(booked()).toEqual({ fast: 11_000, slow: 20_000 });
  });
});

describe("subscriptions", () => {
  it("re-runs after a commit to a read table and calls back only on change", async () => {
    const results: number[] = [];
    const unsubscribe = rt.subscribe("app:counter", { name: "s" }, (r) => results.push(r as number));
    await rt.mutation("app:increment", { name: "s" });
    await rt.mutation("app:add", { name: "unrelated", n: 1 }); // other table: no re-run
    await rt.mutation("app:increment", { name: "other" }); // same table, same result: no callback
    await rt.mutation("app:increment", { name: "s" });
    await vi.waitFor(() => expect(results).toEqual([0, 1, 2]));
    unsubscribe();
    await rt.mutation("app:increment", { name: "s" });
    await new Promise((r) => setTimeout(r, 30));
    expect(results).toEqual([0, 1, 2]);
  });

  it("reports query errors to onError", async () => {
    const err = await new Promise<Error>((resolve) => rt.subscribe("app:badReturn", {}, () => undefined, resolve));
    expect(err.message).toMatch(/ReturnsValidationError/);
  });
});

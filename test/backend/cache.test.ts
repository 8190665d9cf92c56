import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defineSchema, defineTable, mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";
import { openEmbeddedRuntime, type EmbeddedRuntime } from "../../src/backend/embedded/runtime.js";
import type { SchemaLike } from "../../src/backend/embedded/schema.js";
import { tempDb } from "./fixtures/open.js";

/**
 * The store keeps small scan results and documents across transactions (see Store.scanCache): these
 * pin down that a cached read never outlives the data it came from.
 */
const schema = defineSchema({
  kv: defineTable({ name: v.string(), value: v.number() }).index("by_name", ["name"]).index("by_value", ["value"]),
});

type Ctx = { db: any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- the untyped test app

const row = (ctx: Ctx, name: string) => ctx.db.query("kv").withIndex("by_name", (q: any) => q.eq("name", name)).unique(); // eslint-disable-line @typescript-eslint/no-explicit-any -- as above

const mod = {
  get: queryGeneric({
    args: { name: v.string() },
    handler: async (ctx, { name }) => ((await row(ctx, name)) as { value: number } | null)?.value ?? null,
  }),
  byValue: queryGeneric({
    args: { value: v.number() },
    handler: async (ctx, { value }) =>
      (await ctx.db.query("kv").withIndex("by_value", (q) => q.eq("value", value)).collect()).map((d) => d.name),
  }),
  set: mutationGeneric({
    args: { name: v.string(), value: v.number() },
    handler: async (ctx, { name, value }) => {
      const r = await row(ctx, name);
      if (r) await ctx.db.patch(r._id, { value });
      else await ctx.db.insert("kv", { name, value });
      return null;
    },
  }),
  /** Adds one, reads it back through the index and by id (both must see the write), then maybe throws. */
  bump: mutationGeneric({
    args: { name: v.string(), fail: v.boolean() },
    handler: async (ctx, { name, fail }) => {
      const r = await row(ctx, name);
      await ctx.db.patch(r._id, { value: r.value + 1 });
      const again = await row(ctx, name);
      const byId = await ctx.db.get(r._id);
      if (again.value !== r.value + 1 || byId.value !== r.value + 1) throw new Error("read did not see the write");
      if (fail) throw new Error("boom");
      return again.value;
    },
  }),
};

const modules = { kv: mod as unknown as Record<string, unknown> };
let db: { path: string; cleanup: () => void };
const open: EmbeddedRuntime[] = [];

function runtime(): EmbeddedRuntime {
  const rt = openEmbeddedRuntime({ path: db.path, schema: schema as unknown as SchemaLike, modules, runCrons: false, runScheduler: false });
  open.push(rt);
  return rt;
}

beforeEach(() => {
  db = tempDb();
});

afterEach(async () => {
  for (const rt of open.splice(0)) await rt.close();
  db.cleanup();
});

describe("read caches across transactions", () => {
  it("a commit by another connection is seen at once, though the reader had the row cached", async () => {
    const a = runtime();
    const b = runtime();
    await a.mutation("kv:set", { name: "x", value: 1 });
    expect(await a.query("kv:get", { name: "x" })).toBe(1);
    expect(await a.query("kv:get", { name: "x" })).toBe(1);
    await b.mutation("kv:set", { name: "x", value: 2 });
    expect(await a.query("kv:get", { name: "x" })).toBe(2);
    expect(await a.mutation("kv:bump", { name: "x", fail: false })).toBe(3);
    expect(await b.query("kv:get", { name: "x" })).toBe(3);
  });

  it("a rolled-back write does not survive in the cache", async () => {
    const rt = runtime();
    await rt.mutation("kv:set", { name: "x", value: 10 });
    expect(await rt.query("kv:get", { name: "x" })).toBe(10);
    await expect(rt.mutation("kv:bump", { name: "x", fail: true })).rejects.toThrow("boom");
    expect(await rt.query("kv:get", { name: "x" })).toBe(10);
    expect(await rt.mutation("kv:bump", { name: "x", fail: false })).toBe(11);
    expect(await rt.query("kv:get", { name: "x" })).toBe(11);
  });

  it("an insert into a cached range and a patch that moves a document's key are seen", async () => {
    const rt = runtime();
    expect(await rt.query("kv:byValue", { value: 5 })).toEqual([]);
    await rt.mutation("kv:set", { name: "a", value: 5 });
    expect(await rt.query("kv:byValue", { value: 5 })).toEqual(["a"]);
    expect(await rt.query("kv:byValue", { value: 6 })).toEqual([]);
    await rt.mutation("kv:set", { name: "a", value: 6 });
    expect(await rt.query("kv:byValue", { value: 5 })).toEqual([]);
    expect(await rt.query("kv:byValue", { value: 6 })).toEqual(["a"]);
    await rt.mutation("kv:set", { name: "b", value: 6 });
    expect(await rt.query("kv:byValue", { value: 6 })).toEqual(["a", "b"]);
  });
});

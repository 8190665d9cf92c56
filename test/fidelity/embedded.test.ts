import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openEmbeddedRuntime } from "../../src/backend/embedded/runtime.js";
import { readSchema, type SchemaLike } from "../../src/backend/embedded/schema.js";
import { Store } from "../../src/backend/embedded/store.js";
import { hasValidChecksum } from "../../src/backend/embedded/ids.js";
import { convexJsonSize } from "../../src/backend/embedded/size.js";
import { convexToJson, getConvexSize, v, type Value } from "convex/values";
import { defineSchema, defineTable } from "convex/server";
import * as app from "./app.js";
import { defineFidelitySuite, type FidelityFactory } from "./suite.js";

const modules = { app: app as unknown as Record<string, unknown> };

/** Each backend gets its own state file in a fresh folder, removed on close (or when opening fails). */
const embeddedFactory: FidelityFactory = async (schema = app.schema) => {
  const dir = mkdtempSync(path.join(tmpdir(), "fidelity-"));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const rt = openEmbeddedRuntime({
      path: path.join(dir, "state.db"),
      schema: schema as unknown as SchemaLike,
      modules,
      runCrons: false,
      // Jobs run when a commit schedules them and on rt.tick(); the hour-long tick keeps timers out.
      tickMs: 3_600_000,
      enforceLimits: true,
    });
    return {
      query: (name, args) => rt.query(name, args, { allowInternal: true }),
      mutation: (name, args) => rt.mutation(name, args, { allowInternal: true }),
      runScheduledFunctions: async () => {
        await rt.tick();
      },
      close: async () => {
        await rt.close();
        cleanup();
      },
    };
  } catch (e) {
    cleanup();
    throw e;
  }
};

defineFidelitySuite("embedded", embeddedFactory);

describe("Convex fidelity: embedded only", () => {
  // State files written before ids carried a checksum hold ids without one; normalizeId must keep
  // accepting those that name a document, while an altered id (which names none) stays refused.
  it("db.normalizeId accepts an id minted before ids had a checksum when its document exists", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "fidelity-"));
    const file = path.join(dir, "state.db");
    try {
      const store = new Store(file, readSchema(app.schema as unknown as SchemaLike).specs);
      const fresh = store.newId("items", 1000);
      const legacy = fresh.slice(0, -1) + (fresh.endsWith("a") ? "b" : "a");
      store.transaction(() => store.put("items", { name: "old", n: 1, _id: legacy, _creationTime: 1000 }));
      store.close();
      const rt = openEmbeddedRuntime({ path: file, schema: app.schema as unknown as SchemaLike, modules, runCrons: false, runScheduler: false });
      try {
        expect(await rt.query("app:normalize", { table: "items", id: legacy })).toBe(legacy);
        const altered = [..."0123456789"].map((c) => legacy.slice(0, -1) + c).find((id) => id !== legacy && !hasValidChecksum(id));
        expect(await rt.query("app:normalize", { table: "items", id: altered })).toBeNull();
        expect(await rt.query("app:getItem", { id: legacy })).toMatchObject({ name: "old" });
      } finally {
        await rt.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Convex fidelity: embedded only, document sizes", () => {
  // The limits and getTransactionMetrics measure documents from their stored Convex-JSON text; the
  // result must be convex/values' getConvexSize of the value, as on Convex and in convex-test.
  const values: [label: string, value: Value][] = [
    ["scalars", { a: null, b: true, c: false, d: 1.5, e: -0, f: 123456789 }],
    ["special floats", { nan: NaN, inf: Infinity, negInf: -Infinity }],
    ["int64", { big: 123n, negative: -(2n ** 62n) }],
    ["bytes", { empty: new ArrayBuffer(0), five: new Uint8Array([1, 2, 3, 4, 5]).buffer }],
    ["strings with escapes and non-ASCII", { s: 'quote " backslash \\ newline \n tab \t', u: "é中😀", control: "\u0001" }],
    ["nested arrays and objects", { list: [[], [1, [2, { x: "y" }]], {}], obj: { inner: { deeper: [null] } } }],
  ];
  for (const [label, value] of values) {
    it(`measures ${label} as getConvexSize does`, () => {
      expect(convexJsonSize(JSON.stringify(convexToJson(value)))).toBe(getConvexSize(value));
    });
  }
});

describe("Convex fidelity: embedded only, limits left to the caller", () => {
  // enforceLimits is off by default (see EmbeddedRuntimeOptions.enforceLimits): usage is still measured.
  it("without enforceLimits, a document over the limits is stored and usage is still reported", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "fidelity-"));
    const rt = openEmbeddedRuntime({ path: path.join(dir, "state.db"), schema: app.schema as unknown as SchemaLike, modules, runCrons: false, runScheduler: false });
    try {
      await expect(rt.mutation("app:addBlob", { shape: "array", size: 8193 }, { allowInternal: true })).resolves.toEqual(expect.any(String));
      const doomed = await rt.mutation("app:addItem", { name: "d", n: 1 }, { allowInternal: true });
      const { metrics } = (await rt.mutation("app:writeAndMeasure", { doomed }, { allowInternal: true })) as { metrics: { documentsWritten: { used: number } } };
      expect(metrics.documentsWritten.used).toBe(3);
    } finally {
      await rt.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Convex fidelity: embedded only, features it does not have", () => {
  // Unsupported features fail with an error naming them (the README lists them), never silently.
  it("log.audit and ctx.meta.getDeploymentMetadata() fail naming the feature", async () => {
    const backend = await embeddedFactory();
    try {
      await expect(backend.mutation("app:auditSomething", {})).rejects.toThrow(
        "Audit logging (log.audit, 1.0/auditLog) is not supported by the embedded Convex runtime",
      );
      await expect(backend.query("app:deploymentMetadata", {})).rejects.toThrow(
        "ctx.meta.getDeploymentMetadata() (1.0/getDeploymentMetadata) is not supported by the embedded Convex runtime",
      );
    } finally {
      await backend.close();
    }
  });
});

describe("Convex fidelity: embedded only, tables with search indexes", () => {
  const searchSchema = defineSchema({
    items: defineTable({ name: v.string(), n: v.number() }).index("by_name", ["name"]).index("by_name_n", ["name", "n"]).searchIndex("search_name", { searchField: "name" }),
    tags: defineTable({ label: v.string() }),
    blobs: defineTable({ value: v.any() }),
  });

  // Only search itself is missing: the warning must not say the table's other queries fail.
  it("warns that withSearchIndex is unsupported, and every other query on the table works", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "fidelity-"));
    const lines: string[] = [];
    const rt = openEmbeddedRuntime({
      path: path.join(dir, "state.db"),
      schema: searchSchema as unknown as SchemaLike,
      modules,
      runCrons: false,
      runScheduler: false,
      log: (line) => lines.push(line),
    });
    try {
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("withSearchIndex");
      expect(lines[0]).toContain("items");
      expect(lines[0]).not.toContain("will fail:");
      await rt.mutation("app:addItem", { name: "a", n: 1 }, { allowInternal: true });
      expect(await rt.query("app:countItems", {}, { allowInternal: true })).toBe(1);
      await expect(rt.query("app:searchItems", { text: "a" }, { allowInternal: true })).rejects.toThrow(
        "Search indexes (withSearchIndex) is not supported by the embedded Convex runtime",
      );
    } finally {
      await rt.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defineSchema, defineTable, type SchemaDefinition } from "convex/server";
import { getConvexSize, v, type Value } from "convex/values";

/** One backend running test/fidelity/app.ts; names are "app:<export>". */
export interface FidelityBackend {
  // Results are checked by each test, against values of several shapes.
  query(name: string, args?: Record<string, unknown>): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- as above
  mutation(name: string, args?: Record<string, unknown>): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- as above
  /** Runs the scheduled functions that are due, and waits for them. */
  runScheduledFunctions(): Promise<void>;
  close(): Promise<void>;
}

// Any schema: the bad-name tests build their own.
export type AnySchema = SchemaDefinition<any, boolean>; // eslint-disable-line @typescript-eslint/no-explicit-any -- schemas of every shape

/** A fresh, empty backend for `schema` (the app's schema when omitted). */
export type FidelityFactory = (schema?: AnySchema) => Promise<FidelityBackend>;

/** Opens a backend on `schema` and makes one call: backends may load the schema lazily. */
async function openAndCall(factory: FidelityFactory, schema: AnySchema): Promise<void> {
  const backend = await factory(schema);
  try {
    await backend.query("app:ping", {});
  } finally {
    await backend.close();
  }
}

/** The metric names of Convex's TransactionMetrics, sorted. */
const METRIC_NAMES = [
  "bytesRead",
  "bytesWritten",
  "databaseQueries",
  "documentsRead",
  "documentsWritten",
  "fileReadBytes",
  "fileWriteBytes",
  "filesRead",
  "filesWritten",
  "functionsScheduled",
  "scheduledFunctionArgsBytes",
];

/** Inserts `count` items named `name`; returns their ids. */
async function seedItems(backend: FidelityBackend, name: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) ids.push(await backend.mutation("app:addItem", { name, n }));
  return ids;
}

/** The same id with its last character changed (to another character of Convex's id alphabet). */
function alterLastCharacter(id: string): string {
  return id.slice(0, -1) + (id.endsWith("a") ? "b" : "a");
}

/**
 * Places where convex-test does not do what Convex documents; a backend that shares the gap names it
 * and the test asserting Convex's behaviour is skipped for it (with the reason at the test).
 */
export type ReferenceGap =
  | "insertSystemFieldWithoutSchemaValidation"
  /** convex-test enforces none of Convex's document limits (size, nesting, array length, field count). */
  | "documentLimits"
  /** convex-test counts only the documents a query's filters keep; Convex counts every document scanned. */
  | "filteredDocumentsUncounted"
  /** convex-test shows a running scheduled mutation as "inProgress", which Convex says a mutation never shows. */
  | "scheduledMutationInProgress"
  /** convex-test sets completedTime only on failed jobs. */
  | "completedTimeOnSuccess";

/** The app's tables with document validation off (`defineSchema(..., { schemaValidation: false })`). */
const unvalidatedSchema = defineSchema(
  {
    items: defineTable({ name: v.string(), n: v.number() }).index("by_name", ["name"]).index("by_name_n", ["name", "n"]),
    tags: defineTable({ label: v.string() }),
    blobs: defineTable({ value: v.any() }),
  },
  { schemaValidation: false },
);

/**
 * Behaviours where a Convex runtime must refuse, or answer, exactly as Convex does. Each `it` is one
 * behaviour; the messages are the reference's (convex-test's, which follow Convex's own).
 */
export function defineFidelitySuite(name: string, factory: FidelityFactory, gaps: ReferenceGap[] = []): void {
  describe(`Convex fidelity: ${name}`, () => {
    describe("schema names", () => {
      const refuses = (schema: AnySchema, message: string) => expect(openAndCall(factory, schema)).rejects.toThrow(message);

      it("refuses a table name that is not an identifier", async () => {
        await refuses(defineSchema({ "a-b": defineTable({ x: v.string() }) }), 'Table names must be valid identifiers, got "a-b"');
      });

      it("refuses a table name starting with an underscore (reserved for system tables)", async () => {
        await refuses(defineSchema({ _a: defineTable({ x: v.string() }) }), 'Table names must be valid identifiers, got "_a"');
      });

      it("refuses a field name that is not an identifier", async () => {
        await refuses(defineSchema({ t: defineTable({ "a-b": v.string() }) }), 'Field names must be valid identifiers, got "a-b"');
      });

      it("refuses a field name starting with an underscore (reserved for system fields)", async () => {
        await refuses(defineSchema({ t: defineTable({ _a: v.string() }) }), 'Field names must be valid identifiers, got "_a"');
      });

      it("refuses a field name in a union table's member", async () => {
        const table = defineTable(v.union(v.object({ kind: v.literal("a") }), v.object({ kind: v.literal("b"), "b-c": v.number() })));
        await refuses(defineSchema({ t: table }), 'Field names must be valid identifiers, got "b-c"');
      });

      it("refuses an index name that is not an identifier", async () => {
        await refuses(defineSchema({ t: defineTable({ x: v.string() }).index("a-b", ["x"]) }), 'Index names must be valid identifiers, got "a-b"');
      });

      it("accepts identifiers with digits and underscores after the first letter", async () => {
        await expect(openAndCall(factory, defineSchema({ t_1: defineTable({ a_2: v.string() }).index("by_a_2", ["a_2"]) }))).resolves.toBeUndefined();
      });
    });

    describe("with the app", () => {
      let backend: FidelityBackend;
      beforeEach(async () => {
        backend = await factory();
      });
      afterEach(async () => {
        await backend.close();
      });

      describe("system fields", () => {
        // Convex refuses both; convex-test does because the schema's validator has no such field,
        // so the assertion is on the field named in both messages.
        it("db.insert refuses a value carrying _id", async () => {
          const other = await backend.mutation("app:addItem", { name: "a", n: 1 });
          await expect(backend.mutation("app:insertWithSystemField", { field: "_id", value: other })).rejects.toThrow("field `_id`");
        });

        it("db.insert refuses a value carrying _creationTime", async () => {
          await expect(backend.mutation("app:insertWithSystemField", { field: "_creationTime", value: 123 })).rejects.toThrow("field `_creationTime`");
          expect(await backend.query("app:rangeChain", { chain: "gtThenLt" })).toEqual([]);
        });

        // Convex refuses system fields in an insert whatever the schema says. convex-test only refuses
        // them through the schema's validator: with validation off it stores the document and
        // silently replaces the given `_id` and `_creationTime` with its own.
        it.skipIf(gaps.includes("insertSystemFieldWithoutSchemaValidation"))("db.insert refuses system fields even with schema validation off", async () => {
          const unvalidated = await factory(unvalidatedSchema);
          try {
            await expect(unvalidated.mutation("app:insertWithSystemField", { field: "_creationTime", value: 123 })).rejects.toThrow("field `_creationTime`");
          } finally {
            await unvalidated.close();
          }
        });

        for (const verb of ["patch", "replace"] as const) {
          it(`db.${verb} refuses an _id that differs from the document's`, async () => {
            const id = await backend.mutation("app:addItem", { name: "a", n: 1 });
            const other = await backend.mutation("app:addItem", { name: "b", n: 2 });
            await expect(backend.mutation("app:writeSystemField", { id, verb, field: "_id", value: other })).rejects.toThrow(
              `Provided \`_id\` field value "${other}" does not match the document ID "${id}"`,
            );
          });

          it(`db.${verb} refuses a _creationTime that differs from the document's`, async () => {
            const id = await backend.mutation("app:addItem", { name: "a", n: 1 });
            const { _creationTime } = await backend.query("app:getItem", { id });
            await expect(backend.mutation("app:writeSystemField", { id, verb, field: "_creationTime", value: 12345 })).rejects.toThrow(
              `Provided \`_creationTime\` field value 12345 does not match the document's creation time ${_creationTime}`,
            );
          });

          it(`db.${verb} accepts the document's own _id and _creationTime`, async () => {
            const id = await backend.mutation("app:addItem", { name: "a", n: 1 });
            const before = await backend.query("app:getItem", { id });
            await backend.mutation("app:writeSystemField", { id, verb, field: "_id" });
            const after = await backend.mutation("app:writeSystemField", { id, verb, field: "_creationTime" });
            expect(after).toEqual({ ...before, n: 3 });
          });
        }
      });

      describe("ids", () => {
        it("db.get(table, id) refuses an id of another table", async () => {
          const tag = await backend.mutation("app:addTag", { label: "t" });
          await expect(backend.query("app:getIn", { table: "items", id: tag })).rejects.toThrow(
            "Invalid argument `id`, expected ID in table 'items' but got ID in table 'tags'",
          );
        });

        it("db.patch(table, id, value) refuses an id of another table", async () => {
          const tag = await backend.mutation("app:addTag", { label: "t" });
          await expect(backend.mutation("app:patchIn", { table: "items", id: tag })).rejects.toThrow(
            "Invalid argument `id`, expected ID in table 'items' but got ID in table 'tags'",
          );
        });

        it("db.normalizeId returns null for an id of another table", async () => {
          const tag = await backend.mutation("app:addTag", { label: "t" });
          expect(await backend.query("app:normalize", { table: "tags", id: tag })).toBe(tag);
          expect(await backend.query("app:normalize", { table: "items", id: tag })).toBeNull();
        });

        it("db.normalizeId returns null for an id whose last character was altered", async () => {
          const id = await backend.mutation("app:addItem", { name: "a", n: 1 });
          expect(await backend.query("app:normalize", { table: "items", id })).toBe(id);
          expect(await backend.query("app:normalize", { table: "items", id: alterLastCharacter(id) })).toBeNull();
        });
      });

      describe("index range chains", () => {
        beforeEach(async () => {
          for (const [name, n] of [["b", 1], ["k", 2], ["x", 3]] as const) await backend.mutation("app:addItem", { name, n });
        });

        it("a lower and an upper bound on the same field select the range, in either order", async () => {
          expect(await backend.query("app:rangeChain", { chain: "gtThenLt" })).toEqual(["b", "k"]);
          expect(await backend.query("app:rangeChain", { chain: "ltThenGt" })).toEqual(["b", "k"]);
        });

        const refused: [chain: string, message: string][] = [
          ["twoLowerBounds", "Incorrect operator used in `withIndex`, cannot chain `.gt()` after `.gt()`"],
          ["twoUpperBounds", "Incorrect operator used in `withIndex`, cannot chain `.lt()` after `.lt()`"],
          ["boundsOnDifferentFields", 'Incorrect field used in `withIndex`, `.gt` and `.lt` must operate on the same field, expected "name", got "n"'],
          ["boundAfterRange", "Incorrect operator used in `withIndex`, cannot chain `.gt()` after `.gt()`"],
          ["eqAfterRange", "Incorrect operator used in `withIndex`, cannot chain `.eq()` after `.gt()`"],
          [
            "moreAfterBothBounds",
            "Incorrect operator used in `withIndex`, cannot chain more operators after both `.gt` and `.lt` were already used, got `.lt(n, 1)`.",
          ],
          ["skipsFirstField", 'Incorrect field used in `withIndex`, expected "name", got "n"'],
        ];
        for (const [chain, message] of refused) {
          it(`refuses the chain ${chain}`, async () => {
            await expect(backend.query("app:rangeChain", { chain })).rejects.toThrow(message);
          });
        }
      });

      describe("transaction limits", () => {
        const LIMIT_PAGE = "This is a Convex limit: https://docs.convex.dev/production/state/limits";
        // Seeding tens of thousands of documents takes a few seconds on either backend.
        const SLOW = 60_000;

        it(
          "a query scanning more than 32,000 documents fails",
          async () => {
            for (let i = 0; i < 3; i++) await backend.mutation("app:addItems", { name: `s${i}`, count: 10_667 });
            await expect(backend.query("app:countItems", {})).rejects.toThrow(
              `Scanned too many documents in a single function execution (limit: 32000). ${LIMIT_PAGE}`,
            );
          },
          SLOW,
        );

        it(
          "a mutation writing more than 16,000 documents fails and writes none of them",
          async () => {
            await expect(backend.mutation("app:addItems", { name: "w", count: 16_001 })).rejects.toThrow(
              `Wrote too many documents in a single function execution (limit: 16000). ${LIMIT_PAGE}`,
            );
            expect(await backend.query("app:countItems", {})).toBe(0);
          },
          SLOW,
        );

        it("a mutation writing more than 16 MiB fails", async () => {
          await expect(backend.mutation("app:addBlobs", { count: 17, bytes: 1_000_000 })).rejects.toThrow(
            `Wrote too much data in a single function execution (limit: 16777216 bytes). ${LIMIT_PAGE}`,
          );
          expect(await backend.query("app:countBlobs", {})).toBe(0);
        });

        it("a query reading more than 16 MiB fails", async () => {
          for (const count of [8, 8, 1]) await backend.mutation("app:addBlobs", { count, bytes: 1_000_000 });
          await expect(backend.query("app:countBlobs", {})).rejects.toThrow(
            `Read too much data in a single function execution (limit: 16777216 bytes). ${LIMIT_PAGE}`,
          );
        });

        it("a nested call's transactionLimits lower its own budget", async () => {
          await backend.mutation("app:addItems", { name: "a", count: 3 });
          expect(await backend.query("app:countItemsWithBudget", { documentsRead: 3 })).toBe(3);
          expect(await backend.query("app:countItemsWithBudget", { documentsRead: 2 })).toContain(
            "Scanned too many documents in a single function execution (limit: 2).",
          );
        });
      });

      describe("transaction metrics", () => {
        const remainingOf = (metric: { used: number; remaining: number }, limit: number) => expect(metric.remaining).toBe(limit - metric.used);

        it("getTransactionMetrics reports a query's index ranges, documents and bytes read", async () => {
          const [first] = await seedItems(backend, "m", 3);
          const { doc, kept, metrics } = await backend.query("app:readAndMeasure", { id: first, name: "m" });
          expect(kept).toBe(0);
          expect(metrics.databaseQueries.used).toBe(2);
          remainingOf(metrics.databaseQueries, 4096);
          expect(metrics.documentsRead.used).toBeGreaterThanOrEqual(1);
          remainingOf(metrics.documentsRead, 32_000);
          expect(metrics.bytesRead.used).toBe(metrics.documentsRead.used * getConvexSize(doc as Value));
          remainingOf(metrics.bytesRead, 16 * 2 ** 20);
          expect(metrics.documentsWritten).toEqual({ used: 0, remaining: 16_000 });
          expect(Object.keys(metrics).sort()).toEqual(METRIC_NAMES);
        });

        // The Limits page: "documents scanned ... includes documents filtered out by .filter".
        it.skipIf(gaps.includes("filteredDocumentsUncounted"))("documents a filter drops still count as read", async () => {
          const [first] = await seedItems(backend, "m", 3);
          const { metrics } = await backend.query("app:readAndMeasure", { id: first, name: "m" });
          expect(metrics.documentsRead.used).toBe(4);
        });

        it("getTransactionMetrics reports a mutation's documents and bytes written", async () => {
          const [doomed] = await seedItems(backend, "d", 1);
          const { doc, metrics } = await backend.mutation("app:writeAndMeasure", { doomed });
          expect(metrics.documentsWritten.used).toBe(3);
          expect(metrics.bytesWritten.used).toBe(2 * getConvexSize(doc as Value));
          remainingOf(metrics.bytesWritten, 16 * 2 ** 20);
          expect(metrics.documentsRead.used).toBe(3);
          expect(metrics.functionsScheduled).toEqual({ used: 0, remaining: 1000 });
        });
      });

      // The Limits page's "Documents" table: 1 MiB, 1024 fields, nesting depth 16, 8192 array elements.
      describe.skipIf(gaps.includes("documentLimits"))("document limits", () => {
        const refused: [shape: string, size: number, message: string | RegExp][] = [
          ["string", 1 << 20, /Value is too large \(1(\.\d+)? MiB > maximum size 1 MiB\)/],
          ["array", 8193, "Array length is too long (8193 > maximum length 8192)"],
          ["object", 1025, "Object has too many fields (1025 > maximum number 1024)"],
          // The document is one level: a field holding 16 nested arrays makes 17.
          ["nested", 16, "Document is too nested (nested 17 levels deep > maximum nesting 16)"],
        ];
        const accepted: [shape: string, size: number][] = [
          ["string", 1_000_000],
          ["array", 8192],
          ["object", 1024],
          ["nested", 15],
        ];
        for (const [shape, size, message] of refused) {
          it(`db.insert and db.patch refuse a ${shape} of ${size}`, async () => {
            await expect(backend.mutation("app:addBlob", { shape, size })).rejects.toThrow(message);
            const id = await backend.mutation("app:addBlob", { shape: "string", size: 1 });
            await expect(backend.mutation("app:patchBlob", { id, shape, size })).rejects.toThrow(message);
          });
        }
        for (const [shape, size] of accepted) {
          it(`db.insert accepts a ${shape} of ${size}`, async () => {
            await expect(backend.mutation("app:addBlob", { shape, size })).resolves.toEqual(expect.any(String));
          });
        }
      });

      describe("pagination", () => {
        const ALL = 10;
        beforeEach(async () => {
          await backend.mutation("app:addItems", { name: "p", count: ALL });
        });
        const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

        it("a page that reaches maximumRowsRead is SplitRequired, and its splitCursor splits it in two", async () => {
          const first = await backend.query("app:pageOfItems", { cursor: null, numItems: 100, maximumRowsRead: 4 });
          expect(first).toMatchObject({ ns: range(0, 4), isDone: false, pageStatus: "SplitRequired" });
          expect(first.splitCursor).toEqual(expect.any(String));
          const before = await backend.query("app:pageOfItems", { cursor: null, endCursor: first.splitCursor, numItems: 100 });
          const after = await backend.query("app:pageOfItems", { cursor: first.splitCursor, endCursor: first.continueCursor, numItems: 100 });
          expect(before.ns.length).toBeGreaterThan(0);
          expect(after.ns.length).toBeGreaterThan(0);
          expect([...before.ns, ...after.ns]).toEqual(range(0, 4));
          const rest = await backend.query("app:pageOfItems", { cursor: first.continueCursor, numItems: 100 });
          expect(rest).toMatchObject({ ns: range(4, ALL), isDone: true });
        });

        it("a page that reaches maximumBytesRead is SplitRequired", async () => {
          const [id] = await seedItems(backend, "q", 1);
          const size = getConvexSize((await backend.query("app:getItem", { id })) as Value);
          const first = await backend.query("app:pageOfItems", { cursor: null, numItems: 100, maximumBytesRead: Math.floor(2.5 * size) });
          expect(first).toMatchObject({ ns: range(0, 3), isDone: false, pageStatus: "SplitRequired", splitCursor: expect.any(String) });
        });

        it("a page within its budgets is not split", async () => {
          const first = await backend.query("app:pageOfItems", { cursor: null, numItems: 3, maximumRowsRead: 100 });
          expect(first).toMatchObject({ ns: range(0, 3), isDone: false, pageStatus: null, splitCursor: null });
        });

        const onePaginate = "Only a single paginated query (`.paginate()`) is allowed per query, including nested query calls and component calls.";

        it("a query may call .paginate() only once", async () => {
          await expect(backend.query("app:twoPages", {})).rejects.toThrow(onePaginate);
        });

        it("a nested query's .paginate() counts as its caller's", async () => {
          await expect(backend.query("app:pageThenNestedPage", {})).rejects.toThrow(onePaginate);
        });

        it("a mutation may call .paginate() more than once", async () => {
          expect(await backend.mutation("app:twoPagesInMutation", {})).toBe(2);
        });
      });

      describe("system tables and built-in indexes", () => {
        it("db.system.query reads _scheduled_functions, through by_creation_time and by_id", async () => {
          const first = await backend.mutation("app:scheduleRecorder", {});
          const second = await backend.mutation("app:scheduleRecorder", {});
          const jobs = await backend.query("app:scheduledJobs", {});
          expect(jobs.map((j: { _id: string }) => j._id)).toEqual([second, first]);
          expect(jobs[0]).toMatchObject({ name: "app:recordOwnJobState", state: { kind: expect.any(String) } });
          expect(await backend.query("app:scheduledJobById", { id: first })).toBe("app:recordOwnJobState");
        });

        it("withIndex(\"by_id\") and withIndex(\"by_creation_time\") work on any table", async () => {
          const [a, b] = await seedItems(backend, "i", 2);
          await backend.mutation("app:addItem", { name: "j", n: 0 });
          expect(await backend.query("app:itemNameById", { id: b })).toBe("i");
          const { _creationTime } = await backend.query("app:getItem", { id: a });
          const after = await backend.query("app:itemsCreatedAfter", { after: _creationTime });
          expect(after).toEqual(["j", "i"]);
          const ids = await backend.query("app:itemIdsInIdOrder", {});
          expect(ids).toHaveLength(3);
          expect(ids).toEqual([...ids].sort());
        });

        // Convex (ctx.scheduler.cancel's documentation): a scheduled mutation shows "pending", then done or
        // failed, "but never inProgress".
        it.skipIf(gaps.includes("scheduledMutationInProgress"))("a scheduled mutation never shows inProgress, even to itself", async () => {
          await backend.mutation("app:scheduleRecorder", {});
          await backend.runScheduledFunctions();
          const labels = await backend.query("app:tagLabels", {});
          expect(labels).toHaveLength(1);
          expect(labels[0]).not.toBe("inProgress");
        });

        it("a scheduled mutation that ran shows success", async () => {
          await backend.mutation("app:scheduleRecorder", {});
          await backend.runScheduledFunctions();
          const [job] = await backend.query("app:scheduledJobs", {});
          expect(job.state).toEqual({ kind: "success" });
        });

        it.skipIf(gaps.includes("completedTimeOnSuccess"))("a scheduled mutation that ran has a completedTime", async () => {
          await backend.mutation("app:scheduleRecorder", {});
          await backend.runScheduledFunctions();
          const [job] = await backend.query("app:scheduledJobs", {});
          expect(job.completedTime).toEqual(expect.any(Number));
        });
      });

      describe("snapshot queries", () => {
        it("a stale-snapshot ctx.runQuery inside a mutation does not see the mutation's pending writes", async () => {
          await seedItems(backend, "committed", 2);
          expect(await backend.mutation("app:insertThenCount", {})).toEqual({ direct: 3, nested: 3, snapshot: 2 });
          expect(await backend.query("app:countItemsQuery", {})).toBe(3);
        });
      });

      describe("a failed nested mutation", () => {
        it("is rolled back, and its caller, which writes nothing itself, still commits", async () => {
          expect(await backend.mutation("app:catchNestedFailure", { around: false })).toEqual({ failed: true, items: [] });
          expect(await backend.query("app:countItemsQuery", {})).toBe(0);
        });

        it("leaves its caller's documents before and after it with distinct, increasing creation times", async () => {
          await seedItems(backend, "committed", 1);
          const { failed, items } = await backend.mutation("app:catchNestedFailure", { around: true });
          expect(failed).toBe(true);
          expect(items.map((i: { name: string }) => i.name)).toEqual(["committed", "before", "after"]);
          const times = items.map((i: { creationTime: number }) => i.creationTime);
          expect(times[1]).toBeGreaterThan(times[0]);
          expect(times[2]).toBeGreaterThan(times[1]);
          expect(await backend.query("app:countItemsQuery", {})).toBe(3);
        });
      });

      describe("function metadata", () => {
        it("getFunctionMetadata names the nested function inside ctx.runQuery, and the caller after it", async () => {
          expect(await backend.query("app:metadataOuter", {})).toEqual({ inner: "app:metadataInner", outer: "app:metadataOuter" });
        });
      });

      describe("validation errors", () => {
        it("a query's failed return validation says which query and what was expected", async () => {
          await expect(backend.query("app:badReturn", {})).rejects.toThrow(
            'Return value validation failed for query "app:badReturn":\nValidator error: Expected `number`, got `not a number`',
          );
        });

        it("an id argument of another table is refused by the argument validator", async () => {
          const tag = await backend.mutation("app:addTag", { label: "t" });
          await expect(backend.query("app:itemName", { id: tag })).rejects.toThrow(`Validator error: Expected ID for table "items", got \`${tag}\``);
        });
      });
    });
  });
}

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defineSchema, defineTable, type SchemaDefinition } from "convex/server";
import { v } from "convex/values";

/** One backend running test/fidelity/app.ts; names are "app:<export>". */
export interface FidelityBackend {
  // Results are checked by each test, against values of several shapes.
  query(name: string, args?: Record<string, unknown>): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- as above
  mutation(name: string, args?: Record<string, unknown>): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- as above
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

/** The same id with its last character changed (to another character of Convex's id alphabet). */
function alterLastCharacter(id: string): string {
  return id.slice(0, -1) + (id.endsWith("a") ? "b" : "a");
}

/**
 * Places where convex-test does not do what Convex documents; a backend that shares the gap names it
 * and the test asserting Convex's behaviour is skipped for it (with the reason at the test).
 */
export type ReferenceGap = "insertSystemFieldWithoutSchemaValidation";

/** The app's tables with document validation off (`defineSchema(..., { schemaValidation: false })`). */
const unvalidatedSchema = defineSchema(
  {
    items: defineTable({ name: v.string(), n: v.number() }).index("by_name", ["name"]).index("by_name_n", ["name", "n"]),
    tags: defineTable({ label: v.string() }),
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

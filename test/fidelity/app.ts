import { defineSchema, defineTable, log, makeFunctionReference, mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";

/**
 * A small app whose functions poke at the places where a Convex runtime must refuse something.
 * The fidelity suite runs it on the embedded runtime and on convex-test. Several functions build
 * calls Convex's types forbid (a bad range chain, a system field in an insert): those go through
 * casts, since the point is what the runtime does when the types are bypassed.
 */
export const schema = defineSchema({
  items: defineTable({ name: v.string(), n: v.number() }).index("by_name", ["name"]).index("by_name_n", ["name", "n"]),
  tags: defineTable({ label: v.string() }),
  blobs: defineTable({ value: v.any() }),
});

const systemField = v.union(v.literal("_id"), v.literal("_creationTime"));

export const addItem = mutationGeneric({
  args: { name: v.string(), n: v.number() },
  returns: v.id("items"),
  handler: async (ctx, args) => ctx.db.insert("items", args),
});

export const addTag = mutationGeneric({
  args: { label: v.string() },
  returns: v.id("tags"),
  handler: async (ctx, args) => ctx.db.insert("tags", args),
});

export const getItem = queryGeneric({
  args: { id: v.id("items") },
  handler: async (ctx, { id }) => ctx.db.get(id),
});

/** Inserts an item carrying a system field with `value`. */
export const insertWithSystemField = mutationGeneric({
  args: { field: systemField, value: v.any() },
  handler: async (ctx, { field, value }) => ctx.db.insert("items", { name: "x", n: 1, [field]: value } as never),
});

/**
 * Patches or replaces `id` with a value carrying a system field: `value` when given, else the
 * document's own value of that field (which Convex accepts). Returns the document afterwards.
 */
export const writeSystemField = mutationGeneric({
  args: { id: v.id("items"), verb: v.union(v.literal("patch"), v.literal("replace")), field: systemField, value: v.optional(v.any()) },
  handler: async (ctx, { id, verb, field, value }) => {
    const doc = await ctx.db.get(id);
    if (doc === null) throw new Error(`no item ${id}`);
    const systemValue = value === undefined ? doc[field] : value;
    if (verb === "patch") await ctx.db.patch(id, { n: doc.n + 1, [field]: systemValue } as never);
    else await ctx.db.replace(id, { name: doc.name, n: doc.n + 1, [field]: systemValue } as never);
    return ctx.db.get(id);
  },
});

/** db.get(table, id) with the table named explicitly (the id may be of another table). */
export const getIn = queryGeneric({
  args: { table: v.string(), id: v.string() },
  handler: async (ctx, { table, id }) => ctx.db.get(table as never, id as never),
});

/** db.patch(table, id, ...) with the table named explicitly. */
export const patchIn = mutationGeneric({
  args: { table: v.string(), id: v.string() },
  handler: async (ctx, { table, id }) => {
    await ctx.db.patch(table as never, id as never, {} as never);
    return null;
  },
});

export const normalize = queryGeneric({
  args: { table: v.string(), id: v.string() },
  handler: async (ctx, { table, id }) => ctx.db.normalizeId(table, id),
});

/** The index range builder as the query callback sees it, without the types that forbid bad chains. */
interface LooseRange {
  eq(field: string, value: unknown): LooseRange;
  gt(field: string, value: unknown): LooseRange;
  lt(field: string, value: unknown): LooseRange;
}

/** Named `withIndex("by_name_n", ...)` chains; all but "gtThenLt" and "ltThenGt" are ones Convex refuses. */
const chains: Record<string, (q: LooseRange) => LooseRange> = {
  gtThenLt: (q) => q.gt("name", "a").lt("name", "m"),
  ltThenGt: (q) => q.lt("name", "m").gt("name", "a"),
  twoLowerBounds: (q) => q.gt("name", "a").gt("name", "b"),
  twoUpperBounds: (q) => q.lt("name", "m").lt("name", "z"),
  boundsOnDifferentFields: (q) => q.gt("name", "a").lt("n", 5),
  boundAfterRange: (q) => q.gt("name", "a").gt("n", 1),
  eqAfterRange: (q) => q.gt("name", "a").eq("n", 1),
  moreAfterBothBounds: (q) => q.gt("name", "a").lt("name", "m").lt("n", 1),
  skipsFirstField: (q) => q.eq("n", 1),
};

export const rangeChain = queryGeneric({
  args: { chain: v.string() },
  handler: async (ctx, { chain }) => {
    const docs = await ctx.db
      .query("items")
      .withIndex("by_name_n", (q) => chains[chain](q as unknown as LooseRange) as never)
      .collect();
    return docs.map((d) => d.name);
  },
});

export const badReturn = queryGeneric({
  args: {},
  returns: v.number(),
  handler: async () => "not a number" as unknown as number,
});

export const itemName = queryGeneric({
  args: { id: v.id("items") },
  handler: async (ctx, { id }) => (await ctx.db.get(id))?.name ?? null,
});

/** Touches no table: the first call that makes a backend load its schema. */
export const ping = queryGeneric({ args: {}, handler: async () => "pong" });

/** Inserts `count` items named `name` (n = 0, 1, ...) in one transaction. */
export const addItems = mutationGeneric({
  args: { name: v.string(), count: v.number() },
  handler: async (ctx, { name, count }) => {
    for (let n = 0; n < count; n++) await ctx.db.insert("items", { name, n });
    return null;
  },
});

export const countItems = queryGeneric({ args: {}, handler: async (ctx) => (await ctx.db.query("items").collect()).length });

/** A string of `bytes` ASCII characters (Convex's size: bytes + 2). */
const text = (bytes: number) => "x".repeat(bytes);

/**
 * Stores one value of the named shape, built inside the mutation (as an argument Convex would refuse
 * some of them before the function runs): `size` is its length, depth or byte count.
 */
const shapes: Record<string, (size: number) => unknown> = {
  string: (size) => text(size),
  array: (size) => Array.from({ length: size }, () => 0),
  object: (size) => Object.fromEntries(Array.from({ length: size }, (_, i) => [`f${i}`, 0])),
  nested: (depth) => Array.from({ length: depth }).reduce<unknown>((inner) => [inner], 0),
};

export const addBlob = mutationGeneric({
  args: { shape: v.string(), size: v.number() },
  handler: async (ctx, { shape, size }) => ctx.db.insert("blobs", { value: shapes[shape](size) }),
});

/** Patches blob `id` to a value of the named shape. */
export const patchBlob = mutationGeneric({
  args: { id: v.id("blobs"), shape: v.string(), size: v.number() },
  handler: async (ctx, { id, shape, size }) => {
    await ctx.db.patch(id, { value: shapes[shape](size) });
    return null;
  },
});

/** Inserts `count` blobs of `bytes` characters each in one transaction. */
export const addBlobs = mutationGeneric({
  args: { count: v.number(), bytes: v.number() },
  handler: async (ctx, { count, bytes }) => {
    for (let i = 0; i < count; i++) await ctx.db.insert("blobs", { value: text(bytes) });
    return null;
  },
});

export const countBlobs = queryGeneric({ args: {}, handler: async (ctx) => (await ctx.db.query("blobs").collect()).length });

/** Reads `id` and then scans the items named `name` through a filter that keeps none; returns the metrics. */
export const readAndMeasure = queryGeneric({
  args: { id: v.id("items"), name: v.string() },
  handler: async (ctx, { id, name }) => {
    const doc = await ctx.db.get(id);
    const kept = await ctx.db
      .query("items")
      .filter((q) => q.eq(q.field("name"), name))
      .filter((q) => q.eq(q.field("n"), -1))
      .collect();
    return { doc, kept: kept.length, metrics: await ctx.meta.getTransactionMetrics() };
  },
});

/** Inserts an item, patches it, deletes another, and schedules nothing; returns the metrics. */
export const writeAndMeasure = mutationGeneric({
  args: { doomed: v.id("items") },
  handler: async (ctx, { doomed }) => {
    const id = await ctx.db.insert("items", { name: "w", n: 1 });
    await ctx.db.patch(id, { n: 2 });
    await ctx.db.delete(doomed);
    return { doc: await ctx.db.get(id), metrics: await ctx.meta.getTransactionMetrics() };
  },
});

/** Runs countItems nested with a documentsRead budget; returns the count or the error's message. */
export const countItemsWithBudget = queryGeneric({
  args: { documentsRead: v.number() },
  handler: async (ctx, { documentsRead }) => {
    const countItemsRef = makeFunctionReference<"query", Record<string, never>, number>("app:countItems");
    try {
      return await ctx.runQuery(countItemsRef, {}, { transactionLimits: { documentsRead } } as never);
    } catch (e) {
      return (e as Error).message;
    }
  },
});

const pageArgs = {
  cursor: v.union(v.string(), v.null()),
  endCursor: v.optional(v.string()),
  numItems: v.number(),
  maximumRowsRead: v.optional(v.number()),
  maximumBytesRead: v.optional(v.number()),
};

/** One page of items in creation order, with the items' `n` in place of the documents. */
export const pageOfItems = queryGeneric({
  args: pageArgs,
  handler: async (ctx, opts) => {
    const { page, ...rest } = await ctx.db.query("items").paginate(opts);
    return { ns: page.map((d) => d.n), ...rest };
  },
});

const firstPage = { cursor: null, numItems: 2 };

export const twoPages = queryGeneric({
  args: {},
  handler: async (ctx) => {
    await ctx.db.query("items").paginate(firstPage);
    await ctx.db.query("tags").paginate(firstPage);
    return null;
  },
});

/** Paginates, then runs a query that paginates too. */
export const pageThenNestedPage = queryGeneric({
  args: {},
  handler: async (ctx) => {
    await ctx.db.query("tags").paginate(firstPage);
    const pageOfItemsRef = makeFunctionReference<"query", typeof firstPage, unknown>("app:pageOfItems");
    return ctx.runQuery(pageOfItemsRef, firstPage);
  },
});

export const twoPagesInMutation = mutationGeneric({
  args: {},
  handler: async (ctx) => {
    const items = await ctx.db.query("items").paginate(firstPage);
    const tags = await ctx.db.query("tags").paginate(firstPage);
    return items.page.length + tags.page.length;
  },
});

/** Records, as a tag, the state its own job shows while it runs (found by name among the jobs). */
export const recordOwnJobState = mutationGeneric({
  args: {},
  handler: async (ctx) => {
    const jobs = await ctx.db.system.query("_scheduled_functions").collect();
    const own = jobs.find((j) => j.name === "app:recordOwnJobState");
    await ctx.db.insert("tags", { label: own?.state.kind ?? "not found" });
    return null;
  },
});

export const scheduleRecorder = mutationGeneric({
  args: {},
  handler: async (ctx) => {
    const recorderRef = makeFunctionReference<"mutation", Record<string, never>, null>("app:recordOwnJobState");
    return ctx.scheduler.runAfter(0, recorderRef, {});
  },
});

export const tagLabels = queryGeneric({ args: {}, handler: async (ctx) => (await ctx.db.query("tags").collect()).map((t) => t.label) });

/** The scheduled jobs, newest first through the by_creation_time index. */
export const scheduledJobs = queryGeneric({
  args: {},
  handler: async (ctx) => {
    const jobs = await ctx.db.system.query("_scheduled_functions").withIndex("by_creation_time").order("desc").collect();
    return jobs.map(({ _id, name, state, completedTime }) => ({ _id, name, state, completedTime: completedTime ?? null }));
  },
});

export const scheduledJobById = queryGeneric({
  args: { id: v.id("_scheduled_functions") },
  handler: async (ctx, { id }) => (await ctx.db.system.query("_scheduled_functions").withIndex("by_id", (q) => q.eq("_id", id)).unique())?.name ?? null,
});

export const itemNameById = queryGeneric({
  args: { id: v.id("items") },
  handler: async (ctx, { id }) => (await ctx.db.query("items").withIndex("by_id", (q) => q.eq("_id", id)).unique())?.name ?? null,
});

/** Items created after `after`, newest first, through by_creation_time. */
export const itemsCreatedAfter = queryGeneric({
  args: { after: v.number() },
  handler: async (ctx, { after }) =>
    (await ctx.db.query("items").withIndex("by_creation_time", (q) => q.gt("_creationTime", after)).order("desc").collect()).map((d) => d.name),
});

export const itemIdsInIdOrder = queryGeneric({
  args: {},
  handler: async (ctx) => (await ctx.db.query("items").withIndex("by_id").collect()).map((d) => d._id),
});

export const metadataInner = queryGeneric({ args: {}, handler: async (ctx) => (await ctx.meta.getFunctionMetadata()).name });

/** The nested query's name as it sees it, and this query's own after the nested call. */
export const metadataOuter = queryGeneric({
  args: {},
  handler: async (ctx) => {
    const innerRef = makeFunctionReference<"query", Record<string, never>, string>("app:metadataInner");
    const inner = await ctx.runQuery(innerRef, {});
    return { inner, outer: (await ctx.meta.getFunctionMetadata()).name };
  },
});

export const auditSomething = mutationGeneric({
  args: {},
  handler: async () => {
    await log.audit({ action: "fidelity" });
    return null;
  },
});

export const deploymentMetadata = queryGeneric({ args: {}, handler: async (ctx) => ctx.meta.getDeploymentMetadata() });

export const countItemsQuery = queryGeneric({ args: {}, handler: async (ctx) => (await ctx.db.query("items").collect()).length });

/**
 * Inserts an item, then counts the items three ways: directly, through ctx.runQuery (which sees the
 * insert) and through a stale-snapshot ctx.runQuery (a snapshot query, which must not).
 */
export const insertThenCount = mutationGeneric({
  args: {},
  handler: async (ctx) => {
    await ctx.db.insert("items", { name: "pending", n: 0 });
    const countRef = makeFunctionReference<"query", Record<string, never>, number>("app:countItemsQuery");
    const direct = (await ctx.db.query("items").collect()).length;
    const nested = await ctx.runQuery(countRef, {});
    const snapshot = await ctx.runQuery(countRef, {}, { useStaleSnapshot: true } as never);
    return { direct, nested, snapshot };
  },
});

/** A full-text search on items; the app's schema has no search index (the caller brings one). */
export const searchItems = queryGeneric({
  args: { text: v.string() },
  handler: async (ctx, { text }) => {
    const search = ctx.db.query("items") as unknown as {
      withSearchIndex(name: string, build: (q: { search(field: string, text: string): unknown }) => unknown): { collect(): Promise<unknown[]> };
    };
    return (await search.withSearchIndex("search_name", (q) => q.search("name", text)).collect()).length;
  },
});

export const insertThenFail = mutationGeneric({
  args: { name: v.string() },
  handler: async (ctx, { name }) => {
    await ctx.db.insert("items", { name, n: 0 });
    throw new Error("nested mutation fails after its insert");
  },
});

/**
 * Calls insertThenFail through ctx.runMutation and catches its error (its insert is rolled back),
 * inserting an item before and after when `around` is set; returns the creation times it sees.
 */
export const catchNestedFailure = mutationGeneric({
  args: { around: v.boolean() },
  handler: async (ctx, { around }) => {
    const failRef = makeFunctionReference<"mutation", { name: string }, null>("app:insertThenFail");
    if (around) await ctx.db.insert("items", { name: "before", n: 0 });
    const error = await ctx.runMutation(failRef, { name: "rolled back" }).then(() => null, (e: unknown) => String(e));
    if (around) await ctx.db.insert("items", { name: "after", n: 0 });
    const items = await ctx.db.query("items").collect();
    return { failed: error !== null, items: items.map((d) => ({ name: d.name, creationTime: d._creationTime })) };
  },
});

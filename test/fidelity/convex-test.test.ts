import { convexTest } from "convex-test";
import { makeFunctionReference } from "convex/server";
import * as app from "./app.js";
import { defineFidelitySuite, type FidelityFactory } from "./suite.js";

// convex-test finds the functions' root folder from the path of a "_generated" module; the app has
// none, so an empty one stands in (it is never loaded).
const modules: Record<string, () => Promise<Record<string, unknown>>> = {
  "./_generated/api.js": async () => ({}),
  "./app.ts": async () => app,
};

const convexTestFactory: FidelityFactory = async (schema = app.schema) => {
  // transactionLimits: true makes convex-test enforce Convex's limits (it only measures by default).
  const t = convexTest({ schema, modules: modules as Record<string, () => Promise<any>>, transactionLimits: true }); // eslint-disable-line @typescript-eslint/no-explicit-any -- convex-test's own module type
  return {
    query: (name, args) => t.query(makeFunctionReference<"query">(name), args ?? {}),
    mutation: (name, args) => t.mutation(makeFunctionReference<"mutation">(name), args ?? {}),
    close: async () => undefined,
  };
};

// convex-test checks system fields in an insert only through the schema's validator, enforces no
// document limits, and does not count documents a filter drops as read (see the tests).
defineFidelitySuite("convex-test", convexTestFactory, ["insertSystemFieldWithoutSchemaValidation", "documentLimits", "filteredDocumentsUncounted"]);

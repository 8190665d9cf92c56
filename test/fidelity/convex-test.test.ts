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
    // Real timers: jobs due now fire within a few event loop turns, which this waits for.
    runScheduledFunctions: () => t.finishAllScheduledFunctions(() => undefined),
    close: async () => undefined,
  };
};

// Where convex-test departs from Convex's documentation (see ReferenceGap and the tests).
defineFidelitySuite("convex-test", convexTestFactory, [
  "insertSystemFieldWithoutSchemaValidation",
  "documentLimits",
  "filteredDocumentsUncounted",
  "scheduledMutationInProgress",
  "completedTimeOnSuccess",
]);

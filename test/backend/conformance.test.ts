import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { getFunctionName } from "convex/server";
import { defineConvexSuite } from "../convex/suite.js";
import type { ConvexHarness, HarnessFactory } from "../convex/harness.js";
import { openEmbeddedRuntime } from "../../src/backend/embedded/runtime.js";
import { appModules, appSchema } from "../../src/backend/embedded/modules.js";

/**
 * The embedded runtime as a ConvexHarness: a fresh temp state file per harness, crons and the
 * scheduler off (like convex-test, which only runs them when a test advances timers), and exactly
 * the factory's environment as the deployment's (no generated admin token).
 */
export const embeddedFactory: HarnessFactory = async (env) => {
  const dir = mkdtempSync(path.join(tmpdir(), "conformance-"));
  const rt = openEmbeddedRuntime({
    path: path.join(dir, "state.db"),
    schema: appSchema,
    modules: appModules,
    runCrons: false,
    runScheduler: false,
    enforceLimits: true,
    env,
  });
  const harness: ConvexHarness = {
    query: (ref, args) => rt.query(getFunctionName(ref), args, { allowInternal: true }),
    mutation: (ref, args) => rt.mutation(getFunctionName(ref), args, { allowInternal: true }),
    close: async () => {
      await rt.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
};

defineConvexSuite("embedded", embeddedFactory);

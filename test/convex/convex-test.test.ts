import { convexTest } from "convex-test";
import schema from "../../convex/schema.js";
import { defineConvexSuite } from "./suite.js";
import type { ConvexHarness, HarnessFactory } from "./harness.js";

// Listed explicitly rather than with import.meta.glob so tsc needs no vite types and a new module
// that is not listed fails loudly ("Could not find module") instead of being silently skipped.
const modules: Record<string, () => Promise<unknown>> = {
  "../../convex/_generated/api.js": () => import("../../convex/_generated/api.js"),
  "../../convex/_generated/server.js": () => import("../../convex/_generated/server.js"),
  "../../convex/schema.ts": () => import("../../convex/schema.js"),
  "../../convex/crons.ts": () => import("../../convex/crons.js"),
  "../../convex/daemon/replay.ts": () => import("../../convex/daemon/replay.js"),
  "../../convex/daemon/ingest.ts": () => import("../../convex/daemon/ingest.js"),
  "../../convex/daemon/compiles.ts": () => import("../../convex/daemon/compiles.js"),
  "../../convex/daemon/vault.ts": () => import("../../convex/daemon/vault.js"),
  "../../convex/daemon/heartbeat.ts": () => import("../../convex/daemon/heartbeat.js"),
  "../../convex/daemon/control.ts": () => import("../../convex/daemon/control.js"),
  "../../convex/daemon/triggers.ts": () => import("../../convex/daemon/triggers.js"),
  "../../convex/daemon/runtime.ts": () => import("../../convex/daemon/runtime.js"),
};

// The deployment environment is process.env in convex-test: set exactly the variables the
// functions read, and put the previous values back on close.
const ENV_KEYS = ["COMPILE_ADMIN_TOKEN", "COMPILE_THRESHOLD"] as const;

const convexTestFactory: HarnessFactory = async (env) => {
  const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  for (const k of ENV_KEYS) delete process.env[k];
  Object.assign(process.env, env);
  const t = convexTest(schema, modules as Record<string, () => Promise<any>>); // eslint-disable-line @typescript-eslint/no-explicit-any -- convex-test's own module type
  const harness: ConvexHarness = {
    query: (ref, args) => t.query(ref, args as never),
    mutation: (ref, args) => t.mutation(ref, args as never),
    close: async () => {
      for (const k of ENV_KEYS) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    },
  };
  return harness;
};

defineConvexSuite("convex-test", convexTestFactory);

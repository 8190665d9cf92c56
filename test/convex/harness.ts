import type { FunctionReference } from "convex/server";

/**
 * What the convex-function suite needs from a backend. Implemented over convex-test
 * (the in-memory reference) and over the embedded node:sqlite runtime, so one suite
 * proves both behave the same. Internal functions may be called directly (tests are trusted).
 * Functions see Date.now() as the test's clock (vi.setSystemTime works on both).
 */
export interface ConvexHarness {
  // Function references are heterogeneous here; each test passes matching args.
  query(ref: FunctionReference<"query", "public" | "internal">, args: Record<string, unknown>): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- results are checked by each test
  mutation(ref: FunctionReference<"mutation", "public" | "internal">, args: Record<string, unknown>): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- as above
  close(): Promise<void>;
}

/** Creates a fresh, empty backend whose deployment environment holds `env` (e.g. COMPILE_ADMIN_TOKEN). */
export type HarnessFactory = (env: Record<string, string>) => Promise<ConvexHarness>;

import type { FunctionArgs } from "convex/server";
import type { BackendClient } from "../../src/backend/client.js";
import { codeHash } from "../../src/compiler/codeCheck.js";
import { api } from "../../src/contract/api.js";

export type VaultEntryArg = FunctionArgs<typeof api.daemon.compiles.complete>["entry"];

/**
 * Writes a vault entry for (bucket, sha) the way the pipeline does: enqueue a job, claim that job,
 * complete it with the entry. Returns the claimed job.
 */
export async function writeVaultEntry(client: BackendClient, bucket: string, sha: string, entry: VaultEntryArg) {
  const { jobId } = await client.mutation(api.daemon.compiles.enqueue, { bucket, sha, reason: "MANUAL" });
  const job = await client.mutation(api.daemon.compiles.claim, { owner: "t", leaseMs: 10_000, prefer: [jobId] });
  if (!job) throw new Error(`no job to claim for ${bucket}`);
  await client.mutation(api.daemon.compiles.complete, { jobId: job.jobId, claimToken: job.claimToken, entry });
  return job;
}

/** A compiled function that answers { code: "A" } for k "a", { code: "B" } for "b", and abstains otherwise. */
export const AB_LOOKUP = [
  "const TABLE = { a: 'A', b: 'B' };",
  "export default function compiled(input) {",
  "  const key = String(input.k);",
  "  if (!Object.hasOwn(TABLE, key)) return undefined;",
  "  return { code: TABLE[key] };",
  "}",
  "",
].join("\n");

/** A compiled entry for `code`, as the gate would have passed it (figures are plausible, not measured). */
export function compiledEntry(code: string, overrides: Record<string, unknown> = {}): VaultEntryArg {
  return {
    verdict: "compiled",
    scores: { schema: 1, det: 1, oracle: 0.97, robustness: 1 },
    coverage: 1,
    selective: { agreement: 0.97, lowerBound: 0.9, upperBound: 0.99 },
    oracleLowerBound: 0.9,
    baseline: 0.5,
    family: "lookup",
    code,
    codeHash: codeHash(code),
    nTraces: 100,
    nTrain: 100,
    nHoldout: 50,
    reasons: [],
    ...overrides,
  } as VaultEntryArg;
}

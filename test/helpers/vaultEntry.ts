import type { FunctionArgs } from "convex/server";
import type { BackendClient } from "../../src/backend/client.js";
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

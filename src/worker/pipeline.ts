import { api } from "../contract/api.js";
import { isUsable } from "../contract/rules.js";
import { errorLine } from "../contract/rules.js";
import { checkTraceValue, problemText, STORED_TRACE_REFUSED } from "../contract/rules.js";
import type { BackendClient } from "../backend/client.js";
import { compileBucket } from "../compiler/compileBucket.js";
import { runEnvelope } from "../compiler/envelope.js";
import type { Stage2Runner, Trace, Verdict } from "../compiler/types.js";
import type { ScanCache } from "./scanner.js";
import { traceWindow, vaultEntry } from "./vaultEntry.js";

export interface ClaimedJob {
  jobId: string;
  bucket: string;
  sha: string;
  reason: string;
  claimToken: string;
  attempts: number;
  /** Learn from traces up to this seq (VOLUME jobs); undefined: the newest. */
  uptoSeq?: number;
  /** After a drift: learn only from traces after this seq. */
  trainFromSeq?: number;
  /** The bucket's traces when the job was claimed, and how many of them are from before its drift. */
  bucketCount?: number;
  trainFromCount?: number;
}

export interface PipelineDeps {
  client: BackendClient;
  agentDir: string;
  stage2: Stage2Runner;
  scans: ScanCache;
  signal: AbortSignal;
  /** Called on every stage transition (for headless logs). */
  onStage?: (stage: string, progress?: number) => void;
}

/** How many traces of a bucket one compile learns from (the newest). */
const MAX_TRACES = 5000;
/** Stage-2 progress is written at most this often: the console shows it, the database should not drown in it. */
const PROGRESS_EVERY_MS = 150;

/**
 * scan -> synthesize -> stage 2 -> gate -> envelope -> vault, one STEP per transition.
 * Returns the verdict; throws on failure (the loop then calls `fail`).
 */
export async function runPipeline(job: ClaimedJob, deps: PipelineDeps): Promise<Verdict> {
  const { client, signal } = deps;
  const fenced = { jobId: job.jobId as never, claimToken: job.claimToken };
  let writes: Promise<unknown> = Promise.resolve();
  let lastProgressAt = 0;
  const setStage = (stage: string, progress?: number): Promise<unknown> => {
    deps.onStage?.(stage, progress);
    // Serialised: a progress write must never overtake the stage transition before it.
    writes = writes.then(() => client.mutation(api.daemon.compiles.setStage, { ...fenced, stage, progress }));
    return writes;
  };

  await setStage("scan");
  const repo = await deps.scans.get(deps.agentDir);
  const site = repo.callSites.find((c) => c.bucket === job.bucket);
  abortIfNeeded(signal);

  await setStage("synthesize");
  const rows = await client
    .query(api.daemon.ingest.traces, {
      bucket: job.bucket,
      limit: MAX_TRACES,
      // A bucket larger than the window: the newest half and the other half spread over its history.
      spread: true,
      ...(job.uptoSeq === undefined ? {} : { uptoSeq: job.uptoSeq }),
      ...(job.trainFromSeq === undefined ? {} : { fromSeq: job.trainFromSeq }),
    })
    .catch((e: unknown) => {
      const line = errorLine(e);
      throw line.startsWith(STORED_TRACE_REFUSED) ? new BadTraceError(line) : e;
    });
  // The query refuses a stored trace that breaks the limits; a deployment running functions from
  // before them would not, so the rows are checked here too before the compiler sees them.
  for (const r of rows) {
    const { problems } = checkTraceValue(r, "stored");
    if (problems.length > 0) throw new BadTraceError(`${STORED_TRACE_REFUSED}: seq ${r.seq} of ${job.bucket}: ${problemText(problems[0])}`);
  }
  const traces: Trace[] = rows;
  if (traces.length === 0) throw new Error(`no traces recorded for ${job.bucket}${job.trainFromSeq === undefined ? "" : ` since its drift (after seq ${job.trainFromSeq})`}`);

  const bucket = job.bucketCount === undefined ? undefined : { count: job.bucketCount, trainFromCount: job.trainFromCount };
  const window = traceWindow(traces.length, MAX_TRACES, bucket, job.trainFromSeq, true);

  const result = await compileBucket(traces, {
    bucket: job.bucket,
    inputSchema: site?.inputSchema,
    outputSchema: site?.outputSchema,
    stage2: deps.stage2,
    signal,
    onStage: (stage, progress) => {
      if (stage === "synthesize") return; // already written above
      const now = Date.now();
      const isProgressOnly = stage === "stage2" && progress !== undefined && progress > 0 && progress < 1;
      if (isProgressOnly && now - lastProgressAt < PROGRESS_EVERY_MS) return;
      lastProgressAt = now;
      void setStage(stage, progress).catch(() => undefined);
    },
  });
  await writes;
  abortIfNeeded(signal);

  await setStage("envelope");
  const fixtures = site ? (repo.fixtures[site.name] ?? []) : [];
  // A partial function is usable too (it abstains where it has no evidence): the agent's fixtures show
  // which of them it answers. Waiting and rejected candidates are not for use, so no envelope.
  const envelope = isUsable(result.verdict) && fixtures.length > 0 ? await runEnvelope(result.code, fixtures) : undefined;
  abortIfNeeded(signal);

  await writes;
  await client.mutation(api.daemon.compiles.complete, {
    ...fenced,
    entry: vaultEntry(result, envelope, window),
  });
  deps.onStage?.("vault");
  return result.verdict;
}

/**
 * A job that no attempt can complete: a trace it must learn from breaks the trace limits (stored by a
 * version before them). The loop fails such a job at once, without retries.
 */
export class BadTraceError extends Error {
  override name = "BadTraceError";
}

function abortIfNeeded(signal: AbortSignal): void {
  if (signal.aborted) throw new Error("aborted: the daemon is shutting down");
}

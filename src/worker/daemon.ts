import { api } from "../contract/api.js";
import type { BackendClient } from "../backend/client.js";
import { treeSha } from "../compiler/treeSha.js";
import { CodeWatch } from "./codeWatch.js";
import { createComputeProvider } from "./compute/index.js";
import { asError, Heartbeat, type DaemonStatus } from "./heartbeat.js";
import { JobLoop } from "./jobLoop.js";
import type { Logger } from "./log.js";
import { NiaPublisher } from "./niaPublisher.js";
import { ReplayAgent } from "./replayAgent.js";
import { createRuntime } from "../runtime/index.js";

export interface DaemonOptions {
  client: BackendClient;
  agentDir: string;
  version: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Faster beats and lease for tests and smoke. */
  heartbeatMs?: number;
  leaseMs?: number;
  codePollMs?: number;
  /** Share of served replay calls also checked against the recorded answer. Default 0.05. */
  shadowRate?: number;
}

export interface Daemon {
  readonly daemonId: string;
  status(): { status: DaemonStatus; currentJob?: string; compute: string; lastError?: string };
  stop(graceMs?: number): Promise<void>;
}

/** Starts every part of the always-on worker on one backend client. */
export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const { client, logger } = opts;
  const env = opts.env ?? process.env;
  let status: DaemonStatus = "running";
  let lastError: string | undefined;
  const reportError = (e: Error) => {
    lastError = e.message;
    logger.event({ type: "error", message: e.message });
  };

  const compute = await createComputeProvider(env, {
    onRecovery: async (reason: string) => {
      logger.event({ type: "recovery", reason });
      await client.mutation(api.daemon.triggers.record, { kind: "TRIGGER:RECOVERY", detail: reason }).catch((e: unknown) => reportError(asError(e)));
    },
  });

  let loop: JobLoop | undefined;
  const heartbeat = new Heartbeat(
    client,
    opts.version,
    () => ({
      status: status === "running" && loop?.isPaused ? "paused" : status,
      currentJob: loop?.currentJob ? `${loop.currentJob.bucket} (${loop.currentJob.jobId})` : undefined,
      compute: compute.current(),
    }),
    reportError,
    opts.heartbeatMs,
  );

  await client.mutation(api.daemon.triggers.record, {
    kind: "BOOT",
    detail: `daemon ${heartbeat.daemonId} v${opts.version} on ${client.backendName}, compute ${compute.current()}`,
  });
  heartbeat.start();

  const codeWatch = new CodeWatch({
    client,
    agentDir: opts.agentDir,
    computeSha: treeSha,
    onError: reportError,
    onSha: (sha, changed) => logger.event({ type: "code", sha, changed }),
    pollMs: opts.codePollMs,
  });
  await codeWatch.start();

  const nia = NiaPublisher.fromEnv(client, env, reportError, logger);
  nia?.start();

  loop = new JobLoop({
    client,
    owner: heartbeat.daemonId,
    agentDir: opts.agentDir,
    stage2: compute.runner,
    leaseMs: opts.leaseMs,
    onError: reportError,
    onJob: (e) => {
      if (e.phase === "stage" && e.progress !== undefined && e.progress > 0 && e.progress < 1) return;
      logger.event({ type: "job", phase: e.phase, bucket: e.job.bucket, jobId: e.job.jobId, stage: e.stage, detail: e.detail });
      void heartbeat.beat();
    },
  });
  loop.start();

  // The replay drives the example agent's calls through the runtime (served, deferred, shadowed).
  const runtime = createRuntime({ backend: client, shadowRate: opts.shadowRate, onError: reportError });
  const replay = new ReplayAgent({ client, runtime, owner: heartbeat.daemonId, onError: reportError });
  replay.start();

  let stopping: Promise<void> | undefined;
  return {
    daemonId: heartbeat.daemonId,
    status: () => ({
      status: status === "running" && loop?.isPaused ? "paused" : status,
      currentJob: loop?.currentJob?.bucket,
      compute: compute.current(),
      lastError,
    }),
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        status = "stopping";
        await heartbeat.beat();
        await replay.stop();
        await runtime.close();
        await loop?.stop(graceMs);
        nia?.stop();
        await codeWatch.stop();
        status = "stopped";
        await heartbeat.stop();
        // Counts of errors that kept repeating are written before the process goes.
        logger.flush?.();
      })();
      return stopping;
    },
  };
}

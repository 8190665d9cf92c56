import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { treeSha } from "../compiler/treeSha.js";
import type { CallSite } from "../compiler/types.js";

export interface AgentScan {
  sha: string;
  callSites: CallSite[];
  /** The agent's own example inputs per call site name (for the envelope). */
  fixtures: Record<string, unknown[]>;
}

/** Stage 1 proper: the TypeScript compiler API over the agent tree. */
export async function scanInProcess(dir: string): Promise<AgentScan> {
  const { scanRepo } = await import("../compiler/scan.js");
  const { loadFixtures } = await import("../compiler/fixtures.js");
  const { sha, callSites } = await scanRepo(dir);
  const fixtures: Record<string, unknown[]> = {};
  for (const site of callSites) fixtures[site.name] = await loadFixtures(dir, site.name);
  return { sha, callSites, fixtures };
}

/**
 * Runs the scan in a short-lived worker thread, so the TypeScript compiler (tens of MB) is loaded
 * only while a scan runs and never stays resident in the always-on daemon. From TypeScript sources
 * (tests) there is no built worker file; the scan then runs in this thread.
 */
export function scanInWorker(dir: string): Promise<AgentScan> {
  const entry = new URL("./scanWorker.js", import.meta.url);
  if (!existsSync(fileURLToPath(entry))) return scanInProcess(dir);
  return new Promise((resolve, reject) => {
    const worker = new Worker(entry, { workerData: { dir } });
    worker.once("message", (m: { ok: true; scan: AgentScan } | { ok: false; error: string }) => {
      if (m.ok) resolve(m.scan);
      else reject(new Error(m.error));
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`scan worker exited with code ${code}`));
    });
  });
}

/** One scan per version of the agent's code: the cheap tree SHA decides whether to scan again. */
export class ScanCache {
  private last: AgentScan | undefined;
  private inFlight: Promise<AgentScan> | undefined;

  constructor(private readonly scan: (dir: string) => Promise<AgentScan> = scanInWorker) {}

  async get(dir: string): Promise<AgentScan> {
    const sha = await treeSha(dir);
    if (this.last?.sha === sha) return this.last;
    this.inFlight ??= this.scan(dir).finally(() => {
      this.inFlight = undefined;
    });
    this.last = await this.inFlight;
    return this.last;
  }
}

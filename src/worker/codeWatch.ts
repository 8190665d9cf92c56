import { watch, type FSWatcher } from "chokidar";
import { api } from "../contract/api.js";
import type { BackendClient } from "../backend/client.js";
import { asError } from "./heartbeat.js";

export interface CodeWatchOptions {
  client: BackendClient;
  agentDir: string;
  /** Content SHA of the agent tree (scanRepo's). */
  computeSha: (dir: string) => Promise<string>;
  onError: (e: Error) => void;
  onSha?: (sha: string, changed: boolean) => void;
  debounceMs?: number;
  /** Safety net for file systems where watching misses events (network mounts, some containers). */
  pollMs?: number;
}

/**
 * Reports the agent tree's SHA to the backend, which writes TRIGGER:CODE_CHANGE and re-enqueues
 * compiled buckets when it differs. Watching gives speed; the poll gives certainty.
 */
export class CodeWatch {
  private watcher: FSWatcher | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private lastSha: string | undefined;

  constructor(private readonly opts: CodeWatchOptions) {}

  async start(): Promise<void> {
    await this.check();
    this.watcher = watch(this.opts.agentDir, { ignoreInitial: true, ignored: (p) => p.includes("node_modules") });
    this.watcher.on("all", () => this.schedule());
    this.watcher.on("error", (e) => this.opts.onError(asError(e)));
    this.pollTimer = setInterval(() => void this.check(), this.opts.pollMs ?? 30_000);
    this.pollTimer.unref();
  }

  private schedule(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.check(), this.opts.debounceMs ?? 300);
  }

  /** Serialised so two checks cannot race and report SHAs out of order. */
  check(): Promise<void> {
    this.running = this.running.then(async () => {
      try {
        const sha = await this.opts.computeSha(this.opts.agentDir);
        if (sha === this.lastSha) return;
        const result = await this.opts.client.mutation(api.daemon.control.reportSha, {
          sha,
        });
        const changed = this.lastSha !== undefined || Boolean(result && typeof result === "object" && "changed" in result && result.changed);
        this.lastSha = sha;
        this.opts.onSha?.(sha, changed);
      } catch (e) {
        this.opts.onError(asError(e));
      }
    });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.debounce) clearTimeout(this.debounce);
    if (this.pollTimer) clearInterval(this.pollTimer);
    await this.watcher?.close();
    await this.running;
  }
}

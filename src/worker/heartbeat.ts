import { hostname } from "node:os";
import { api } from "../contract/api.js";
import type { BackendClient } from "../backend/client.js";

export type DaemonStatus = "running" | "paused" | "stopping" | "stopped";

export interface HeartbeatFacts {
  status: DaemonStatus;
  currentJob?: string;
  compute: string;
}

/** Beats every `intervalMs` (default 2 s) so `heartbeat.status` can tell a live daemon from a dead one. */
export class Heartbeat {
  readonly daemonId: string;
  readonly startedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: BackendClient,
    private readonly version: string,
    private readonly facts: () => HeartbeatFacts,
    private readonly onError: (e: Error) => void,
    private readonly intervalMs = 2000,
  ) {
    this.daemonId = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  }

  start(): void {
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.intervalMs);
    this.timer.unref();
  }

  /** One beat now; beats never overlap, so a slow backend cannot pile them up. */
  beat(): Promise<void> {
    this.inFlight = this.inFlight.then(() => this.send()).catch((e: unknown) => this.onError(asError(e)));
    return this.inFlight;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beat();
  }

  private async send(): Promise<void> {
    const f = this.facts();
    await this.client.mutation(api.daemon.heartbeat.beat, {
      daemonId: this.daemonId,
      pid: process.pid,
      host: hostname(),
      version: this.version,
      startedAt: this.startedAt,
      status: f.status,
      currentJob: f.currentJob,
      backend: this.client.backendName,
      compute: f.compute,
    });
  }
}

export function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

import { api } from "../contract/api.js";
import type { BackendClient } from "../backend/client.js";
import { asError } from "./heartbeat.js";
import type { Logger } from "./log.js";
import { createNiaSink } from "./nia.js";

const RETRY_MS = 30_000;

/**
 * Publishes vault entries to Nia after they are safely in the vault. The vault is the source of
 * truth: an entry whose publish failed stays `unpublished` and is retried later, never lost.
 */
export class NiaPublisher {
  private unsubscribe: (() => void) | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private busy = false;
  private again = false;

  static fromEnv(client: BackendClient, env: NodeJS.ProcessEnv, onError: (e: Error) => void, logger: Logger): NiaPublisher | undefined {
    if (!env.NIA_API_KEY) return undefined;
    return new NiaPublisher(client, createNiaSink({ apiKey: env.NIA_API_KEY, ...(env.NIA_API_URL ? { baseUrl: env.NIA_API_URL } : {}) }), onError, logger);
  }

  constructor(
    private readonly client: BackendClient,
    private readonly sink: ReturnType<typeof createNiaSink>,
    private readonly onError: (e: Error) => void,
    private readonly logger: Logger,
    private readonly retryMs = RETRY_MS,
  ) {}

  start(): void {
    this.unsubscribe = this.client.onUpdate(api.daemon.vault.unpublished, { limit: 20 }, () => void this.flush(), this.onError);
    this.retryTimer = setInterval(() => void this.flush(), this.retryMs);
    this.retryTimer.unref();
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.retryTimer) clearInterval(this.retryTimer);
  }

  private async flush(): Promise<void> {
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    try {
      const entries = await this.client.query(api.daemon.vault.unpublished, { limit: 20 });
      for (const entry of entries) {
        try {
          await this.sink.publish(entry);
          await this.client.mutation(api.daemon.vault.markPublished, { vaultId: entry._id });
          this.logger.event({ type: "nia", bucket: entry.bucket, published: true });
        } catch (e) {
          // Logged and left unpublished: the next flush (timer or new entry) retries it.
          this.onError(new Error(`nia publish of ${entry.bucket} failed: ${asError(e).message}`));
          break;
        }
      }
    } finally {
      this.busy = false;
      if (this.again) {
        this.again = false;
        void this.flush();
      }
    }
  }
}

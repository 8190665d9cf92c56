import { ConvexClient } from "convex/browser";
import type { FunctionArgs, FunctionReturnType } from "convex/server";
import type { BackendClient, CallerArgs, ConnectionState, MutationRef, QueryRef } from "./client.js";

export interface ConvexBackendOptions {
  url: string;
  /** Default: process.env.COMPILE_ADMIN_TOKEN (set the same value with `npx convex env set`). */
  adminToken?: string;
  /** Connection problems and recoveries, one line each. Default: stderr. */
  log?: (message: string) => void;
}

/**
 * BackendClient over a real Convex deployment (websocket subscriptions through ConvexClient).
 * When the deployment cannot be reached the client keeps retrying and connectionState() says so;
 * it never falls back to the embedded state file, which would split the data.
 */
export class ConvexBackend implements BackendClient {
  readonly backendName = "convex";
  private readonly adminToken: string | undefined;
  private readonly client: ConvexClient;
  private lastError: string | undefined;
  private readonly stopWatching: () => void;
  private readonly connectionListeners = new Set<(state: ConnectionState) => void>();

  constructor(private readonly opts: ConvexBackendOptions) {
    this.adminToken = opts.adminToken ?? process.env.COMPILE_ADMIN_TOKEN;
    const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
    this.client = new ConvexClient(opts.url, { unsavedChangesWarning: false });
    let reported = false;
    this.stopWatching = this.client.subscribeToConnectionState((s) => {
      if (s.isWebSocketConnected) {
        if (reported) log(`convex: connected to ${opts.url}`);
        reported = false;
        this.lastError = undefined;
      } else if (s.connectionRetries > 0) {
        this.lastError = `cannot reach Convex at ${opts.url} (retry ${s.connectionRetries}); still retrying, state is NOT written elsewhere`;
        if (!reported) log(`convex: ${this.lastError}`);
        reported = true;
      }
      const state = this.connectionState();
      for (const listener of [...this.connectionListeners]) listener(state);
    });
  }

  query<Q extends QueryRef>(ref: Q, args: FunctionArgs<Q>): Promise<FunctionReturnType<Q>> {
    return this.client.query(ref, args);
  }

  mutation<M extends MutationRef>(ref: M, args: CallerArgs<M>): Promise<FunctionReturnType<M>> {
    // CallerArgs<M> plus the token is FunctionArgs<M>; TypeScript cannot see through the Omit.
    return this.client.mutation(ref, { ...args, adminToken: this.adminToken ?? "" } as FunctionArgs<M>);
  }

  onUpdate<Q extends QueryRef>(
    ref: Q,
    args: FunctionArgs<Q>,
    onResult: (result: FunctionReturnType<Q>) => void,
    onError?: (error: Error) => void,
  ): () => void {
    const unsubscribe = this.client.onUpdate(ref, args, onResult, onError);
    return () => unsubscribe();
  }

  connectionState(): ConnectionState {
    const s = this.client.connectionState();
    return {
      kind: "convex",
      url: this.opts.url,
      connected: s.isWebSocketConnected,
      retries: s.connectionRetries,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  onConnectionChange(listener: (state: ConnectionState) => void): () => void {
    this.connectionListeners.add(listener);
    return () => {
      this.connectionListeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.connectionListeners.clear();
    this.stopWatching();
    await this.client.close();
  }
}

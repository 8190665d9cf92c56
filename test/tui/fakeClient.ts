import { getFunctionName, type FunctionArgs, type FunctionReturnType } from "convex/server";
import type { BackendClient, ConnectionState, MutationRef, QueryRef } from "../../src/backend/client.js";

/**
 * In-memory BackendClient for console tests: queries answer from `data` (keyed by function name,
 * e.g. "daemon/replay:state"), `push` changes a result and notifies subscribers like onUpdate
 * would, and every mutation is recorded.
 */
export class FakeClient implements BackendClient {
  readonly backendName = "embedded";
  readonly mutations: { name: string; args: Record<string, unknown> }[] = [];
  readonly subscriptions = new Map<string, number>();
  connection: ConnectionState = { kind: "embedded", path: ".compile/state.db", connected: true };
  private readonly connectionListeners = new Set<(state: ConnectionState) => void>();
  mutationError: Error | undefined;
  /** Answers per mutation name, taken in order (a mutation without one answers null). */
  readonly mutationResults = new Map<string, unknown[]>();
  /** When set, each mutation waits for this before it answers (to see progress in between). */
  mutationDelay: (() => Promise<void>) | undefined;
  /** First results queued for new subscribers and not delivered yet (tests wait until it is 0). */
  pendingDeliveries = 0;
  private readonly data = new Map<string, unknown>();
  private readonly listeners = new Map<string, Set<{ onResult: (v: any) => void; onError?: (e: Error) => void }>>(); // eslint-disable-line @typescript-eslint/no-explicit-any -- results are per-query

  constructor(initial: Record<string, unknown> = {}) {
    for (const [name, value] of Object.entries(initial)) this.data.set(name, value);
  }

  push(name: string, value: unknown): void {
    this.data.set(name, value);
    for (const l of this.listeners.get(name) ?? []) l.onResult(value);
  }

  fail(name: string, error: Error): void {
    for (const l of this.listeners.get(name) ?? []) l.onError?.(error);
  }

  async query<Q extends QueryRef>(ref: Q, _args: FunctionArgs<Q>): Promise<FunctionReturnType<Q>> {
    return this.data.get(getFunctionName(ref)) as FunctionReturnType<Q>;
  }

  async mutation<M extends MutationRef>(ref: M, args: FunctionArgs<M>): Promise<FunctionReturnType<M>> {
    const name = getFunctionName(ref);
    this.mutations.push({ name, args: args as Record<string, unknown> });
    if (this.mutationError) throw this.mutationError;
    await this.mutationDelay?.();
    return (this.mutationResults.get(name)?.shift() ?? null) as FunctionReturnType<M>;
  }

  onUpdate<Q extends QueryRef>(
    ref: Q,
    _args: FunctionArgs<Q>,
    onResult: (result: FunctionReturnType<Q>) => void,
    onError?: (error: Error) => void,
  ): () => void {
    const name = getFunctionName(ref);
    const listener = { onResult, onError };
    const set = this.listeners.get(name) ?? new Set();
    set.add(listener);
    this.listeners.set(name, set);
    this.subscriptions.set(name, (this.subscriptions.get(name) ?? 0) + 1);
    if (this.data.has(name)) {
      const value = this.data.get(name);
      this.pendingDeliveries++;
      queueMicrotask(() => {
        this.pendingDeliveries--;
        if (set.has(listener)) onResult(value as FunctionReturnType<Q>);
      });
    }
    return () => {
      set.delete(listener);
    };
  }

  listenerCount(name: string): number {
    return this.listeners.get(name)?.size ?? 0;
  }

  connectionState(): ConnectionState {
    return this.connection;
  }

  /** Changes the connection state and tells onConnectionChange listeners, as a real client would (no query result moves). */
  setConnection(state: ConnectionState): void {
    this.connection = state;
    for (const l of [...this.connectionListeners]) l(state);
  }

  onConnectionChange(listener: (state: ConnectionState) => void): () => void {
    this.connectionListeners.add(listener);
    return () => {
      this.connectionListeners.delete(listener);
    };
  }

  connectionListenerCount(): number {
    return this.connectionListeners.size;
  }

  async close(): Promise<void> {}
}

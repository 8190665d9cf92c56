import { getFunctionName, type FunctionArgs, type FunctionReturnType } from "convex/server";
import type { BackendClient, CallerArgs, ConnectionState, MutationRef, QueryRef } from "../client.js";
import type { EmbeddedRuntime } from "./runtime.js";

/** BackendClient over the embedded runtime: public functions only, like a Convex client. */
export class EmbeddedClient implements BackendClient {
  readonly backendName = "embedded";

  constructor(readonly runtime: EmbeddedRuntime) {}


  async query<Q extends QueryRef>(ref: Q, args: FunctionArgs<Q>): Promise<FunctionReturnType<Q>> {
    return (await this.runtime.query(getFunctionName(ref), args as Record<string, unknown>)) as FunctionReturnType<Q>;
  }

  /** Adds the state file's admin token (which always wins over COMPILE_ADMIN_TOKEN in the shell). */
  async mutation<M extends MutationRef>(ref: M, args: CallerArgs<M>): Promise<FunctionReturnType<M>> {
    const withToken = { ...args, adminToken: this.runtime.adminToken ?? "" };
    return (await this.runtime.mutation(getFunctionName(ref), withToken)) as FunctionReturnType<M>;
  }

  onUpdate<Q extends QueryRef>(
    ref: Q,
    args: FunctionArgs<Q>,
    onResult: (result: FunctionReturnType<Q>) => void,
    onError?: (error: Error) => void,
  ): () => void {
    return this.runtime.subscribe(getFunctionName(ref), args as Record<string, unknown>, (r) => onResult(r as FunctionReturnType<Q>), onError);
  }

  connectionState(): ConnectionState {
    return { kind: "embedded", path: this.runtime.path, connected: true };
  }

  /** The state file is in this process: the connection never changes, so there is nothing to report. */
  onConnectionChange(_listener: (state: ConnectionState) => void): () => void {
    return () => {};
  }

  close(): Promise<void> {
    return this.runtime.close();
  }
}

import type { FunctionArgs, FunctionReference, FunctionReturnType } from "convex/server";

/** The subset of ConvexClient the app needs; implemented over real Convex and over the embedded runtime. */
export type QueryRef = FunctionReference<"query", "public">;
export type MutationRef = FunctionReference<"mutation", "public">;
/** A mutation's arguments as a caller gives them: the client adds the admin token itself. */
export type CallerArgs<M extends MutationRef> = Omit<FunctionArgs<M>, "adminToken">;

export type ConnectionState =
  | { kind: "embedded"; path: string; connected: true }
  | { kind: "convex"; url: string; connected: boolean; retries: number; lastError?: string };

export interface BackendClient {
  /** "embedded" or "convex": shown in the heartbeat and the footer. */
  readonly backendName: string;
  query<Q extends QueryRef>(ref: Q, args: FunctionArgs<Q>): Promise<FunctionReturnType<Q>>;
  /**
   * Every public mutation is admin-guarded (convex/lib/adminMutation.ts); the client adds the token
   * it holds (the state file's, or COMPILE_ADMIN_TOKEN), so callers never thread it.
   */
  mutation<M extends MutationRef>(ref: M, args: CallerArgs<M>): Promise<FunctionReturnType<M>>;
  /** Calls onResult with the first result and again each time the result changes. Returns unsubscribe. */
  onUpdate<Q extends QueryRef>(
    ref: Q,
    args: FunctionArgs<Q>,
    onResult: (result: FunctionReturnType<Q>) => void,
    onError?: (error: Error) => void,
  ): () => void;
  connectionState(): ConnectionState;
  /**
   * Calls `listener` with the new state each time connectionState() changes (not with the current
   * one: read that first). The console's footer follows the connection through this, not through
   * subscription results, which stop arriving exactly when the connection is lost. Returns unsubscribe.
   */
  onConnectionChange(listener: (state: ConnectionState) => void): () => void;
  close(): Promise<void>;
}

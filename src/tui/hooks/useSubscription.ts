import { useEffect } from "react";
import { getFunctionName, type FunctionArgs, type FunctionReturnType } from "../../contract/api.js";
import type { BackendClient, QueryRef } from "../../backend/client.js";
import { useThrottledState } from "./useThrottledState.js";

export interface Subscription<T> {
  /** undefined until the first result arrives. */
  data: T | undefined;
  /** The last error; cleared by the next good result. The last good data is kept meanwhile. */
  error: Error | undefined;
}

/**
 * A live query through the backend client's onUpdate (never polling). Results are coalesced onto
 * the frame clock so a burst of changes renders once.
 */
export function useSubscription<Q extends QueryRef>(
  client: BackendClient,
  ref: Q,
  args: FunctionArgs<Q>,
): Subscription<FunctionReturnType<Q>> {
  const [state, setState] = useThrottledState<Subscription<FunctionReturnType<Q>>>({ data: undefined, error: undefined });
  // Args are small literals; their JSON is a stable identity for the effect.
  const key = `${getFunctionName(ref)}:${JSON.stringify(args)}`;

  useEffect(() => {
    let current: Subscription<FunctionReturnType<Q>> = { data: undefined, error: undefined };
    const unsubscribe = client.onUpdate(
      ref,
      args,
      (data) => {
        current = { data, error: undefined };
        setState(current);
      },
      (error) => {
        current = { data: current.data, error };
        setState(current);
      },
    );
    return unsubscribe;
    // ref and args are captured through key.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, key, setState]);

  return state;
}

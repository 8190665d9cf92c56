import { useEffect, useState } from "react";
import type { BackendClient, ConnectionState } from "../../backend/client.js";

/**
 * The backend's connection state, re-rendering on the client's own connection event. Subscription
 * results cannot carry it: they stop arriving exactly when the connection drops, so a footer that
 * only re-read connectionState() on a result would never show "reconnecting".
 */
export function useConnectionState(client: BackendClient): ConnectionState {
  const [state, setState] = useState<ConnectionState>(() => client.connectionState());
  useEffect(() => {
    const unsubscribe = client.onConnectionChange(setState);
    // A change between the first render and this effect has no event left to deliver: read it now.
    setState(client.connectionState());
    return unsubscribe;
  }, [client]);
  return state;
}

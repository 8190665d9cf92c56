import { api } from "../contract/api.js";
import type { Doc } from "../contract/api.js";
import type { BackendClient } from "../backend/client.js";

/**
 * Follows the trigger stream through a subscription and hands each new row over once, oldest first.
 * Rows are identified by _creationTime, which the backend keeps strictly increasing.
 */
export function tailTriggers(
  client: BackendClient,
  onRow: (row: Doc<"trigger_events">) => void,
  onError: (e: Error) => void,
  opts: { limit?: number; since?: number } = {},
): () => void {
  const limit = opts.limit ?? 200;
  // Without `since`, the first result is history and following starts after it.
  let seenUpTo: number | undefined = opts.since;
  return client.onUpdate(
    api.daemon.triggers.recent,
    { limit },
    (rows) => {
      if (seenUpTo === undefined) {
        // The first result is history (earlier runs): follow from here on, as `tail -f` does.
        seenUpTo = rows.reduce((max, r) => Math.max(max, r._creationTime), -Infinity);
        return;
      }
      const since = seenUpTo;
      const fresh = rows.filter((r) => r._creationTime > since).sort((a, b) => a._creationTime - b._creationTime);
      for (const row of fresh) onRow(row);
      if (fresh.length > 0) seenUpTo = fresh[fresh.length - 1]._creationTime;
    },
    onError,
  );
}

/** Per-insert TRIGGER:EVENT rows one transaction writes before it summarizes the rest. */
export const MAX_EVENT_ROWS = 20;
/** trigger_events rows kept by pruning. */
export const DEFAULT_TRIGGER_KEEP = 2000;
/** Rows one prune deletes, so a backlog cannot blow a transaction's write limit. */
export const PRUNE_BATCH = 500;

/** "seq 10-12" or "seq 10" for the SCHEDULE row's detail. */
export function seqRange(first: number, last: number): string {
  return first === last ? `seq ${first}` : `seq ${first}-${last}`;
}

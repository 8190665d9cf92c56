/** Per-insert TRIGGER:EVENT rows one transaction writes before it summarizes the rest. */
export const MAX_EVENT_ROWS = 20;
/**
 * The stream's routine rows: one per replayed trace, batch or pipeline step. At a fast replay they
 * arrive dozens a second, so they are pruned (and shown) apart from the rare rows that say something
 * happened (BOOT, VOLUME, CODE_CHANGE, RECOVERY, DRIFT), which would otherwise be pushed out in a minute.
 */
export const ROUTINE_TRIGGER_KINDS = ["TRIGGER:EVENT", "TRIGGER:SCHEDULE", "STEP"] as const;
export const NOTABLE_TRIGGER_KINDS = ["BOOT", "TRIGGER:VOLUME", "TRIGGER:CODE_CHANGE", "TRIGGER:RECOVERY", "TRIGGER:DRIFT"] as const;
export function isRoutineTrigger(kind: string): boolean {
  return (ROUTINE_TRIGGER_KINDS as readonly string[]).includes(kind);
}
/** Routine trigger_events rows kept by pruning. */
export const DEFAULT_TRIGGER_KEEP = 2000;
/** Notable trigger_events rows kept by pruning (apart from the routine ones). */
export const DEFAULT_NOTABLE_KEEP = 500;
/** Rows one prune deletes, so a backlog cannot blow a transaction's write limit. */
export const PRUNE_BATCH = 500;

/** "seq 10-12" or "seq 10" for the SCHEDULE row's detail. */
export function seqRange(first: number, last: number): string {
  return first === last ? `seq ${first}` : `seq ${first}-${last}`;
}

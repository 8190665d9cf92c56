/** A rejected call site is compiled again once its traces have grown by this factor since that attempt. */
export const REJECTED_RETRY_GROWTH = 1.5;

/** The bucket count at which a call site rejected after learning from `nTraces` traces is retried. */
export function rejectedRetryAt(nTraces: number): number {
  return Math.ceil(Math.max(1, nTraces) * REJECTED_RETRY_GROWTH);
}

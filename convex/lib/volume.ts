/** A call site that did not compile is compiled again once its traces have grown by this factor since that attempt. */
export const RETRY_GROWTH = 1.5;

/** The bucket count at which a call site that did not compile after learning from `nTraces` traces is retried. */
export function retryAt(nTraces: number): number {
  return Math.ceil(Math.max(1, nTraces) * RETRY_GROWTH);
}

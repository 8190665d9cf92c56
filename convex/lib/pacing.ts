/** Most traces one replay tick moves: bounds the transaction whatever speedMs is. */
// 1000 keeps a 1 ms speed at its full rate with the 1 s cron, and a tick's writes well inside
// Convex's per-mutation limits (about four writes per trace).
export const MAX_PER_TICK = 1000;
export const DEFAULT_SPEED_MS = 1000;
/** 0 = as fast as possible: every tick (or daemon batch) takes as many as it may. */
export const MIN_SPEED_MS = 0;
export const MAX_SPEED_MS = 60_000;

export interface ReplayPlan {
  /** how many seed traces to move now (0 = not due) */
  n: number;
  /** the new replay_state.lastTickAt when n > 0 */
  nextLastTickAt: number;
}

/**
 * How many traces a tick at `now` replays. One trace is due every `speedMs` since the last one;
 * the cron fires every second, so a fast speed moves several per tick and a slow one skips ticks.
 * `lastTickAt` 0 means "never ticked" (fresh state, after reset or start): replay one at once
 * instead of a burst for all the time since the epoch.
 */
export function replayPlan(now: number, lastTickAt: number, speedMs: number, remaining: number): ReplayPlan {
  if (remaining <= 0) return { n: 0, nextLastTickAt: lastTickAt };
  if (speedMs <= 0) return { n: Math.min(MAX_PER_TICK, remaining), nextLastTickAt: now };
  if (lastTickAt <= 0) return { n: 1, nextLastTickAt: now };
  const elapsed = now - lastTickAt;
  if (elapsed < speedMs) return { n: 0, nextLastTickAt: lastTickAt };
  const due = Math.floor(elapsed / speedMs);
  const n = Math.max(1, Math.min(due, MAX_PER_TICK, remaining));
  // Keep the cadence exact (no drift from cron jitter) unless we are capped; then drop the backlog
  // so a long stall cannot turn into a minutes-long burst.
  const nextLastTickAt = n < due ? now : lastTickAt + n * speedMs;
  return { n, nextLastTickAt };
}

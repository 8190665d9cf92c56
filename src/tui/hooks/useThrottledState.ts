import { createContext, useCallback, useContext, useEffect, useRef, useState } from "react";

/** Default frame: ~12 fps. Bursts of subscription updates within one frame cost one render. */
export const DEFAULT_FRAME_MS = 80;

/**
 * One clock for the whole console: every throttled setter queues its flush here and all queued
 * flushes run in the same timer callback, which React 19 batches into a single render.
 */
export interface FrameBatcher {
  schedule(flush: () => void): void;
  /** Whether a flush is queued for the next frame (tests wait on this instead of on time). */
  busy(): boolean;
  dispose(): void;
}

export function createFrameBatcher(frameMs: number = DEFAULT_FRAME_MS): FrameBatcher {
  const pending = new Set<() => void>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastFlushAt = 0;
  let disposed = false;

  const flushAll = () => {
    timer = undefined;
    lastFlushAt = Date.now();
    const flushes = [...pending];
    pending.clear();
    for (const flush of flushes) flush();
  };

  return {
    schedule(flush) {
      if (disposed) return;
      pending.add(flush);
      if (timer !== undefined) return;
      // Leading edge: an update after a quiet spell shows at once; later ones wait for the frame.
      const wait = Math.max(0, lastFlushAt + frameMs - Date.now());
      timer = setTimeout(flushAll, wait);
      timer.unref?.();
    },
    busy() {
      return timer !== undefined;
    },
    dispose() {
      disposed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      pending.clear();
    },
  };
}

const fallbackBatcher = createFrameBatcher();
export const FrameBatcherContext = createContext<FrameBatcher>(fallbackBatcher);

/** useState whose setter is coalesced onto the console's frame clock: the last value in a frame wins. */
export function useThrottledState<T>(initial: T): [T, (value: T) => void] {
  const batcher = useContext(FrameBatcherContext);
  const [value, setValue] = useState<T>(initial);
  const latest = useRef<{ value: T } | null>(null);

  const flush = useCallback(() => {
    const next = latest.current;
    latest.current = null;
    if (next) setValue(() => next.value);
  }, []);

  const set = useCallback(
    (next: T) => {
      latest.current = { value: next };
      batcher.schedule(flush);
    },
    [batcher, flush],
  );

  useEffect(() => () => {
    latest.current = null;
  }, []);

  return [value, set];
}

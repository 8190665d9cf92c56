/** A call that did not answer in time. Its own class so failover reasons can say "timeout". */
export class CallTimeoutError extends Error {
  override name = "CallTimeoutError";
}

/**
 * Race a promise against a timer. The Tensorlake SDK's calls go through a native (Rust)
 * client that takes no AbortSignal, so a hung request cannot be cancelled from here; the
 * race at least frees the caller, and the SDK's own requestTimeout ends the request later.
 * When an AbortSignal-aware callee exists, pass it `signal` too.
 */
export async function withTimeout<T>(
  label: string,
  ms: number,
  start: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new CallTimeoutError(`${label} timed out after ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([start(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

import React from "react";
import { useInput } from "ink";
import { render } from "ink-testing-library";
import { App, type AppProps } from "../../src/tui/App.js";
import { createFrameBatcher, type FrameBatcher } from "../../src/tui/hooks/useThrottledState.js";
import { FakeClient } from "./fakeClient.js";
import { fullData } from "./fixtures.js";

export const KEYS = {
  tab: "\t",
  shiftTab: "\u001B[Z",
  enter: "\r",
  escape: "\u001B",
  up: "\u001B[A",
  down: "\u001B[B",
  backspace: "\u007F",
  ctrlC: "\u0003",
};

/** A pause between two looks at some state (polling); never a wait that a test's expectation relies on. */
export const tick = (ms = 200) => new Promise((resolve) => setTimeout(resolve, ms));

/** Terminal test doubles report 100 columns and no rows; tests size them like a real terminal. */
export function setSize(stdout: { emit(event: string): boolean }, columns: number, rows: number): void {
  Object.defineProperty(stdout, "columns", { value: columns, configurable: true });
  Object.defineProperty(stdout, "rows", { value: rows, configurable: true });
  stdout.emit("resize");
}

/** Counts every input event ink emits (rendered next to the App, it sees what the App's useInput sees, in the same emit). */
function KeyProbe({ seen }: { seen: { count: number } }): null {
  useInput(() => {
    seen.count++;
  });
  return null;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Waits until the console has no work left: no first result the fake client still has to deliver,
 * no frame the batcher still has to flush, and then a few event-loop turns without a new frame
 * (React commits and ink writes within those). Counted in turns of the event loop, not in
 * milliseconds, so a loaded machine only makes it slower, never wrong; `maxMs` only turns a hang
 * into a clear failure.
 */
export async function quiesce(client: FakeClient | undefined, batcher: FrameBatcher, frames: readonly unknown[], maxMs = 20_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  let count = frames.length;
  let quietTurns = 0;
  while (Date.now() < deadline) {
    await turn();
    const busy = (client?.pendingDeliveries ?? 0) > 0 || batcher.busy();
    if (busy) {
      // A frame is due on the batcher's timer: let timers run.
      await new Promise((resolve) => setTimeout(resolve, 1));
      quietTurns = 0;
    } else if (frames.length !== count) {
      count = frames.length;
      quietTurns = 0;
    } else if (++quietTurns >= 5) return;
  }
  throw new Error(`the console did not settle within ${maxMs} ms`);
}

export async function renderApp(props: Partial<AppProps> & { data?: Record<string, unknown>; columns?: number; rows?: number } = {}) {
  const client = (props.client as FakeClient | undefined) ?? new FakeClient(props.data ?? fullData());
  const fake = client instanceof FakeClient ? client : undefined;
  const quits: number[] = [];
  const onQuit = props.onQuit ?? (() => quits.push(Date.now()));
  const batcher = props.batcher ?? createFrameBatcher(1);
  const seen = { count: 0 };
  const app = render(
    <>
      <App frameMs={1} {...props} batcher={batcher} client={client} onQuit={onQuit} />
      <KeyProbe seen={seen} />
    </>,
  );
  setSize(app.stdout, props.columns ?? 100, props.rows ?? 30);
  const settled = () => quiesce(fake, batcher, app.frames);
  await settled();
  /**
   * Types each key and waits until the console has received it (a lone ESC reaches it only after
   * ink's own escape delay) and has finished what it started: waits on state, not on time.
   */
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      const before = seen.count;
      app.stdin.write(k);
      const deadline = Date.now() + 20_000;
      while (seen.count === before) {
        if (Date.now() > deadline) throw new Error(`ink never delivered the key ${JSON.stringify(k)}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      await settled();
    }
    await settled();
  };
  const frame = () => app.lastFrame() ?? "";
  return { ...app, client, quits, press, frame, settled };
}

/** Waits until the last frame contains `text` (at most `maxMs`), then checks it: a wait on state, not on time. */
export async function waitForFrame(app: { lastFrame(): string | undefined }, text: string, maxMs = 5000): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline && !(app.lastFrame() ?? "").includes(text)) await tick(10);
  if (!(app.lastFrame() ?? "").includes(text)) throw new Error(`the frame never showed ${JSON.stringify(text)}; last frame:\n${app.lastFrame() ?? ""}`);
}

import React from "react";
import { render } from "ink-testing-library";
import { App, type AppProps } from "../../src/tui/App.js";
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

// Generous by default: under a loaded CI machine a re-render after a pushed update can take a while.
export const tick = (ms = 200) => new Promise((resolve) => setTimeout(resolve, ms));

/** Terminal test doubles report 100 columns and no rows; tests size them like a real terminal. */
export function setSize(stdout: { emit(event: string): boolean }, columns: number, rows: number): void {
  Object.defineProperty(stdout, "columns", { value: columns, configurable: true });
  Object.defineProperty(stdout, "rows", { value: rows, configurable: true });
  stdout.emit("resize");
}

/** Waits until no new frame was written for `quietMs` (at most `maxMs`): the UI has settled. */
export async function settle(frames: readonly unknown[], quietMs = 40, maxMs = 1500): Promise<void> {
  const deadline = Date.now() + maxMs;
  let count = frames.length;
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    await tick(10);
    if (frames.length !== count) {
      count = frames.length;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= quietMs) return;
  }
}

export async function renderApp(props: Partial<AppProps> & { data?: Record<string, unknown>; columns?: number; rows?: number } = {}) {
  const client = (props.client as FakeClient | undefined) ?? new FakeClient(props.data ?? fullData());
  const quits: number[] = [];
  const onQuit = props.onQuit ?? (() => quits.push(Date.now()));
  const app = render(<App frameMs={1} {...props} client={client} onQuit={onQuit} />);
  setSize(app.stdout, props.columns ?? 100, props.rows ?? 30);
  await tick(20);
  await settle(app.frames);
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      app.stdin.write(k);
      // A lone ESC is held briefly by ink's parser in case a sequence follows.
      await tick(k === KEYS.escape ? 80 : 20);
    }
    await settle(app.frames);
  };
  const frame = () => app.lastFrame() ?? "";
  return { ...app, client, quits, press, frame };
}

/** Waits until the last frame contains `text` (at most `maxMs`), then checks it: a wait on state, not on time. */
export async function waitForFrame(app: { lastFrame(): string | undefined }, text: string, maxMs = 5000): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline && !(app.lastFrame() ?? "").includes(text)) await tick(10);
  if (!(app.lastFrame() ?? "").includes(text)) throw new Error(`the frame never showed ${JSON.stringify(text)}; last frame:\n${app.lastFrame() ?? ""}`);
}

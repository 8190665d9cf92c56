import { createElement } from "react";
import { render } from "ink";
import { api } from "../contract/api.js";
import type { BackendClient } from "../backend/client.js";
import { App } from "./App.js";
import type { VaultVerdict } from "./data.js";
import { duration } from "./format.js";
import { noColorFromEnv } from "./theme.js";

/** Ink's frame cap; subscription updates are batched to a similar clock inside the App. */
export const MAX_FPS = 12;

export interface ConsoleControls {
  /** Shows the in-process worker's state in the footer. */
  setWorkerStatus(status: string | undefined): void;
  /** Quits as if the user pressed q (e.g. on SIGTERM or when the worker dies). */
  quit(): void;
}

export interface ConsoleOptions {
  client: BackendClient;
  /** Defaults to NO_COLOR from the environment. */
  noColor?: boolean;
  /** Runs after the console left the alternate screen and before the summary: stop the worker here. */
  onExit?: () => void | Promise<void>;
  /** Receives the controls once the console is mounted. */
  onReady?: (controls: ConsoleControls) => void;
  workerStatus?: string;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** Passed to ink; by default ink decides from the TTY and CI detection. */
  interactive?: boolean;
  /** Route stray console.* output around the frame (default true; tests under vitest turn it off). */
  patchConsole?: boolean;
}

export interface ConsoleSummary {
  compiled: number;
  partial: number;
  waiting: number;
  rejected: number;
  position: number;
  total: number;
  /** Traces replayed while this console ran. */
  replayedThisSession: number;
  ranForMs: number;
}

/**
 * Runs the console in the alternate screen until the user quits (q / Ctrl-C) or SIGTERM, then
 * prints a short summary to the normal screen. The caller decides headless vs console (non-TTY
 * stdout must not get here).
 */
export async function runConsole(options: ConsoleOptions): Promise<ConsoleSummary | undefined> {
  const { client } = options;
  const stdout = options.stdout ?? process.stdout;
  const noColor = options.noColor ?? noColorFromEnv();
  const startedAt = Date.now();
  const startPosition = await withTimeout(client.query(api.daemon.replay.state, {}), 1000)
    .then((s) => s?.position ?? 0)
    .catch(() => 0);

  let requestQuit!: () => void;
  const quitRequested = new Promise<void>((resolve) => {
    requestQuit = resolve;
  });
  let workerStatus = options.workerStatus;
  const element = () => createElement(App, { client, onQuit: requestQuit, noColor, workerStatus });

  const instance = render(element(), {
    stdout,
    stdin: options.stdin ?? process.stdin,
    exitOnCtrlC: false, // Ctrl-C is a key of the keymap: it quits through the same path as q
    alternateScreen: true,
    maxFps: MAX_FPS,
    incrementalRendering: true,
    patchConsole: options.patchConsole ?? true,
    ...(options.interactive === undefined ? {} : { interactive: options.interactive }),
  });
  const onSignal = () => requestQuit();
  process.once("SIGTERM", onSignal);
  options.onReady?.({
    setWorkerStatus(status) {
      workerStatus = status;
      instance.rerender(element());
    },
    quit: requestQuit,
  });

  try {
    await quitRequested;
  } finally {
    process.off("SIGTERM", onSignal);
  }
  const summary = await readSummary(client, startPosition, startedAt).catch(() => undefined);
  instance.unmount();
  await instance.waitUntilExit().catch(() => undefined);
  await options.onExit?.();
  stdout.write(formatSummary(summary));
  return summary;
}

async function readSummary(client: BackendClient, startPosition: number, startedAt: number): Promise<ConsoleSummary | undefined> {
  const [vault, replay] = await Promise.all([
    withTimeout(client.query(api.daemon.vault.list, {}), 1500),
    withTimeout(client.query(api.daemon.replay.state, {}), 1500),
  ]);
  if (!vault || !replay) return undefined;
  const count = (verdict: VaultVerdict) => vault.filter((e) => e.verdict === verdict).length;
  return {
    compiled: count("compiled"),
    partial: count("partial"),
    waiting: count("waiting"),
    rejected: count("rejected"),
    position: replay.position,
    total: replay.total,
    replayedThisSession: Math.max(0, replay.position - startPosition),
    ranForMs: Date.now() - startedAt,
  };
}

export function formatSummary(s: ConsoleSummary | undefined): string {
  if (!s) return "compile-daemon: console closed (the backend did not answer for a summary).\n";
  return (
    `compile-daemon: console closed after ${duration(s.ranForMs)}. ` +
    `vault: ${s.compiled} compiled, ${s.partial} partial, ${s.waiting} waiting, ${s.rejected} rejected. ` +
    `replay: ${s.position}/${s.total} traces (${s.replayedThisSession} this session).\n`
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

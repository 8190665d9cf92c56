import type { Command } from "commander";
import { runConsole } from "../tui/render.js";
import type { LogEvent } from "../worker/log.js";
import { startDaemonProcess, type RunOptions } from "./daemonRunner.js";

/**
 * The console: one process, the worker in the background, ink in the foreground. The worker's
 * own log lines would tear the screen, so they become the footer's worker status instead.
 */
export async function runConsoleCommand(cmd: Command, opts: RunOptions & { color: boolean }): Promise<void> {
  let setStatus: ((s: string | undefined) => void) | undefined;
  let lastStatus: string | undefined;
  const onEvent = (e: LogEvent) => {
    if (e.type === "error") lastStatus = `error: ${String(e.message)}`;
    else if (e.type === "recovery") lastStatus = `compute fell back to local: ${String(e.reason)}`;
    else return;
    setStatus?.(lastStatus);
  };
  const quietLogger = { event: (e: LogEvent) => onEvent(e), warn: (m: string) => onEvent({ type: "error", message: m }) };
  const { client, daemon } = await startDaemonProcess(cmd, opts, quietLogger, false);
  await runConsole({
    client,
    noColor: !opts.color || Boolean(process.env.NO_COLOR),
    // We only get here with a TTY stdout; ink would otherwise go quiet whenever CI=true is set
    // (its CI detection), leaving a person at a real terminal with a blank screen.
    interactive: true,
    workerStatus: lastStatus,
    onReady: (controls) => {
      setStatus = (s) => controls.setWorkerStatus(s);
    },
    onExit: async () => {
      await daemon.stop(10_000).catch(() => undefined);
      await client.close().catch(() => undefined);
    },
  });
  process.exit(0);
}

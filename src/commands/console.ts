import type { Command } from "commander";
import { runConsole, type ConsoleControls } from "../tui/render.js";
import type { LogEvent } from "../worker/log.js";
import { startDaemonProcess, type RunOptions, type StartedDaemon } from "./daemonRunner.js";

/**
 * The console: one process, the worker in the background, ink in the foreground. The worker's
 * own log lines would tear the screen, so they become the footer's worker status instead.
 *
 * The console shows as soon as the backend is open, while the worker starts (seeding a first run,
 * registering its heartbeat): against a Convex deployment that cannot be reached, the worker's start
 * waits for it, and the footer already says "reconnecting" instead of a blank terminal. Should the
 * start fail, the console closes and the error is reported as before.
 */
export async function runConsoleCommand(cmd: Command, opts: RunOptions & { color: boolean }): Promise<void> {
  let setStatus: ((s: string | undefined) => void) | undefined;
  let lastStatus: string | undefined = "starting";
  const onEvent = (e: LogEvent) => {
    if (e.type === "error") lastStatus = `error: ${String(e.message)}`;
    else if (e.type === "recovery") lastStatus = `compute fell back to local: ${String(e.reason)}`;
    else return;
    setStatus?.(lastStatus);
  };
  const quietLogger = { event: (e: LogEvent) => onEvent(e), warn: (m: string) => onEvent({ type: "error", message: m }) };

  let controls: ConsoleControls | undefined;
  let consoleClosed: Promise<unknown> | undefined;
  let started: StartedDaemon | undefined;
  let quitting = false;
  let startError: { error: unknown } | undefined;
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  const starting = startDaemonProcess(cmd, opts, quietLogger, false, (client) => {
    opened();
    consoleClosed = runConsole({
      client,
      noColor: !opts.color || Boolean(process.env.NO_COLOR),
      // We only get here with a TTY stdout; ink would otherwise go quiet whenever CI=true is set
      // (its CI detection), leaving a person at a real terminal with a blank screen.
      interactive: true,
      workerStatus: lastStatus,
      onReady: (c) => {
        controls = c;
        setStatus = (s) => c.setWorkerStatus(s);
        c.setWorkerStatus(lastStatus);
        if (startError) c.quit();
      },
      onExit: async () => {
        quitting = true;
        await started?.daemon.stop(10_000).catch(() => undefined);
        await client.close().catch(() => undefined);
      },
    });
  }).then(
    (s) => {
      started = s;
      if (quitting) {
        void s.daemon.stop(10_000).catch(() => undefined);
        return;
      }
      if (lastStatus === "starting") lastStatus = undefined;
      setStatus?.(lastStatus);
    },
    (error: unknown) => {
      // A quit while the worker was starting closes the client under it: not a failure.
      if (quitting) return;
      startError = { error };
      controls?.quit();
    },
  );
  await Promise.race([open, starting]);
  if (!consoleClosed) {
    // The start failed before the backend was open (a bad --agent, an unusable state file).
    await starting;
    if (startError) throw startError.error;
  }
  await consoleClosed;
  if (startError) throw startError.error;
  process.exit(0);
}

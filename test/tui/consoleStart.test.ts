import { afterEach, describe, expect, test, vi } from "vitest";
import type { ConsoleControls, ConsoleOptions } from "../../src/tui/render.js";
import { FakeClient } from "./fakeClient.js";

// runConsoleCommand shows the console as soon as the backend is open and starts the worker behind
// it. Both halves are stood in for here, to drive the orders a real terminal cannot easily produce.
const h = vi.hoisted(() => ({
  start: undefined as undefined | ((onOpen: (client: unknown) => void) => Promise<unknown>),
  console: undefined as undefined | { options: ConsoleOptions; controls: ConsoleControls; statuses: (string | undefined)[] },
}));

vi.mock("../../src/commands/daemonRunner.js", () => ({
  startDaemonProcess: (_cmd: unknown, _opts: unknown, _logger: unknown, _signals: unknown, onOpen: (client: unknown) => void) => h.start!(onOpen),
}));

vi.mock("../../src/tui/render.js", () => ({
  runConsole: (options: ConsoleOptions) =>
    new Promise((resolve) => {
      const statuses: (string | undefined)[] = [options.workerStatus];
      const controls: ConsoleControls = {
        setWorkerStatus: (s) => statuses.push(s),
        quit: () => void Promise.resolve(options.onExit?.()).then(() => resolve(undefined)),
      };
      h.console = { options, controls, statuses };
      // The real console reads the replay state before it draws and calls onReady.
      setTimeout(() => options.onReady?.(controls), 5);
    }),
}));

const { runConsoleCommand } = await import("../../src/commands/console.js");

const waitUntil = async (ok: () => boolean) => {
  while (!ok()) await new Promise((r) => setTimeout(r, 2));
};

afterEach(() => {
  h.start = undefined;
  h.console = undefined;
  vi.restoreAllMocks();
});

describe("tui start order", () => {
  test("the console shows while the worker is still starting, says so, and drops the word once it runs", async () => {
    const client = new FakeClient();
    let finish!: () => void;
    const stop = vi.fn(async () => {});
    h.start = (onOpen) => {
      onOpen(client);
      return new Promise((resolve) => (finish = () => resolve({ client, daemon: { stop } })));
    };
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const done = runConsoleCommand({} as never, { color: false } as never);
    await waitUntil(() => h.console !== undefined && h.console.statuses.length > 1);
    expect(h.console!.statuses).toEqual(["starting", "starting"]);
    finish();
    await waitUntil(() => h.console!.statuses.length > 2);
    expect(h.console!.statuses.at(-1)).toBeUndefined();
    h.console!.controls.quit();
    await done;
    expect(stop).toHaveBeenCalledOnce();
    expect(exit).toHaveBeenCalledWith(0);
  });

  test("a start that fails after the backend opened closes the console and reports the error", async () => {
    const client = new FakeClient();
    const closed = vi.spyOn(client, "close");
    h.start = async (onOpen) => {
      onOpen(client);
      await new Promise((r) => setTimeout(r, 1));
      throw new Error("backend refused: unauthorized");
    };
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    await expect(runConsoleCommand({} as never, { color: false } as never)).rejects.toThrow("backend refused: unauthorized");
    expect(closed).toHaveBeenCalled();
    expect(exit).not.toHaveBeenCalled();
  });

  test("a start that fails before the backend opened reports the error without a console", async () => {
    h.start = async () => {
      throw new Error("--agent x is not a directory");
    };
    await expect(runConsoleCommand({} as never, { color: false } as never)).rejects.toThrow("is not a directory");
    expect(h.console).toBeUndefined();
  });

  test("q while the worker is still starting exits 0; the start failing under the closed client is no error", async () => {
    const client = new FakeClient();
    let fail!: (e: Error) => void;
    h.start = (onOpen) => {
      onOpen(client);
      return new Promise((_resolve, reject) => (fail = reject));
    };
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const done = runConsoleCommand({} as never, { color: false } as never);
    await waitUntil(() => h.console !== undefined && h.console.statuses.length > 1);
    h.console!.controls.quit();
    await waitUntil(() => exit.mock.calls.length > 0 || false);
    fail(new Error("client closed"));
    await done;
    expect(exit).toHaveBeenCalledWith(0);
  });
});

import { EventEmitter } from "node:events";
import { expect, test } from "vitest";
import { formatSummary, runConsole } from "../../src/tui/render.js";
import { FakeClient } from "./fakeClient.js";
import { fullData, replay } from "./fixtures.js";

class FakeStdout extends EventEmitter {
  isTTY = true;
  columns = 100;
  rows = 30;
  output = "";
  write(chunk: string | Uint8Array, ...rest: unknown[]): boolean {
    this.output += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    const cb = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    cb?.();
    return true;
  }
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  private chunks: string[] = [];
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read(): string | null {
    return this.chunks.shift() ?? null;
  }
  type(data: string) {
    this.chunks.push(data);
    this.emit("readable");
  }
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("runConsole: alternate screen while running; q leaves it, runs onExit, then prints a summary", async () => {
  const client = new FakeClient(fullData());
  const stdout = new FakeStdout();
  const stdin = new FakeStdin();
  const events: string[] = [];
  const done = runConsole({
    client,
    noColor: true,
    interactive: true,
    patchConsole: false,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    onExit: async () => {
      events.push(`exit:${stdout.output.includes("console closed")}`);
    },
  });
  // Until the first full frame is on screen: a wait on what was written, not on time.
  const deadline = Date.now() + 20_000;
  while (!stdout.output.includes("Heartbeat") && Date.now() < deadline) await tick(10);
  expect(stdout.output).toContain("\u001B[?1049h");
  expect(stdout.output).toContain("Heartbeat");
  // The replay moved on while the console ran.
  client.push("daemon/replay:state", { ...replay, position: 170 });
  stdin.type("q");
  const summary = await done;
  expect(events).toEqual(["exit:false"]);
  expect(summary).toMatchObject({ compiled: 1, partial: 1, waiting: 1, rejected: 1, position: 170, total: 250, replayedThisSession: 50 });
  const leave = stdout.output.lastIndexOf("\u001B[?1049l");
  expect(leave).toBeGreaterThan(-1);
  const after = stdout.output.slice(leave);
  expect(after).toContain("vault: 1 compiled, 1 partial, 1 waiting, 1 rejected. replay: 170/250 traces (50 this session).");
  expect(client.mutations).toEqual([]);
});

test("formatSummary without an answer from the backend", () => {
  expect(formatSummary(undefined)).toContain("console closed");
});

/**
 * The console in a real terminal: a private tmux server (its own socket in the run's temp dir, so
 * nobody else's sessions are touched), a 100x30 pane, and `pipe-pane` copying every byte the
 * console writes to a file.
 *
 * Frames are counted as ink's synchronized-update openings (ESC [ ? 2026 h): ink wraps every frame
 * it writes to an interactive TTY in BSU/ESU (write-synchronized.js), so one opening is one redraw,
 * whatever the frame's size or how the pty chunked it. CI must not be set (ink then skips BSU):
 * the pane gets a small explicit environment without it. The process is started behind a gate (a file the pane waits for) so the
 * pipe is attached before the console writes its first byte.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { processTree } from "./proc.js";
import { sleep } from "./stats.js";

export const BSU = Buffer.from("\x1b[?2026h");

export function hasTmux(): boolean {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export function countFrames(buf: Buffer, from = 0, to = buf.length): number {
  let n = 0;
  let i = buf.indexOf(BSU, from);
  while (i !== -1 && i < to) {
    n++;
    i = buf.indexOf(BSU, i + BSU.length);
  }
  return n;
}

const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export class TmuxConsole {
  readonly socket: string;
  readonly session = "bench";
  readonly raw: string;
  private readonly gate: string;
  pid = 0;
  startedAt = 0;

  constructor(
    readonly dir: string,
    readonly argv: string[],
    readonly env: NodeJS.ProcessEnv,
    readonly size = { cols: 100, rows: 30 },
  ) {
    // A socket inside the run's temp dir: removed with it, and no other tmux user can see it.
    this.socket = path.join(dir, "tmux.sock");
    this.raw = path.join(dir, "pane.raw");
    this.gate = path.join(dir, "go");
  }

  private tmux(...args: string[]): string {
    return execFileSync("tmux", ["-S", this.socket, "-f", "/dev/null", ...args], { encoding: "utf8", env: this.env, stdio: ["ignore", "pipe", "pipe"] });
  }

  /** Starts the pane, attaches the pipe, then opens the gate; startedAt is when the gate opened. */
  async start(): Promise<void> {
    writeFileSync(this.raw, "");
    const vars = Object.entries(this.env)
      .filter(([k, v]) => v !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      .map(([k, v]) => `${k}=${shq(v!)}`)
      .join(" ");
    const cmd = `while [ ! -e ${shq(this.gate)} ]; do sleep 0.005; done; exec env -i ${vars} TERM=xterm-256color ${this.argv.map(shq).join(" ")}`;
    this.tmux("new-session", "-d", "-s", this.session, "-x", String(this.size.cols), "-y", String(this.size.rows), cmd);
    this.tmux("set-option", "-t", this.session, "remain-on-exit", "off");
    this.tmux("pipe-pane", "-t", this.session, "-o", `cat >> ${shq(this.raw)}`);
    const panePid = Number(this.tmux("list-panes", "-t", this.session, "-F", "#{pane_pid}").trim());
    writeFileSync(this.gate, "");
    this.startedAt = performance.now();
    // The pane's shell execs `env`, which execs node: wait until the pane's process is node.
    for (let i = 0; i < 400; i++) {
      const pid = processTree(panePid).find((p) => exeName(p) === "node");
      if (pid) {
        this.pid = pid;
        return;
      }
      await sleep(5);
    }
    throw new Error("the console process did not start in the tmux pane");
  }

  bytes(): number {
    return existsSync(this.raw) ? statSync(this.raw).size : 0;
  }

  output(): Buffer {
    return readFileSync(this.raw);
  }

  /** Milliseconds from the gate opening to the first frame (first BSU in the pane output). */
  async firstFrameMs(timeoutMs = 20_000): Promise<number> {
    let scanned = 0;
    for (;;) {
      const size = this.bytes();
      if (size > scanned) {
        const buf = this.output();
        const at = buf.indexOf(BSU, Math.max(0, scanned - BSU.length));
        if (at !== -1) return performance.now() - this.startedAt;
        scanned = buf.length;
      }
      if (performance.now() - this.startedAt > timeoutMs) throw new Error(`no frame within ${timeoutMs} ms`);
      if (!this.alive()) throw new Error(`the console exited before its first frame: ${this.capture()}`);
      await sleep(2);
    }
  }

  alive(): boolean {
    return this.pid > 0 && existsSync(`/proc/${this.pid}`);
  }

  capture(): string {
    try {
      return this.tmux("capture-pane", "-p", "-t", this.session);
    } catch {
      return "(pane gone)";
    }
  }

  sendKeys(...keys: string[]): void {
    this.tmux("send-keys", "-t", this.session, ...keys);
  }

  /** q, then wait for the process to leave; the tmux server is always removed. Returns ms to exit or NaN. */
  async quit(timeoutMs = 15_000): Promise<number> {
    const t0 = performance.now();
    try {
      if (this.alive()) this.sendKeys("q");
      while (this.alive() && performance.now() - t0 < timeoutMs) await sleep(20);
      return this.alive() ? Number.NaN : performance.now() - t0;
    } finally {
      if (this.alive()) process.kill(this.pid, "SIGKILL");
      try {
        this.tmux("kill-server");
      } catch {
        // already gone with its last session
      }
    }
  }
}

function exeName(pid: number): string | undefined {
  try {
    return path.basename(readlinkSync(`/proc/${pid}/exe`));
  } catch {
    return undefined;
  }
}

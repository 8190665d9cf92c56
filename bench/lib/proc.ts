/**
 * CPU and memory of a process tree from /proc (Linux only). CPU is utime+stime of the root and of
 * its live descendants, plus the root's cutime+cstime so children that exited inside the window
 * still count. Percentages are of one core.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { sleep } from "./stats.js";

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface Stat {
  ppid: number;
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
}

function readStat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces and parentheses: fields start after the last ")".
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(f[1]), utime: Number(f[11]), stime: Number(f[12]), cutime: Number(f[13]), cstime: Number(f[14]) };
  } catch {
    return undefined;
  }
}

/** The root and every live descendant. */
export function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) parents.set(Number(name), s.ppid);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parents) if (ppid === tree[i] && !tree.includes(pid)) tree.push(pid);
  return tree;
}

/** Total CPU ticks of the tree so far; undefined when the root is gone. */
export function cpuTicks(root: number): number | undefined {
  const r = readStat(root);
  if (!r) return undefined;
  let ticks = r.utime + r.stime + r.cutime + r.cstime;
  for (const pid of processTree(root).slice(1)) {
    const s = readStat(pid);
    if (s) ticks += s.utime + s.stime;
  }
  return ticks;
}

/** Resident memory of the tree in MB (sum of VmRSS). */
export function rssMb(root: number): number | undefined {
  let kb = 0;
  let seen = false;
  for (const pid of processTree(root)) {
    try {
      const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) {
        kb += Number(m[1]);
        seen = true;
      }
    } catch {
      // exited between the listing and the read
    }
  }
  return seen ? kb / 1024 : undefined;
}

export interface Window {
  ms: number;
  cpuPct: number;
  rssMedianMb: number;
  rssMaxMb: number;
}

/** Samples the tree for `ms` (RSS every `everyMs`), CPU from the tick difference over the wall time. */
export async function sampleWindow(root: number, ms: number, everyMs = 1000): Promise<Window> {
  const t0 = performance.now();
  const c0 = cpuTicks(root);
  const rss: number[] = [];
  while (performance.now() - t0 < ms) {
    const r = rssMb(root);
    if (r !== undefined) rss.push(r);
    await sleep(Math.min(everyMs, Math.max(0, ms - (performance.now() - t0))));
  }
  const c1 = cpuTicks(root);
  const wall = performance.now() - t0;
  if (c0 === undefined || c1 === undefined) throw new Error(`process ${root} exited during the sampling window`);
  const r = rssMb(root);
  if (r !== undefined) rss.push(r);
  rss.sort((a, b) => a - b);
  return { ms: wall, cpuPct: ((c1 - c0) / CLK_TCK / (wall / 1000)) * 100, rssMedianMb: rss[rss.length >> 1] ?? Number.NaN, rssMaxMb: rss[rss.length - 1] ?? Number.NaN };
}

import { parentPort, workerData } from "node:worker_threads";
import { scanInProcess } from "./scanner.js";

// Entry of the short-lived scan thread (see scanner.ts): scan, answer, exit.
const { dir } = workerData as { dir: string };
try {
  parentPort!.postMessage({ ok: true, scan: await scanInProcess(dir) });
} catch (e) {
  parentPort!.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
}

// Stage-2 pieces for the compute tests. TEMPORARY stand-ins for the compiler's
// STAGE2_EVAL_SCRIPT and createLocalStage2Runner() until src/compiler/index.ts lands; they
// honour the same contract (argv[2] = JSON file of { code, inputs }; stdout = Stage2Output).

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stage2Output, Stage2Runner } from "../../../src/worker/compute/types.js";

export const EVAL_SCRIPT = `
import { readFileSync } from "node:fs";
const { code, inputs } = JSON.parse(readFileSync(process.argv[2], "utf8"));
const load = async (tag) =>
  (await import("data:text/javascript;base64," + Buffer.from(code + "\\n// " + tag).toString("base64"))).default;
const out = { outputs: [], secondOutputs: new Array(inputs.length).fill(null), errors: 0, failed: [] };
const failed = new Set();
const call = (fn, i) => {
  try { return JSON.parse(JSON.stringify(fn(structuredClone(inputs[i])) ?? null)); }
  catch (e) { out.errors++; failed.add(i); out.firstError ??= String(e && e.message || e); return null; }
};
const first = await load("first");
for (let i = 0; i < inputs.length; i++) out.outputs.push(call(first, i));
const second = await load("second"); // fresh module instance, reversed order: the det pass
for (let i = inputs.length - 1; i >= 0; i--) out.secondOutputs[i] = call(second, i);
out.failed = [...failed].sort((a, b) => a - b);
process.stdout.write(JSON.stringify(out) + "\\n");
`;

/** Runs EVAL_SCRIPT in a child Node process: the same evaluation the sandbox performs. */
export function createFixtureLocalRunner(): Stage2Runner & { calls: number } {
  const runner = {
    name: "local",
    calls: 0,
    async run(code: string, inputs: unknown[], onProgress?: (done: number) => void): Promise<Stage2Output> {
      runner.calls++;
      const dir = mkdtempSync(join(tmpdir(), "stage2-local-"));
      try {
        writeFileSync(join(dir, "eval.mjs"), EVAL_SCRIPT);
        writeFileSync(join(dir, "input.json"), JSON.stringify({ code, inputs }));
        const stdout = await new Promise<string>((resolve, reject) =>
          execFile(process.execPath, [join(dir, "eval.mjs"), join(dir, "input.json")], { maxBuffer: 64 << 20 }, (err, out) =>
            err ? reject(err) : resolve(out),
          ),
        );
        onProgress?.(inputs.length);
        return JSON.parse(stdout) as Stage2Output;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  return runner;
}

/** A compiled function with a failing branch, so `errors`/`failed` merging is exercised too. */
export const CODE = `export default function compiled(input) {
  if (input.n % 97 === 13) throw new Error("unlucky " + input.n);
  return { tier: input.n > 500 ? "hot" : input.n > 100 ? "warm" : "cold", name: String(input.name).toUpperCase() };
}`;

export const INPUTS: unknown[] = Array.from({ length: 1000 }, (_, n) => ({ n, name: `lead-${n}` }));

import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { closeSandboxes, createLocalStage2Runner, createQuickJsRunner, runEnvelope, STAGE2_EVAL_SCRIPT } from "../../src/compiler/index.js";

afterAll(() => closeSandboxes());

const program = (body: string) => `export default function compiled(input) {\n${body}\n}\n`;
const inputs = Array.from({ length: 600 }, (_, i) => ({ n: i, word: i % 3 === 0 ? "fizz" : "buzz" }));
const doubling = program("  return { doubled: input.n * 2, word: input.word.toUpperCase() };");

describe("stage-2 sandboxes", () => {
  it("evaluates every input twice and reports progress", async () => {
    const progress: number[] = [];
    const result = await createLocalStage2Runner().run(doubling, inputs, (done) => progress.push(done));
    expect(result.errors).toBe(0);
    expect(result.outputs[7]).toEqual({ doubled: 14, word: "BUZZ" });
    expect(result.secondOutputs).toEqual(result.outputs);
    expect(result.abstained).toEqual([]);
    expect(result.secondAbstained).toEqual([]);
    expect(progress.at(-1)).toBe(600);
  });

  it("gives identical results through the self-contained remote script", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stage2-"));
    writeFileSync(join(dir, "eval.mjs"), STAGE2_EVAL_SCRIPT);
    const chunk = inputs.slice(0, 250);
    writeFileSync(join(dir, "job.json"), JSON.stringify({ code: doubling, inputs: chunk, seed: 7 }));
    const remote = JSON.parse(execFileSync(process.execPath, [join(dir, "eval.mjs"), join(dir, "job.json")], { encoding: "utf8" }));
    const local = await createLocalStage2Runner().run(doubling, chunk);
    expect(remote).toEqual(JSON.parse(JSON.stringify(local)));
  });

  it("reports abstentions (undefined) apart from null answers and from calls that threw, in both passes", async () => {
    // n % 4: 0 abstains, 1 answers null, 2 throws, 3 answers n.
    const abstaining = program('  if (input.n % 4 === 0) return undefined;\n  if (input.n % 4 === 1) return null;\n  if (input.n % 4 === 2) throw new Error("no " + input.n);\n  return input.n;');
    const some = inputs.slice(0, 300);
    const expectAbstained = some.flatMap((input, i) => (input.n % 4 === 0 ? [i] : []));
    const expectFailed = some.flatMap((input, i) => (input.n % 4 === 2 ? [i] : []));
    const local = await createLocalStage2Runner().run(abstaining, some);
    const quickjs = await createQuickJsRunner().run(abstaining, some);
    for (const [name, result] of [["local", local], ["quickjs", quickjs]] as const) {
      expect([...result.abstained].sort((a, b) => a - b), name).toEqual(expectAbstained);
      expect([...result.secondAbstained].sort((a, b) => a - b), name).toEqual(expectAbstained);
      expect([...result.failed].sort((a, b) => a - b), name).toEqual(expectFailed);
      expect(result.errors, name).toBe(2 * expectFailed.length);
      expect(result.firstError, name).toMatch(/^no \d+$/);
      expect(result.outputs[1], name).toBeNull(); // n = 1: a null answer, not an abstention
      expect(result.abstained.includes(1), name).toBe(false);
      expect(result.outputs[3], name).toBe(3);
    }
    const once = await createQuickJsRunner().runOnce(abstaining, some);
    expect(once.abstained).toEqual(expectAbstained);
    expect(once.errors).toBe(expectFailed.length);
  });

  it("gives the same abstentions through the self-contained remote script", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stage2-"));
    writeFileSync(join(dir, "eval.mjs"), STAGE2_EVAL_SCRIPT);
    const abstaining = program("  return input.word === \"fizz\" ? undefined : input.n;");
    const chunk = inputs.slice(0, 250);
    writeFileSync(join(dir, "job.json"), JSON.stringify({ code: abstaining, inputs: chunk, seed: 7 }));
    const remote = JSON.parse(execFileSync(process.execPath, [join(dir, "eval.mjs"), join(dir, "job.json")], { encoding: "utf8" }));
    const local = await createLocalStage2Runner().run(abstaining, chunk);
    expect(remote).toEqual(JSON.parse(JSON.stringify(local)));
    expect(local.abstained).toEqual(chunk.flatMap((input, i) => (input.word === "fizz" ? [i] : [])));
  });

  it("keeps the host out of reach: no process, no code generation from strings", async () => {
    const probe = program('  return { process: typeof process, require: typeof require, escaped: (() => { try { return "".constructor.constructor("return typeof process")(); } catch (err) { return "blocked"; } })() };');
    const result = await createLocalStage2Runner().run(probe, [{}]);
    expect(result.outputs[0]).toEqual({ process: "undefined", require: "undefined", escaped: "blocked" });
  });

  it("stops code that never returns, and counts its calls as failed", async () => {
    const started = performance.now();
    const result = await createLocalStage2Runner().run(program("  for (;;) {}"), [{}, {}]);
    expect(result.errors).toBe(4);
    expect(result.firstError).toMatch(/timed out/i);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("counts a program that exhausts its sandbox process's memory as failed, and keeps going", async () => {
    const hog = program("  const parts = [];\n  for (let i = 0; i < 1e9; i++) parts.push('x'.repeat(1e6) + i);\n  return parts.length;");
    const result = await createLocalStage2Runner().run(hog, [{}]);
    expect(result.errors).toBe(2);
    expect(result.firstError).toMatch(/memory|exited|terminated|timed out/i);
    const after = await createLocalStage2Runner().run(doubling, [{ n: 1, word: "a" }]);
    expect(after.outputs[0]).toEqual({ doubled: 2, word: "A" });
  });

  it("catches nondeterminism in the second pass", async () => {
    // A counter in module state: the answer depends on call order, which the shuffled pass changes.
    const stateful = `let calls = 0;\n${program("  calls += 1; return calls;")}`;
    const result = await createLocalStage2Runner().run(stateful, inputs.slice(0, 50));
    const same = result.outputs.filter((output, i) => output === result.secondOutputs[i]).length;
    expect(same).toBeLessThan(50);
  });

  it("runs LLM code in QuickJS, with a deadline and no host globals", async () => {
    const quickjs = createQuickJsRunner(300);
    const ok = await quickjs.run(program("  return { doubled: input.n * 2, host: typeof process };"), [{ n: 2 }]);
    expect(ok.outputs[0]).toEqual({ doubled: 4, host: "undefined" });
    const looping = await quickjs.run(program("  while (true) {}"), [{ n: 1 }]);
    expect(looping.errors).toBe(2);
  });

  it("records an envelope of the agent's fixtures with time per call", async () => {
    const envelope = await runEnvelope(doubling, [{ n: 1, word: "a" }, { n: 2, word: "b" }]);
    expect(envelope.calls.map((call) => call.output)).toEqual([
      { doubled: 2, word: "A" },
      { doubled: 4, word: "B" },
    ]);
    for (const call of envelope.calls) expect(call.micros).toBeGreaterThan(0);
  });
});

describe("the worker pool between compiles", () => {
  it("retires its workers after an idle spell and starts fresh ones for the next job", async () => {
    const { WorkerPool } = await import("../../src/compiler/sandbox/workerPool.js");
    const { createLocalStage2Runner: runnerOn } = await import("../../src/compiler/sandbox/localRunner.js");
    const pool = new WorkerPool(2, 200);
    try {
      const runner = runnerOn(pool);
      const code = "export default function compiled(input) { return input.n + 1; }";
      const first = await runner.run(code, [{ n: 1 }, { n: 2 }]);
      expect(first.outputs).toEqual([2, 3]);
      expect(pool.liveWorkers).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 600));
      expect(pool.liveWorkers).toBe(0);
      const again = await runner.run(code, [{ n: 41 }]);
      expect(again.outputs).toEqual([42]);
    } finally {
      await pool.close();
    }
  });

  it("rejects the job of a child that dies on its heap cap, replaces the child and runs the next job", async () => {
    const { WorkerPool } = await import("../../src/compiler/sandbox/workerPool.js");
    const pool = new WorkerPool(1, 10_000);
    try {
      const hog = program("  const parts = [];\n  for (let i = 0; i < 1e9; i++) parts.push('x'.repeat(1e6) + i);\n  return parts.length;");
      const lost = await pool.run({ kind: "evaluate", code: hog, inputs: [{}], timeoutMs: 60_000 }, 60_000).then(
        () => new Error("the hog answered"),
        (err: unknown) => err,
      );
      expect(lost).toBeInstanceOf(Error);
      expect((lost as Error).message).toMatch(/^sandbox process (ended by SIG[A-Z]+|exited with code \d+)/);
      expect((lost as Error).message).toMatch(/memory|SIGABRT|SIGTRAP|SIGSEGV/);
      const after = await pool.run<{ outputs: unknown[] }>({ kind: "evaluate", code: doubling, inputs: [{ n: 3, word: "b" }] });
      expect(after.outputs).toEqual([{ doubled: 6, word: "B" }]);
      expect(pool.liveWorkers).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it.runIf(process.platform === "linux")("rejects the job of a child killed by a signal (a V8 crash), and the test process lives on", async () => {
    const { WorkerPool } = await import("../../src/compiler/sandbox/workerPool.js");
    const pool = new WorkerPool(1, 10_000);
    try {
      const before = childPids();
      pool.warm();
      const [pid] = childPids().filter((candidate) => !before.includes(candidate));
      expect(pid).toBeGreaterThan(0);
      // The vm would stop this loop only after a minute: the signal comes first, as a crash would.
      const job = pool.run({ kind: "evaluate", code: program("  for (;;) {}"), inputs: [{}], timeoutMs: 60_000 }, 120_000);
      const outcome = job.then(
        () => new Error("the loop answered"),
        (err: unknown) => err,
      );
      await new Promise((r) => setTimeout(r, 300));
      process.kill(pid, "SIGSEGV");
      const lost = await outcome;
      expect(lost).toBeInstanceOf(Error);
      expect((lost as Error).message).toMatch(/^sandbox process ended by SIGSEGV/);
      expect(pool.liveWorkers).toBe(0);
      const after = await pool.run<{ outputs: unknown[] }>({ kind: "evaluate", code: doubling, inputs: [{ n: 5, word: "c" }] });
      expect(after.outputs).toEqual([{ doubled: 10, word: "C" }]);
      expect(pool.liveWorkers).toBe(1);
      expect(childPids()).not.toContain(pid);
    } finally {
      await pool.close();
    }
  });

  it("kills a child past its job's hard limit and rejects the job, saying so", async () => {
    const { WorkerPool } = await import("../../src/compiler/sandbox/workerPool.js");
    const pool = new WorkerPool(1, 10_000);
    try {
      const started = performance.now();
      const lost = await pool.run({ kind: "evaluate", code: program("  for (;;) {}"), inputs: [{}], timeoutMs: 60_000 }, 1_000).then(
        () => new Error("the loop answered"),
        (err: unknown) => err,
      );
      expect((lost as Error).message).toMatch(/exceeded 1000 ms/);
      expect(performance.now() - started).toBeLessThan(30_000);
      const after = await pool.run<{ outputs: unknown[] }>({ kind: "evaluate", code: doubling, inputs: [{ n: 1, word: "a" }] });
      expect(after.outputs).toEqual([{ doubled: 2, word: "A" }]);
    } finally {
      await pool.close();
    }
  });

  it("carries a message of several MB each way", async () => {
    const { WorkerPool } = await import("../../src/compiler/sandbox/workerPool.js");
    const pool = new WorkerPool(1, 10_000);
    try {
      const many = Array.from({ length: 20_000 }, (_, i) => ({ n: i, word: `${"w".repeat(200)}${i}` }));
      const echo = program("  return input.word;");
      const result = await pool.run<{ outputs: unknown[]; errors: number }>({ kind: "evaluate", code: echo, inputs: many, singlePass: true }, 120_000);
      expect(result.errors).toBe(0);
      expect(result.outputs).toEqual(many.map((input) => input.word));
    } finally {
      await pool.close();
    }
  });

  it("sees none of the parent's environment", async () => {
    const { WorkerPool } = await import("../../src/compiler/sandbox/workerPool.js");
    process.env.COMPILE_TEST_SECRET = "leak";
    const pool = new WorkerPool(1, 10_000);
    try {
      pool.warm();
      if (process.platform === "linux") {
        for (const pid of childPids()) {
          const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
          if (!cmdline.includes("--max-old-space-size=256")) continue;
          const environ = readFileSync(`/proc/${pid}/environ`, "utf8");
          expect(environ).not.toContain("COMPILE_TEST_SECRET");
          expect(environ).not.toContain("PATH=");
        }
      }
    } finally {
      delete process.env.COMPILE_TEST_SECRET;
      await pool.close();
    }
  });

  it("lets a process that is done exit while its pool's children sit idle", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pool-exit-"));
    const script = join(dir, "run.mts");
    const poolUrl = new URL("../../src/compiler/sandbox/workerPool.ts", import.meta.url).href;
    writeFileSync(
      script,
      `import { WorkerPool } from ${JSON.stringify(poolUrl)};\nconst pool = new WorkerPool(2, 600_000);\npool.warm();\nconst out = await pool.run({ kind: "evaluate", code: "export default function compiled(input) { return input.n + 1; }", inputs: [{ n: 1 }] });\nconsole.log(JSON.stringify(out.outputs));\n`,
    );
    const started = performance.now();
    // Without the unref of each idle child (process and IPC channel) this would wait for the
    // pool's idle retirement (ten minutes here): the command would be killed at its timeout.
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", script], { timeout: 60_000 });
    expect(stdout.trim()).toBe("[2]");
    expect(performance.now() - started).toBeLessThan(60_000);
  });

  it("lets a command that awaits close() with nothing else pending run to its end (exit 0)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pool-close-"));
    const script = join(dir, "run.mts");
    const poolUrl = new URL("../../src/compiler/sandbox/workerPool.ts", import.meta.url).href;
    // `compile --traces` ends this way: its last await is the pool's close(), whose idle children
    // are unref'd. If nothing kept the loop alive until they exit, Node would quit mid-await
    // ("unsettled top-level await", exit code 13) before the line after it.
    writeFileSync(
      script,
      `import { WorkerPool } from ${JSON.stringify(poolUrl)};
const pool = new WorkerPool(2, 600_000);
pool.warm();
await pool.run({ kind: "evaluate", code: "export default function compiled(input) { return input.n; }", inputs: [{ n: 1 }] });
await pool.close();
console.log("closed");
`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", script], { timeout: 60_000 });
    expect(stdout.trim()).toBe("closed");
  });
});

/** This process's children (Linux). */
function childPids(): number[] {
  const tasks = `/proc/${process.pid}/task`;
  if (!existsSync(tasks)) return [];
  return readdirSync(tasks).flatMap((task) => {
    try {
      return readFileSync(`${tasks}/${task}/children`, "utf8").split(" ").filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
}

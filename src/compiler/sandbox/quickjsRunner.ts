import { spawn } from "node:child_process";
import type { Stage2Output, Stage2Runner } from "../types.js";
import { ABSTAIN, PASS_SOURCE } from "./passSource.js";
import { SHUFFLE_SEED } from "./localRunner.js";

const MEMORY_LIMIT_BYTES = 32 * 1024 * 1024;
const STACK_LIMIT_BYTES = 512 * 1024;
/** How long the child may live beyond its passes' own deadlines (start-up, loading QuickJS). */
const CHILD_GRACE_MS = 15_000;

/** Same seeded shuffle as the vm sandbox's second pass. */
function shuffleOrder(n: number, seed: number): number[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

interface PassResult {
  answers: (string | null)[];
  firstError: string | null;
}

/**
 * The child process's program. Each pass runs in a brand-new QuickJS runtime (its own heap, memory
 * and time limits). It runs in a process of its own because hostile code that breaks the
 * WebAssembly engine (a native stack overflow) ends with a signal, which would otherwise take the
 * daemon down with it; here it only ends the child, and the parent reports the code as failing.
 */
const CHILD_SOURCE = `
const { getQuickJS, shouldInterruptAfterDeadline } = await import(process.env.COMPILE_QUICKJS_URL);
let text = "";
for await (const chunk of process.stdin) text += chunk;
const request = JSON.parse(text);
const quickjs = await getQuickJS();
const runPass = (order) => {
  const runtime = quickjs.newRuntime();
  runtime.setMemoryLimit(request.memoryLimit);
  runtime.setMaxStackSize(request.stackLimit);
  runtime.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + request.timeoutMs));
  const context = runtime.newContext();
  try {
    for (const [name, value] of [["__compileInputs", request.inputsJson], ["__compileOrder", JSON.stringify(order)]]) {
      const handle = context.newString(value);
      context.setProp(context.global, name, handle);
      handle.dispose();
    }
    const script = request.code.replace(/^export default (?=function compiled\\b)/m, "");
    const defined = context.evalCode(script, "compiled.js");
    if (defined.error) {
      const dumped = context.dump(defined.error);
      defined.error.dispose();
      return { answers: order.map(() => null), firstError: String(dumped?.message ?? dumped) };
    }
    defined.value.dispose();
    const result = context.evalCode(request.passSource, "pass.js");
    if (result.error) {
      const dumped = context.dump(result.error);
      result.error.dispose();
      return { answers: order.map(() => null), firstError: String(dumped?.message ?? "interrupted") };
    }
    const parsed = JSON.parse(context.getString(result.value));
    result.value.dispose();
    return parsed;
  } finally {
    context.dispose();
    runtime.dispose();
  }
};
process.stdout.write(JSON.stringify(request.orders.map(runPass)));
`;

/** Runs the passes (one per order) in a child process; a crash of the child fails every input. */
async function runPasses(code: string, inputsJson: string, orders: number[][], timeoutMs: number): Promise<PassResult[]> {
  const crashed = (why: string): PassResult[] => orders.map((order) => ({ answers: order.map(() => null), firstError: why }));
  const child = spawn(process.execPath, ["--input-type=module", "--eval", CHILD_SOURCE], {
    env: { PATH: process.env.PATH, COMPILE_QUICKJS_URL: import.meta.resolve("quickjs-emscripten") },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs * orders.length + CHILD_GRACE_MS);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  child.stdin.on("error", () => undefined); // a child that died early closes its stdin: the exit says why
  child.stdin.end(JSON.stringify({ code, inputsJson, orders, timeoutMs, passSource: PASS_SOURCE, memoryLimit: MEMORY_LIMIT_BYTES, stackLimit: STACK_LIMIT_BYTES }));
  const { code: exitCode, signal } = await exit;
  clearTimeout(killer);
  if (signal !== null) return crashed(`the QuickJS sandbox process ended with ${signal}`);
  if (exitCode !== 0) return crashed(`the QuickJS sandbox process failed: ${err.trim().split("\n").pop() ?? `exit ${exitCode}`}`);
  try {
    return JSON.parse(out) as PassResult[];
  } catch {
    return crashed("the QuickJS sandbox process gave no result");
  }
}

/**
 * Stage 2 for code an LLM proposed: QuickJS compiled to WebAssembly, in a child process, so the code
 * never touches a V8 realm of ours nor can crash our process, with a deadline, a memory cap and a
 * stack cap.
 */
export function createQuickJsRunner(timeoutMs = 2000): Stage2Runner & { runOnce(code: string, inputs: unknown[]): Promise<Stage2Output> } {
  const evaluate = async (code: string, inputs: unknown[], twice: boolean): Promise<Stage2Output> => {
    const inputsJson = JSON.stringify(inputs);
    const orders = [inputs.map((_, i) => i), ...(twice ? [shuffleOrder(inputs.length, SHUFFLE_SEED)] : [])];
    const [first, second = first] = await runPasses(code, inputsJson, orders, timeoutMs);
    const failed: number[] = [];
    let errors = 0;
    inputs.forEach((_, i) => {
      const a = first.answers[i] === null;
      const b = twice && second.answers[i] === null;
      errors += (a ? 1 : 0) + (b ? 1 : 0);
      if (a || b) failed.push(i);
    });
    const decode = (answer: string | null) => (answer === null || answer === ABSTAIN ? null : (JSON.parse(answer) as unknown));
    const abstainedIn = (answers: readonly (string | null)[]) => answers.flatMap((answer, i) => (answer === ABSTAIN ? [i] : []));
    return {
      outputs: first.answers.map(decode),
      secondOutputs: second.answers.map(decode),
      abstained: abstainedIn(first.answers),
      secondAbstained: abstainedIn(second.answers),
      errors,
      failed,
      firstError: first.firstError ?? second.firstError ?? undefined,
    };
  };
  return {
    name: "quickjs",
    async run(code, inputs, onProgress) {
      const result = await evaluate(code, inputs, true);
      onProgress?.(inputs.length);
      return result;
    },
    runOnce: (code, inputs) => evaluate(code, inputs, false),
  };
}

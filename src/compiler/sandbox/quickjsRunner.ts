import { getQuickJS, shouldInterruptAfterDeadline, type QuickJSWASMModule } from "quickjs-emscripten";
import type { Stage2Output, Stage2Runner } from "../types.js";
import { ABSTAIN, PASS_SOURCE } from "./passSource.js";
import { SHUFFLE_SEED } from "./localRunner.js";

const MEMORY_LIMIT_BYTES = 32 * 1024 * 1024;
const STACK_LIMIT_BYTES = 512 * 1024;

let module: Promise<QuickJSWASMModule> | null = null;
const quickjs = () => (module ??= getQuickJS());

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

/** One pass in a brand-new QuickJS runtime (its own heap, memory and time limits). */
async function runPass(code: string, inputsJson: string, order: number[], timeoutMs: number): Promise<{ answers: (string | null)[]; firstError: string | null }> {
  const runtime = (await quickjs()).newRuntime();
  runtime.setMemoryLimit(MEMORY_LIMIT_BYTES);
  runtime.setMaxStackSize(STACK_LIMIT_BYTES);
  runtime.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + timeoutMs));
  const context = runtime.newContext();
  try {
    for (const [name, value] of [
      ["__compileInputs", inputsJson],
      ["__compileOrder", JSON.stringify(order)],
    ]) {
      const handle = context.newString(value);
      context.setProp(context.global, name, handle);
      handle.dispose();
    }
    const script = code.replace(/^export default (?=function compiled\b)/m, "");
    const defined = context.evalCode(script, "compiled.js");
    if (defined.error) {
      const message = String(context.dump(defined.error)?.message ?? context.dump(defined.error));
      defined.error.dispose();
      return { answers: order.map(() => null), firstError: message };
    }
    defined.value.dispose();
    const result = context.evalCode(PASS_SOURCE, "pass.js");
    if (result.error) {
      const message = String(context.dump(result.error)?.message ?? "interrupted");
      result.error.dispose();
      return { answers: order.map(() => null), firstError: message };
    }
    const parsed = JSON.parse(context.getString(result.value)) as { answers: (string | null)[]; firstError: string | null };
    result.value.dispose();
    return parsed;
  } finally {
    context.dispose();
    runtime.dispose();
  }
}

/**
 * Stage 2 for code an LLM proposed: QuickJS compiled to WebAssembly, so the code never touches a
 * V8 realm of ours, with a deadline, a memory cap and a stack cap.
 */
export function createQuickJsRunner(timeoutMs = 2000): Stage2Runner & { runOnce(code: string, inputs: unknown[]): Promise<Stage2Output> } {
  const evaluate = async (code: string, inputs: unknown[], twice: boolean): Promise<Stage2Output> => {
    const inputsJson = JSON.stringify(inputs);
    const first = await runPass(code, inputsJson, inputs.map((_, i) => i), timeoutMs);
    const second = twice ? await runPass(code, inputsJson, shuffleOrder(inputs.length, SHUFFLE_SEED), timeoutMs) : first;
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

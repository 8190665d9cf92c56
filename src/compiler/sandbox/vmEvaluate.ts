import { ABSTAIN, PASS_SOURCE, SHUFFLE_SOURCE, TO_SCRIPT_SOURCE } from "./passSource.js";

/**
 * Source of `evaluateTwice(code, inputs, options)`: both stage-2 passes in node:vm, each in a fresh
 * context (no code generation from strings, no wasm), the second in shuffled order, each under a
 * time limit. Shared verbatim by the sandbox child processes and the self-contained remote script,
 * so a remote sandbox computes exactly what the local one does.
 */
export const VM_EVALUATE_SOURCE = `
const vm = process.getBuiltinModule("node:vm");
const toScript = ${TO_SCRIPT_SOURCE};
const shuffleOrder = ${SHUFFLE_SOURCE};
const PASS_SOURCE = ${JSON.stringify(PASS_SOURCE)};
const ABSTAIN = ${JSON.stringify(ABSTAIN)};

function runPass(script, inputsJson, order, timeoutMs) {
  const context = vm.createContext(Object.create(null), { codeGeneration: { strings: false, wasm: false }, microtaskMode: "afterEvaluate" });
  context.__compileInputs = inputsJson;
  context.__compileOrder = JSON.stringify(order);
  try {
    script.runInContext(context, { timeout: timeoutMs });
    const result = JSON.parse(vm.runInContext(PASS_SOURCE, context, { timeout: timeoutMs }));
    return { answers: result.answers, firstError: result.firstError };
  } catch (err) {
    // A timeout or a crash of the program itself: every call of this pass failed.
    return { answers: new Array(order.length).fill(null), firstError: String(err && err.message ? err.message : err) };
  }
}

function evaluateTwice(code, inputs, options) {
  // A guard against a program that never returns, not a speed test: two hundred times the usual cost,
  // so a loaded machine never fails a pass a quiet one would pass (verdicts must not depend on load).
  const timeoutMs = options.timeoutMs ?? Math.max(1000, 200 + 2 * inputs.length);
  const script = new vm.Script(toScript(code), { filename: "compiled.js" });
  const inputsJson = JSON.stringify(inputs);
  const inOrder = Array.from({ length: inputs.length }, (_, i) => i);
  const first = runPass(script, inputsJson, inOrder, timeoutMs);
  const second = options.singlePass ? first : runPass(script, inputsJson, shuffleOrder(inputs.length, options.seed ?? 7), timeoutMs);
  const failed = [];
  let errors = 0;
  for (let i = 0; i < inputs.length; i++) {
    const a = first.answers[i] === null;
    const b = second.answers[i] === null;
    errors += (a ? 1 : 0) + (options.singlePass ? 0 : b ? 1 : 0);
    if (a || b) failed.push(i);
  }
  const decode = (answer) => (answer === null || answer === ABSTAIN ? null : JSON.parse(answer));
  const abstainedIn = (answers) => answers.flatMap((answer, i) => (answer === ABSTAIN ? [i] : []));
  return {
    outputs: first.answers.map(decode),
    secondOutputs: second.answers.map(decode),
    abstained: abstainedIn(first.answers),
    secondAbstained: abstainedIn(second.answers),
    errors,
    failed,
    firstError: first.firstError ?? second.firstError ?? undefined,
  };
}

/** Envelope timing: each fixture's answer and the mean time per call over many repetitions. */
function timeCalls(code, fixtures, repetitions) {
  const context = vm.createContext(Object.create(null), { codeGeneration: { strings: false, wasm: false } });
  vm.runInContext(toScript(code), context, { timeout: 1000 });
  const calls = [];
  for (const input of fixtures) {
    context.__compileInput = JSON.stringify(input);
    context.__compileRepetitions = repetitions;
    const started = performance.now();
    const output = vm.runInContext(
      "(() => { const input = JSON.parse(__compileInput); let out; for (let i = 0; i < __compileRepetitions; i++) out = compiled(input); return out === undefined ? " + JSON.stringify(ABSTAIN) + " : JSON.stringify(out); })()",
      context,
      { timeout: 1000 },
    );
    const micros = ((performance.now() - started) * 1000) / repetitions;
    // An abstention stays undefined: the envelope shows the fixture deferred to the model.
    calls.push({ input, output: output === ABSTAIN ? undefined : JSON.parse(output), micros: Math.round(micros * 1000) / 1000 });
  }
  return { calls };
}
`;

/** A Node ESM script (no imports of ours): `node script.mjs job.json` prints the Stage2Output JSON. */
export const STAGE2_EVAL_SCRIPT = `// Compile stage-2 evaluator: reads { code, inputs, seed? } from the JSON file argv[2], prints Stage2Output JSON.
${VM_EVALUATE_SOURCE}
const fs = process.getBuiltinModule("node:fs");
const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
process.stdout.write(JSON.stringify(evaluateTwice(job.code, job.inputs, { seed: job.seed, timeoutMs: job.timeoutMs })) + "\\n");
`;

/**
 * The sandbox child process (see workerPool.ts): answers { id, kind, ... } IPC messages with
 * { id, result } or { id, error }. It exits when its parent goes away (the IPC channel closes).
 */
export const CHILD_SOURCE = `
${VM_EVALUATE_SOURCE}
process.on("disconnect", () => process.exit(0));
process.on("message", (job) => {
  let reply;
  try {
    const result = job.kind === "time"
      ? timeCalls(job.code, job.inputs, job.repetitions)
      : evaluateTwice(job.code, job.inputs, { seed: job.seed, timeoutMs: job.timeoutMs, singlePass: job.singlePass });
    reply = { id: job.id, result };
  } catch (err) {
    reply = { id: job.id, error: String(err && err.message ? err.message : err) };
  }
  if (process.connected) process.send(reply, () => undefined);
});
`;

/**
 * JavaScript that runs INSIDE a sandbox (a node:vm context or a QuickJS context), after the compiled
 * program has been evaluated there. It reads the inputs from a string global, calls `compiled` on
 * each in the given order, and returns one JSON string: canonical answers (null where a call threw,
 * ABSTAIN where it returned `undefined`: the function had no evidence for that input) and the first error. Strings are the only thing that crosses the boundary, so no object of the
 * host realm is ever reachable from compiled code.
 */
export const ABSTAIN = "~abstain";

export const PASS_SOURCE = `(() => {
  const canon = (value) => {
    if (value === undefined) return "null";
    if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
    if (Array.isArray(value)) return "[" + value.map(canon).join(",") + "]";
    const keys = Object.keys(value).filter((key) => value[key] !== undefined).sort();
    return "{" + keys.map((key) => JSON.stringify(key) + ":" + canon(value[key])).join(",") + "}";
  };
  const inputs = JSON.parse(__compileInputs);
  const order = JSON.parse(__compileOrder);
  const answers = new Array(inputs.length).fill(null);
  let firstError = null;
  for (const index of order) {
    try {
      const answer = compiled(inputs[index]);
      answers[index] = answer === undefined ? "${ABSTAIN}" : canon(answer);
    } catch (err) {
      if (firstError === null) firstError = String(err && err.message ? err.message : err);
    }
  }
  return JSON.stringify({ answers, firstError });
})()`;

/** Turns `export default function compiled` into a script declaration (the allowlist guarantees the shape). */
export const TO_SCRIPT_SOURCE = `(code) => code.replace(/^export default (?=function compiled\\b)/m, "")`;

/** The seeded shuffle of the second pass, as JS (used inside workers and the remote script). */
export const SHUFFLE_SOURCE = `(n, seed) => {
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
    const swap = order[i]; order[i] = order[j]; order[j] = swap;
  }
  return order;
}`;

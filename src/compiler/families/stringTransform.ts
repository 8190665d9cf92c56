import { accessorSource, readPath, slugify, type Helper, type Path } from "../features.js";
import { abstainLine, supportComment, type Learner, type Model } from "./model.js";

/** One way to turn a string field into text, with its JS source and the helpers that source needs. */
interface Transform {
  name: string;
  apply(value: string): string;
  source(accessor: string): string;
  helpers: Helper[];
}

const firstWord = (value: string) => value.trim().split(/\s+/)[0] ?? "";

/** Simplest first: among programs that explain the same traces, the earlier transform wins. */
const TRANSFORMS: Transform[] = [
  { name: "copy", apply: (v) => v, source: (a) => a, helpers: [] },
  { name: "trim", apply: (v) => v.trim(), source: (a) => `${a}.trim()`, helpers: [] },
  { name: "lower", apply: (v) => v.toLowerCase(), source: (a) => `${a}.toLowerCase()`, helpers: [] },
  { name: "upper", apply: (v) => v.toUpperCase(), source: (a) => `${a}.toUpperCase()`, helpers: [] },
  { name: "trim+lower", apply: (v) => v.trim().toLowerCase(), source: (a) => `${a}.trim().toLowerCase()`, helpers: [] },
  { name: "trim+upper", apply: (v) => v.trim().toUpperCase(), source: (a) => `${a}.trim().toUpperCase()`, helpers: [] },
  { name: "slug", apply: (v) => slugify(v, "-"), source: (a) => `slugify(${a}, "-")`, helpers: ["slugify"] },
  { name: "snake slug", apply: (v) => slugify(v, "_"), source: (a) => `slugify(${a}, "_")`, helpers: ["slugify"] },
  { name: "first word", apply: firstWord, source: (a) => `${a}.trim().split(/\\s+/)[0]`, helpers: [] },
  { name: "first letter", apply: (v) => v.trim().slice(0, 1), source: (a) => `${a}.trim().slice(0, 1)`, helpers: [] },
  { name: "first letter, upper", apply: (v) => v.trim().slice(0, 1).toUpperCase(), source: (a) => `${a}.trim().slice(0, 1).toUpperCase()`, helpers: [] },
];

interface Atom {
  path: Path;
  transform: Transform;
}

/** `prefix + atom + middle + second? + suffix`: constants learned from the first example, checked on all. */
interface Program {
  prefix: string;
  first: Atom;
  middle: string;
  second: Atom | null;
  suffix: string;
}

const MAX_FIELDS = 8;

/**
 * String answers built from string fields, FlashFill style: a transform of one field (copy, trim,
 * case, slug, first word, first letter), optionally joined to a second one, between constant text.
 * Learned from the first example and kept when it explains most traces, so `slugify(title)` compiles
 * and answers titles it never saw. It abstains when a field it reads is not a string.
 */
export function stringTransformLearner(stringPaths: readonly Path[]): Learner {
  const paths = stringPaths.slice(0, MAX_FIELDS);
  return {
    family: "string_transform",
    variant: "string_transform",
    fit(examples) {
      const outputs = examples.map((example) => parseString(example.label));
      if (paths.length === 0 || examples.length === 0 || outputs.some((output) => output === null)) return null;
      const texts = outputs as string[];
      const best = bestProgram(paths, examples.map((example) => example.input), texts);
      if (!best || best.correct * 2 < examples.length) return null;
      const { program, correct } = best;
      const atoms = program.second ? [program.first, program.second] : [program.first];
      const model: Model = {
        family: "string_transform",
        complexity: 2 + (program.second ? 1 : 0) + (program.prefix || program.middle || program.suffix ? 0.5 : 0),
        predict(input) {
          const text = run(program, input);
          return text === null ? undefined : JSON.stringify(text);
        },
        emit() {
          const guards = atoms.map((atom) => `if (typeof ${accessorSource(atom.path)} !== "string") ${abstainLine("not text")}`);
          const pieces = [
            ...(program.prefix ? [JSON.stringify(program.prefix)] : []),
            program.first.transform.source(accessorSource(program.first.path)),
            ...(program.second ? [...(program.middle ? [JSON.stringify(program.middle)] : []), program.second.transform.source(accessorSource(program.second.path))] : []),
            ...(program.suffix ? [JSON.stringify(program.suffix)] : []),
          ];
          return {
            summary: `text built from ${atoms.map((atom) => `${atom.transform.name} of ${accessorSource(atom.path)}`).join(" and ")}`,
            declarations: [],
            helpers: [...new Set(atoms.flatMap((atom) => atom.transform.helpers))],
            body: [...new Set(guards), `return ${pieces.join(" + ")}; ${supportComment(correct, examples.length)} match`],
          };
        },
      };
      return model;
    },
  };
}

function parseString(label: string): string | null {
  try {
    const value: unknown = JSON.parse(label);
    return typeof value === "string" ? value : null;
  } catch {
    return null;
  }
}

function apply(atom: Atom, input: unknown): string | null {
  const value = readPath(input, atom.path);
  return typeof value === "string" ? atom.transform.apply(value) : null;
}

function run(program: Program, input: unknown): string | null {
  const first = apply(program.first, input);
  if (first === null) return null;
  if (!program.second) return program.prefix + first + program.suffix;
  const second = apply(program.second, input);
  return second === null ? null : program.prefix + first + program.middle + second + program.suffix;
}

/** Candidate programs from the first example whose fields are all text, scored on every example. */
function bestProgram(paths: readonly Path[], inputs: readonly unknown[], outputs: readonly string[]): { program: Program; correct: number } | null {
  const anchor = inputs.findIndex((input) => paths.some((path) => typeof readPath(input, path) === "string"));
  if (anchor < 0) return null;
  const target = outputs[anchor];
  const atoms: Array<Atom & { text: string }> = [];
  for (const path of paths) {
    const value = readPath(inputs[anchor], path);
    if (typeof value !== "string") continue;
    for (const transform of TRANSFORMS) {
      const text = transform.apply(value);
      if (text !== "" && target.includes(text)) atoms.push({ path, transform, text });
    }
  }
  const candidates: Program[] = [];
  for (const atom of atoms) {
    const at = target.indexOf(atom.text);
    candidates.push({ prefix: target.slice(0, at), first: atom, middle: "", second: null, suffix: target.slice(at + atom.text.length) });
    for (const other of atoms) {
      if (other.path === atom.path) continue;
      const from = target.indexOf(other.text, at + atom.text.length);
      if (from < 0) continue;
      candidates.push({ prefix: target.slice(0, at), first: atom, middle: target.slice(at + atom.text.length, from), second: other, suffix: target.slice(from + other.text.length) });
    }
  }
  let best: { program: Program; correct: number } | null = null;
  for (const program of candidates) {
    let correct = 0;
    inputs.forEach((input, i) => {
      if (run(program, input) === outputs[i]) correct++;
    });
    if (!best || correct > best.correct) best = { program, correct };
  }
  return best;
}

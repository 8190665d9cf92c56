import { canonicalJson } from "../canonical.js";
import { accessorSource, readPath, type Path } from "../features.js";
import { abstainLine, supportComment, type Learner, type Model } from "./model.js";

interface Transform {
  name: string;
  apply(value: unknown): unknown;
  source(accessor: string): string;
}

const text = (value: unknown) => String(value ?? "");

/** Copies and light transforms, simplest first (the first of equally good ones wins). */
const TRANSFORMS: Transform[] = [
  { name: "copy", apply: (v) => v, source: (a) => a },
  { name: "trim", apply: (v) => text(v).trim(), source: (a) => `String(${a} ?? "").trim()` },
  { name: "lower", apply: (v) => text(v).toLowerCase(), source: (a) => `String(${a} ?? "").toLowerCase()` },
  { name: "upper", apply: (v) => text(v).toUpperCase(), source: (a) => `String(${a} ?? "").toUpperCase()` },
  { name: "trim+lower", apply: (v) => text(v).trim().toLowerCase(), source: (a) => `String(${a} ?? "").trim().toLowerCase()` },
  { name: "trim+upper", apply: (v) => text(v).trim().toUpperCase(), source: (a) => `String(${a} ?? "").trim().toUpperCase()` },
  { name: "to string", apply: (v) => String(v), source: (a) => `String(${a})` },
  { name: "to number", apply: (v) => Number(v), source: (a) => `Number(${a})` },
];

/** The answer is one input field, copied or lightly transformed. Picks the best field and transform. */
export function fieldCopyLearner(paths: readonly Path[]): Learner {
  return {
    family: "field_copy",
    variant: "field_copy",
    fit(examples) {
      let best: { path: Path; transform: Transform; correct: number } | null = null;
      for (const path of paths) {
        const values = examples.map((example) => readPath(example.input, path));
        for (const transform of TRANSFORMS) {
          let correct = 0;
          values.forEach((value, i) => {
            if (canonicalJson(transform.apply(value)) === examples[i].label) correct++;
          });
          if (!best || correct > best.correct) best = { path, transform, correct };
        }
      }
      // A copy that is wrong most of the time is not a copy; let other families answer.
      if (!best || best.correct < examples.length / 2) return null;
      const { path, transform, correct } = best;
      const model: Model = {
        family: "field_copy",
        complexity: 2,
        predict(input) {
          const value = readPath(input, path);
          return value === undefined || value === null ? undefined : canonicalJson(transform.apply(value));
        },
        emit: () => ({
          summary: `${transform.name} of ${accessorSource(path)}`,
          body: [
            `if (${accessorSource(path)} === undefined || ${accessorSource(path)} === null) ${abstainLine("no value to copy")}`,
            `return ${transform.source(accessorSource(path))}; ${supportComment(correct, examples.length)} match`,
          ],
          declarations: [],
          helpers: [],
        }),
      };
      return model;
    },
  };
}

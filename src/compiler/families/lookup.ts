import { accessorSource, NORMALISERS, readPath, type KeyNormaliser, type Path } from "../features.js";
import { majority, supportComment, type Learner, type Model } from "./model.js";

/** A key that would set an object literal's prototype instead of an entry; never worth the risk. */
const UNSAFE_KEYS = new Set(["__proto__"]);
const MAX_KEY_SHARE = 0.9;

/**
 * A table from one field's normalised value to the answer most often given for it; unseen keys get
 * the overall most common answer. One learner per (field, normaliser); cross-validation picks.
 */
export function lookupLearner(path: Path, normaliser: KeyNormaliser): Learner {
  const { fn: normalise, helper, describe } = NORMALISERS[normaliser];
  return {
    family: "lookup",
    variant: `lookup ${path.join(".")} ${normaliser}`,
    fit(examples) {
      const labelsByKey = new Map<string, string[]>();
      for (const example of examples) {
        const key = normalise(readPath(example.input, path));
        if (UNSAFE_KEYS.has(key)) continue;
        const labels = labelsByKey.get(key);
        if (labels) labels.push(example.label);
        else labelsByKey.set(key, [example.label]);
      }
      // Nearly one key per example is memorisation, not a table; it cannot generalise.
      if (labelsByKey.size > Math.max(3, examples.length * MAX_KEY_SHARE)) return null;
      const fallback = majority(examples.map((example) => example.label));
      const table = new Map<string, { label: string; count: number; total: number }>();
      for (const key of [...labelsByKey.keys()].sort()) {
        const labels = labelsByKey.get(key) as string[];
        table.set(key, { ...majority(labels), total: labels.length });
      }
      const model: Model = {
        family: "lookup",
        complexity: 3 + table.size / 10,
        predict(input) {
          const entry = table.get(normalise(readPath(input, path)));
          return entry ? entry.label : fallback.label;
        },
        emit({ constStem }) {
          const accessor = accessorSource(path);
          const tableName = `${constStem}_BY_${(path.at(-1) ?? "INPUT").replace(/[^A-Za-z0-9]+/g, "_").toUpperCase()}`;
          const rows = [...table].map(([key, entry]) => `  ${JSON.stringify(key)}: ${entry.label}, ${supportComment(entry.count, entry.total)}`);
          const keySource = helper ? `${helper}(${accessor})` : `String(${accessor})`;
          return {
            summary: `lookup on ${accessor}, ${describe} (${table.size} keys from ${examples.length} train traces)`,
            declarations: [`const ${tableName} = {\n${rows.join("\n")}\n};`],
            body: [
              `const key = ${keySource};`,
              `if (Object.hasOwn(${tableName}, key)) return ${tableName}[key];`,
              `return ${fallback.label}; // unseen key: the most common answer (${fallback.count} of ${examples.length} train traces)`,
            ],
            helpers: helper ? [helper] : [],
          };
        },
      };
      return model;
    },
  };
}

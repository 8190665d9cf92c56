import { accessorSource, NORMALISERS, readPath, type KeyNormaliser, type Path } from "../features.js";
import { abstainLine, majority, supportComment, type Learner, type Model } from "./model.js";

/** A key that would set an object literal's prototype instead of an entry; never worth the risk. */
const UNSAFE_KEYS = new Set(["__proto__"]);

/**
 * A table from one field's normalised value to the answer recorded for it. It answers only keys it
 * has seen with a clear majority answer; an unseen key, or a key whose recorded answers disagree
 * (one "IN", one "DE" for "india"), gets no answer: the caller asks the model.
 * One learner per (field, normaliser); selection picks.
 */
export function lookupLearner(path: Path, normaliser: KeyNormaliser): Learner {
  const { fn: normalise, helper, describe } = NORMALISERS[normaliser];
  return {
    family: "lookup",
    variant: `lookup ${path.join(".")} ${normaliser}`,
    fit(examples) {
      const labelsByKey = new Map<string, string[]>();
      for (const example of examples) {
        const value = readPath(example.input, path);
        if (value === undefined || value === null) continue;
        const key = normalise(value);
        if (UNSAFE_KEYS.has(key)) continue;
        const labels = labelsByKey.get(key);
        if (labels) labels.push(example.label);
        else labelsByKey.set(key, [example.label]);
      }
      const table = new Map<string, { label: string; count: number; total: number }>();
      let contested = 0;
      for (const key of [...labelsByKey.keys()].sort()) {
        const labels = labelsByKey.get(key) as string[];
        const top = majority(labels);
        // A strict majority is evidence; a tie is a coin the table would be flipping.
        if (top.count * 2 > labels.length) table.set(key, { ...top, total: labels.length });
        else contested++;
      }
      if (table.size === 0) return null;
      const keyOf = (input: unknown): string | undefined => {
        const value = readPath(input, path);
        return value === undefined || value === null ? undefined : normalise(value);
      };
      const model: Model = {
        family: "lookup",
        complexity: 3 + table.size / 10,
        predict(input) {
          const key = keyOf(input);
          return key === undefined ? undefined : table.get(key)?.label;
        },
        emit({ constStem }) {
          const accessor = accessorSource(path);
          const tableName = `${constStem}_BY_${(path.at(-1) ?? "INPUT").replace(/[^A-Za-z0-9]+/g, "_").toUpperCase()}`;
          const rows = [...table].map(([key, entry]) => `  ${JSON.stringify(key)}: ${entry.label}, ${supportComment(entry.count, entry.total)}`);
          const keySource = helper ? `${helper}(${accessor})` : `String(${accessor})`;
          return {
            summary: `lookup on ${accessor}, ${describe} (${table.size} keys from ${examples.length} train traces${contested ? `; ${contested} keys with disagreeing answers left out` : ""})`,
            declarations: [`const ${tableName} = {\n${rows.join("\n")}\n};`],
            body: [
              `if (${accessor} === undefined || ${accessor} === null) ${abstainLine("no value")}`,
              `const key = ${keySource};`,
              `if (Object.hasOwn(${tableName}, key)) return ${tableName}[key];`,
              abstainLine("a key the recorded calls never showed (or showed with disagreeing answers)"),
            ],
            helpers: helper ? [helper] : [],
          };
        },
      };
      return model;
    },
  };
}

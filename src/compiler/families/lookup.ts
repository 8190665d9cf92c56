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
      resolveTies(table, labelsByKey);
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

/**
 * A key whose answers tie (one "IN", one "DE" for "india") keeps the answer no other key already
 * stands for: a table maps most keys to their own answer, so an answer owned elsewhere is the
 * likelier confusion. Unresolved ties keep the smaller label (deterministic).
 */
function resolveTies(table: Map<string, { label: string; count: number; total: number }>, labelsByKey: ReadonlyMap<string, string[]>): void {
  // Keys that own an answer outright (a strict majority); a tied key never does, so "elsewhere" is implied.
  const owners = new Map<string, number>();
  for (const entry of table.values()) if (entry.count * 2 > entry.total) owners.set(entry.label, (owners.get(entry.label) ?? 0) + 1);
  for (const [key, entry] of table) {
    if (entry.count * 2 > entry.total) continue;
    const counts = new Map<string, number>();
    for (const label of labelsByKey.get(key) ?? []) counts.set(label, (counts.get(label) ?? 0) + 1);
    const tied = [...counts].filter(([, count]) => count === entry.count).map(([label]) => label);
    if (tied.length < 2) continue;
    const free = tied.filter((label) => !owners.has(label)).sort();
    if (free.length > 0) entry.label = free[0];
  }
}

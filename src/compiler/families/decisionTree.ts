import { accessorSource, compactKey, memoByInput, readPath, STOPWORDS, wordsOf, type Helper, type Path } from "../features.js";
import { abstainLine, majority, supportComment, type Learner, type Model } from "./model.js";
import { roundThreshold } from "./roundThreshold.js";

/** What the tree may ask about an input. */
export interface TreeFeatures {
  numeric: Path[];
  categorical: Path[];
  boolean: Path[];
  /** Text fields whose words become "contains WORD" tests. */
  text: Path[];
}

type Test =
  | { kind: "atLeast"; path: Path; threshold: number }
  | { kind: "equals"; path: Path; value: string }
  | { kind: "isTrue"; path: Path }
  | { kind: "hasWord"; word: string };

type Node =
  | { leaf: true; label: string; correct: number; total: number }
  | { leaf: false; test: Test; yes: Node; no: Node; total: number };

interface Row {
  input: unknown;
  label: string;
  words: ReadonlySet<string>;
}

const MAX_DEPTH = 4;
const NO_WORDS: ReadonlySet<string> = new Set();
const MIN_LEAF = 2;
/**
 * An equality or word test must hold for at least this share of the train split: with ten job
 * titles and fifty traces, some title is bound to look predictive by chance.
 */
const MIN_TEST_SUPPORT_SHARE = 0.06;
const MAX_WORD_FEATURES = 150;
/** An extra leaf must fix more than this many train errors to stay (pessimistic pruning). */
const LEAF_COST = 1;
/**
 * A leaf answers only with this much evidence behind it: enough train traces, and most of them
 * agreeing. Elsewhere the tree abstains and the caller asks the model.
 */
const MIN_ANSWER_SUPPORT = 3;
const MIN_ANSWER_PURITY = 0.8;

const answers = (leaf: { correct: number; total: number }) => leaf.total >= MIN_ANSWER_SUPPORT && leaf.correct >= MIN_ANSWER_PURITY * leaf.total;

/** A shallow decision tree (Gini splits, error-based pruning, rounded thresholds). */
export function decisionTreeLearner(features: TreeFeatures): Learner {
  const wordsOfInput = memoByInput((input: unknown) => wordsOf(...features.text.map((path) => readPath(input, path))));
  const wordSetOf = memoByInput((input: unknown) => new Set(wordsOfInput(input)));
  return {
    family: "decision_tree",
    variant: "decision_tree",
    fit(examples) {
      if (examples.length === 0) return null;
      const rows: Row[] = examples.map((example) => ({ ...example, words: features.text.length ? wordSetOf(example.input) : NO_WORDS }));
      const words = frequentWords(rows);
      const root = prune(grow(rows, 0, features, words));
      if (root.leaf) return null; // a one-leaf tree is the constant family, already a candidate
      if (!collectLeaves(root).some(answers)) return null;
      const predictNode = (node: Node, input: unknown, inputWords: () => string[]): string | undefined => {
        while (!node.leaf) node = passes(node.test, input, inputWords) ? node.yes : node.no;
        return answers(node) ? node.label : undefined;
      };
      const model: Model = {
        family: "decision_tree",
        complexity: 5 + countLeaves(root) / 10,
        predict(input) {
          let cached: string[] | null = null;
          return predictNode(root, input, () => (cached ??= wordsOfInput(input)));
        },
        emit() {
          const body = usesWords(root) ? [`const words = wordsOf(${features.text.map(accessorSource).join(", ")});`] : [];
          body.push(...emitNode(root));
          const helpers: Helper[] = [];
          if (usesWords(root)) helpers.push("wordsOf");
          if (usesTest(root, "equals")) helpers.push("compactKey");
          return {
            summary: `decision tree over ${describeFeatures(root)} (${countLeaves(root)} leaves, ${examples.length} train traces)`,
            body,
            declarations: [],
            helpers,
          };
        },
      };
      return model;
    },
  };
}

function passes(test: Test, input: unknown, words: () => string[]): boolean {
  switch (test.kind) {
    case "atLeast":
      // Same semantics as the emitted `value >= t` (undefined compares false).
      return (readPath(input, test.path) as number) >= test.threshold;
    case "equals":
      // Compared as compact keys: "Software " and "software" are the same category.
      return compactKey(readPath(input, test.path)) === test.value;
    case "isTrue":
      return readPath(input, test.path) === true;
    case "hasWord":
      return words().includes(test.word);
  }
}

/** `passes` for a training row, whose words are already a set. */
function rowPasses(test: Test, row: Row): boolean {
  return test.kind === "hasWord" ? row.words.has(test.word) : passes(test, row.input, () => []);
}

function testSource(test: Test): string {
  switch (test.kind) {
    case "atLeast":
      return `${accessorSource(test.path)} >= ${test.threshold}`;
    case "equals":
      return `compactKey(${accessorSource(test.path)}) === ${JSON.stringify(test.value)}`;
    case "isTrue":
      return `${accessorSource(test.path)} === true`;
    case "hasWord":
      return `words.includes(${JSON.stringify(test.word)})`;
  }
}

function frequentWords(rows: readonly Row[]): string[] {
  const counts = new Map<string, number>();
  for (const row of rows) for (const word of row.words) counts.set(word, (counts.get(word) ?? 0) + 1);
  return [...counts]
    .filter(([word, count]) => count >= 3 && !STOPWORDS.has(word))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, MAX_WORD_FEATURES)
    .map(([word]) => word);
}

/** Label counts of the rows that have each of the words. */
function countWordLabels(rows: readonly Row[], words: readonly string[]): Map<string, Map<string, number>> {
  const wanted = new Set(words);
  const out = new Map<string, Map<string, number>>();
  for (const row of rows) {
    for (const word of row.words) {
      if (!wanted.has(word)) continue;
      let counts = out.get(word);
      if (!counts) out.set(word, (counts = new Map()));
      counts.set(row.label, (counts.get(row.label) ?? 0) + 1);
    }
  }
  return out;
}

function gini(counts: Map<string, number>, total: number): number {
  if (total === 0) return 0;
  let sum = 0;
  for (const count of counts.values()) sum += (count / total) ** 2;
  return 1 - sum;
}

function countLabels(rows: readonly Row[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.label, (counts.get(row.label) ?? 0) + 1);
  return counts;
}

function leafOf(rows: readonly Row[]): Node {
  const { label, count } = majority(rows.map((row) => row.label));
  return { leaf: true, label, correct: count, total: rows.length };
}

/** Weighted Gini of a yes/no partition; lower is purer. */
function splitImpurity(yes: readonly Row[], no: readonly Row[]): number {
  const n = yes.length + no.length;
  return (yes.length / n) * gini(countLabels(yes), yes.length) + (no.length / n) * gini(countLabels(no), no.length);
}

function bestNumericSplit(rows: readonly Row[], path: Path): { test: Test; impurity: number } | null {
  const defined = rows.filter((row) => typeof readPath(row.input, path) === "number");
  const missing = rows.filter((row) => typeof readPath(row.input, path) !== "number");
  const sorted = defined.slice().sort((a, b) => (readPath(a.input, path) as number) - (readPath(b.input, path) as number));
  const n = rows.length;
  // Sweep thresholds left to right, moving one row at a time from the yes side to the no side.
  const yesCounts = countLabels(sorted);
  const noCounts = countLabels(missing);
  let best: { test: Test; impurity: number } | null = null;
  for (let i = 0; i < sorted.length; i++) {
    if (i > 0) {
      const lo = readPath(sorted[i - 1].input, path) as number;
      const hi = readPath(sorted[i].input, path) as number;
      const yesSize = sorted.length - i;
      const noSize = missing.length + i;
      if (lo !== hi && yesSize >= MIN_LEAF && noSize >= MIN_LEAF) {
        const impurity = (yesSize / n) * gini(yesCounts, yesSize) + (noSize / n) * gini(noCounts, noSize);
        if (!best || impurity < best.impurity - 1e-12) best = { test: { kind: "atLeast", path, threshold: roundThreshold(lo, hi) }, impurity };
      }
    }
    const label = sorted[i].label;
    yesCounts.set(label, (yesCounts.get(label) ?? 0) - 1);
    noCounts.set(label, (noCounts.get(label) ?? 0) + 1);
  }
  return best;
}

function candidateTests(rows: readonly Row[], features: TreeFeatures, words: readonly string[]): Test[] {
  const tests: Test[] = [];
  for (const path of features.categorical) {
    const values = new Set(rows.map((row) => readPath(row.input, path)).filter((value): value is string => typeof value === "string").map(compactKey));
    for (const value of [...values].sort()) tests.push({ kind: "equals", path, value });
  }
  for (const path of features.boolean) tests.push({ kind: "isTrue", path });
  for (const word of words) tests.push({ kind: "hasWord", word });
  return tests;
}

function grow(rows: Row[], depth: number, features: TreeFeatures, words: readonly string[], minTestSupport = Math.max(MIN_LEAF, Math.ceil(rows.length * MIN_TEST_SUPPORT_SHARE))): Node {
  const labels = countLabels(rows);
  if (depth >= MAX_DEPTH || labels.size <= 1 || rows.length < 2 * MIN_LEAF) return leafOf(rows);
  const current = gini(labels, rows.length);
  let best: { test: Test; impurity: number } | null = null;
  for (const path of features.numeric) {
    const split = bestNumericSplit(rows, path);
    if (split && (!best || split.impurity < best.impurity - 1e-12)) best = split;
  }
  // Word tests are counted in one pass over the rows' words, not one pass over the rows per word.
  const wordLabels = countWordLabels(rows, words);
  for (const test of candidateTests(rows, features, words)) {
    let impurity: number;
    if (test.kind === "hasWord") {
      const yesCounts = wordLabels.get(test.word) ?? new Map<string, number>();
      let yesSize = 0;
      for (const count of yesCounts.values()) yesSize += count;
      const noSize = rows.length - yesSize;
      if (yesSize < minTestSupport || noSize < MIN_LEAF) continue;
      const noCounts = new Map<string, number>();
      for (const [label, count] of labels) noCounts.set(label, count - (yesCounts.get(label) ?? 0));
      impurity = (yesSize / rows.length) * gini(yesCounts, yesSize) + (noSize / rows.length) * gini(noCounts, noSize);
    } else {
      const yes: Row[] = [];
      const no: Row[] = [];
      for (const row of rows) (rowPasses(test, row) ? yes : no).push(row);
      if (yes.length < minTestSupport || no.length < MIN_LEAF) continue;
      impurity = splitImpurity(yes, no);
    }
    if (!best || impurity < best.impurity - 1e-12) best = { test, impurity };
  }
  if (!best || best.impurity >= current - 1e-12) return leafOf(rows);
  const test = best.test;
  const yes: Row[] = [];
  const no: Row[] = [];
  for (const row of rows) (rowPasses(test, row) ? yes : no).push(row);
  return { leaf: false, test, yes: grow(yes, depth + 1, features, words, minTestSupport), no: grow(no, depth + 1, features, words, minTestSupport), total: rows.length };
}

function countLeaves(node: Node): number {
  return node.leaf ? 1 : countLeaves(node.yes) + countLeaves(node.no);
}

function trainErrors(node: Node): number {
  return node.leaf ? node.total - node.correct : trainErrors(node.yes) + trainErrors(node.no);
}

function collectLeaves(node: Node): Array<Extract<Node, { leaf: true }>> {
  return node.leaf ? [node] : [...collectLeaves(node.yes), ...collectLeaves(node.no)];
}

/** Bottom-up: replace a subtree by one leaf unless its extra leaves each fix more than LEAF_COST errors. */
function prune(node: Node): Node {
  if (node.leaf) return node;
  const pruned: Node = { ...node, yes: prune(node.yes), no: prune(node.no) };
  const leaves = collectLeaves(pruned);
  // The collapsed leaf: the majority over the subtree's rows, reconstructed from its leaves' support.
  const counts = new Map<string, number>();
  for (const leaf of leaves) counts.set(leaf.label, (counts.get(leaf.label) ?? 0) + leaf.correct);
  const [label, correctIfCollapsed] = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
  // Only leaf majorities are known, so the collapsed leaf's accuracy is a lower bound: pruning stays cautious.
  const collapsedErrors = pruned.total - correctIfCollapsed;
  if (collapsedErrors <= trainErrors(pruned) + LEAF_COST * (leaves.length - 1)) {
    return { leaf: true, label, correct: correctIfCollapsed, total: pruned.total };
  }
  return pruned;
}

function usesTest(node: Node, kind: Test["kind"]): boolean {
  return !node.leaf && (node.test.kind === kind || usesTest(node.yes, kind) || usesTest(node.no, kind));
}

function usesWords(node: Node): boolean {
  return usesTest(node, "hasWord");
}

function describeFeatures(node: Node): string {
  const names = new Set<string>();
  const walk = (n: Node) => {
    if (n.leaf) return;
    names.add(n.test.kind === "hasWord" ? "words" : (n.test.path.at(-1) ?? "input"));
    walk(n.yes);
    walk(n.no);
  };
  walk(node);
  return [...names].join(", ");
}

/** Nested ifs whose yes-branch always returns, so the no-branch needs no else. */
function leafSource(leaf: Extract<Node, { leaf: true }>): string {
  return answers(leaf) ? `return ${leaf.label}; ${supportComment(leaf.correct, leaf.total)}` : abstainLine(`${leaf.correct} of ${leaf.total} train traces here agree, too few to answer`);
}

function emitNode(node: Node, indent = ""): string[] {
  if (node.leaf) return [`${indent}${leafSource(node)}`];
  const condition = testSource(node.test);
  const lines: string[] = [];
  if (node.yes.leaf) {
    lines.push(`${indent}if (${condition}) ${leafSource(node.yes)}`);
  } else {
    lines.push(`${indent}if (${condition}) {`, ...emitNode(node.yes, `${indent}  `), `${indent}}`);
  }
  lines.push(...emitNode(node.no, indent));
  return lines;
}

import { accessorSource, compactKey, memoByInput, readPath, STOPWORDS, wordsOf, type Helper, type Path } from "../features.js";
import { binomialUpperTail } from "../stats.js";
import { abstainLine, majority, supportComment, type Learner, type Model } from "./model.js";

/** What a rule may ask about an input. */
export interface ListFeatures {
  /** String fields whose words become "contains WORD" conditions. */
  text: Path[];
  /** Short string fields compared whole (as compact keys). */
  categorical: Path[];
  boolean: Path[];
}

type Condition = { kind: "hasWord"; word: string } | { kind: "equals"; path: Path; value: string } | { kind: "isTrue"; path: Path };

interface Rule {
  condition: Condition;
  label: string;
  correct: number;
  covered: number;
  /** A back-up rule was not needed on the train split; it catches inputs no other rule matches. */
  backup?: boolean;
}

interface Row {
  input: unknown;
  label: string;
  keys: Set<string>;
}

const MIN_SUPPORT = 3;
/** A rule (and the closing "otherwise") must be right this often on the traces it decides. */
const MIN_PRECISION = 0.8;
const MAX_RULES = 40;
/** A rule's precision must be this unlikely to come from its answer's share of the traces alone. */
const CHANCE = 0.05;
const BACKUP_PRECISION = 0.95;
const MAX_BACKUP_RULES = 25;

const conditionKey = (condition: Condition): string =>
  condition.kind === "hasWord" ? `w:${condition.word}` : condition.kind === "equals" ? `e:${JSON.stringify(condition.path)}:${condition.value}` : `t:${JSON.stringify(condition.path)}`;

/**
 * An ordered list "if CONDITION, answer X", learned greedily: each rule is the most reliable one on
 * the traces the earlier rules left (minimum support and precision there). After the last rule, an
 * "otherwise" answer only when the traces left agree as precisely as a rule must; else it abstains.
 */
export function decisionListLearner(features: ListFeatures): Learner {
  const conditionsOf = memoByInput((input: unknown): Map<string, Condition> => {
    const out = new Map<string, Condition>();
    for (const word of wordsOf(...features.text.map((path) => readPath(input, path)))) {
      if (!STOPWORDS.has(word)) out.set(`w:${word}`, { kind: "hasWord", word });
    }
    for (const path of features.categorical) {
      const value = readPath(input, path);
      if (typeof value === "string") {
        const condition: Condition = { kind: "equals", path, value: compactKey(value) };
        out.set(conditionKey(condition), condition);
      }
    }
    for (const path of features.boolean) if (readPath(input, path) === true) out.set(`t:${JSON.stringify(path)}`, { kind: "isTrue", path });
    return out;
  });
  return {
    family: "decision_list",
    variant: "decision_list",
    fit(examples) {
      if (examples.length === 0) return null;
      const known = new Map<string, Condition>();
      const rows: Row[] = examples.map((example) => {
        const conditions = conditionsOf(example.input);
        for (const [key, condition] of conditions) known.set(key, condition);
        return { input: example.input, label: example.label, keys: new Set(conditions.keys()) };
      });
      let remaining = rows;
      const rules: Rule[] = [];
      // Label counts per condition over the remaining rows, kept up to date as rules take rows away.
      const left = countByCondition(rows);
      const leftLabels = new Map<string, number>();
      for (const row of rows) leftLabels.set(row.label, (leftLabels.get(row.label) ?? 0) + 1);
      const take = (key: string) => {
        const kept: Row[] = [];
        for (const row of remaining) {
          if (!row.keys.has(key)) {
            kept.push(row);
            continue;
          }
          leftLabels.set(row.label, (leftLabels.get(row.label) as number) - 1);
          for (const other of row.keys) {
            const counts = left.get(other) as Map<string, number>;
            const count = (counts.get(row.label) as number) - 1;
            if (count > 0) counts.set(row.label, count);
            else counts.delete(row.label);
            if (counts.size === 0) left.delete(other);
          }
        }
        remaining = kept;
      };
      while (rules.length < MAX_RULES && remaining.length > 0) {
        const rule = bestRule(left, leftLabels, remaining.length, known);
        if (!rule) break;
        rules.push(rule);
        take(conditionKey(rule.condition));
      }
      // At the tail few traces are left and chance explains any precision there; a condition that
      // is reliable over the whole train split and precise on the traces left may still decide them.
      for (const rule of reliableRules(rows, known, MIN_PRECISION)) {
        if (rules.length >= MAX_RULES || remaining.length === 0) break;
        const key = conditionKey(rule.condition);
        const counts = left.get(key);
        if (!counts) continue;
        let covered = 0;
        for (const count of counts.values()) covered += count;
        const correct = counts.get(rule.label) ?? 0;
        if (correct < MIN_PRECISION * covered) continue;
        rules.push({ ...rule, correct, covered });
        take(key);
      }
      const top = remaining.length >= MIN_SUPPORT ? majority(remaining.map((row) => row.label)) : null;
      const closing = top && top.count >= MIN_PRECISION * remaining.length ? { ...top, total: remaining.length } : null;
      // Back-up rules: conditions reliable over the whole train split that no trace reaching the end
      // of the list has, so they change nothing on train and catch wordings the rules above miss.
      const taken = new Set(rules.map((rule) => conditionKey(rule.condition)));
      const atEnd = new Set(remaining.flatMap((row) => [...row.keys]));
      for (const rule of reliableRules(rows, known, BACKUP_PRECISION)) {
        if (rules.length >= MAX_RULES + MAX_BACKUP_RULES) break;
        const key = conditionKey(rule.condition);
        if (!taken.has(key) && !atEnd.has(key)) rules.push({ ...rule, backup: true });
      }
      if (rules.length === 0 && !closing) return null;
      const model: Model = {
        family: "decision_list",
        complexity: 4 + rules.filter((rule) => !rule.backup).length / 10,
        predict(input) {
          const conditions = conditionsOf(input);
          for (const rule of rules) if (conditions.has(conditionKey(rule.condition))) return rule.label;
          return closing?.label;
        },
        emit() {
          const usesWords = rules.some((rule) => rule.condition.kind === "hasWord");
          const helpers: Helper[] = [];
          if (usesWords) helpers.push("wordsOf");
          if (rules.some((rule) => rule.condition.kind === "equals")) helpers.push("compactKey");
          return {
            summary: `decision list of ${rules.filter((rule) => !rule.backup).length} rules${usesWords ? ` over the words of ${features.text.map(accessorSource).join(", ")}` : ""}`,
            declarations: [],
            helpers,
            body: [
              ...(usesWords ? [`const words = wordsOf(${features.text.map(accessorSource).join(", ")});`] : []),
              ...rules.flatMap((rule, i) => [
                ...(rule.backup && !rules[i - 1]?.backup ? ["// Back-up rules, reliable on the whole train split, for inputs the rules above miss:"] : []),
                `if (${conditionSource(rule.condition)}) return ${rule.label}; ${supportComment(rule.correct, rule.covered, "train traces it decided")}`,
              ]),
              closing
                ? `return ${closing.label}; // otherwise: ${closing.count} of ${closing.total} remaining train traces`
                : abstainLine(`no rule matched (${remaining.length} train traces reached here without a clear answer)`),
            ],
          };
        },
      };
      return model;
    },
  };
}

function conditionSource(condition: Condition): string {
  switch (condition.kind) {
    case "hasWord":
      return `words.includes(${JSON.stringify(condition.word)})`;
    case "equals":
      return `compactKey(${accessorSource(condition.path)}) === ${JSON.stringify(condition.value)}`;
    case "isTrue":
      return `${accessorSource(condition.path)} === true`;
  }
}

/** Label counts of every condition over the rows. */
function countByCondition(rows: readonly Row[]): Map<string, Map<string, number>> {
  const byKey = new Map<string, Map<string, number>>();
  for (const row of rows) {
    for (const key of row.keys) {
      let counts = byKey.get(key);
      if (!counts) byKey.set(key, (counts = new Map()));
      counts.set(row.label, (counts.get(row.label) ?? 0) + 1);
    }
  }
  return byKey;
}

function topOf(counts: ReadonlyMap<string, number>): { label: string; count: number; covered: number } {
  let covered = 0;
  let best = { label: "", count: -1 };
  for (const [label, count] of counts) {
    covered += count;
    if (count > best.count || (count === best.count && label < best.label)) best = { label, count };
  }
  return { ...best, covered };
}

/**
 * The next rule, chosen on the traces earlier rules left: among conditions with enough support,
 * precision >= MIN_PRECISION there, and a precision that chance cannot explain (its answer's share
 * of these traces would give it less than 5 % of the time), the most precise, then the broadest.
 * Precision first keeps a decisive rare word ("emergency" -> high) ahead of a broad word that is
 * merely common among another answer's traces.
 */
function bestRule(left: ReadonlyMap<string, ReadonlyMap<string, number>>, labelCounts: ReadonlyMap<string, number>, rows: number, known: ReadonlyMap<string, Condition>): Rule | null {
  let best: (Rule & { key: string }) | null = null;
  for (const [key, counts] of left) {
    const { label, count, covered } = topOf(counts);
    if (count < MIN_SUPPORT || count < MIN_PRECISION * covered) continue;
    const base = (labelCounts.get(label) ?? 0) / rows;
    const better = !best || count * best.covered > best.correct * covered || (count * best.covered === best.correct * covered && (count > best.correct || (count === best.correct && key < best.key)));
    // The significance test is the costly part: only for a rule that would win.
    if (!better || binomialUpperTail(count, covered, base) >= CHANCE) continue;
    best = { condition: known.get(key) as Condition, label, correct: count, covered, key };
  }
  return best && { condition: best.condition, label: best.label, correct: best.correct, covered: best.covered };
}

/** Conditions whose answer is (nearly) always the same over all rows, most frequent first. */
function reliableRules(rows: readonly Row[], known: ReadonlyMap<string, Condition>, precision: number): Rule[] {
  const rules: Array<Rule & { key: string }> = [];
  for (const [key, counts] of countByCondition(rows)) {
    const { label, count, covered } = topOf(counts);
    if (count >= MIN_SUPPORT && count >= precision * covered) rules.push({ condition: known.get(key) as Condition, label, correct: count, covered, key });
  }
  return rules.sort((a, b) => b.covered - a.covered || (a.key < b.key ? -1 : 1));
}



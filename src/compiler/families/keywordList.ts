import { accessorSource, readPath, STOPWORDS, wordsOf, type Path } from "../features.js";
import { majority, supportComment, type Learner, type Model } from "./model.js";

interface Rule {
  /** A back-up rule was not needed to cover the train split; it catches unseen wordings. */
  backup?: boolean;
  word: string;
  label: string;
  correct: number;
  covered: number;
}

const MIN_SUPPORT = 2;
const MIN_PRECISION = 0.8;
const MAX_RULES = 40;
/** A wrong answer costs three right ones: rules should be precise first, broad second. */
const ERROR_WEIGHT = 3;

/**
 * An ordered list "if the text contains WORD, answer X", learned greedily (the most reliable word
 * first, then on what it leaves), with the most common remaining answer as the default.
 */
export function keywordListLearner(textPaths: readonly Path[]): Learner {
  const wordsOfInput = (input: unknown) => wordsOf(...textPaths.map((path) => readPath(input, path)));
  return {
    family: "keyword_list",
    variant: "keyword_list",
    fit(examples) {
      if (textPaths.length === 0 || examples.length === 0) return null;
      const all = examples.map((example) => ({ words: new Set(wordsOfInput(example.input)), label: example.label }));
      // A rule must be reliable on the whole train split, not only on what earlier rules left over:
      // "never" may look perfect among five leftovers and be noise everywhere else.
      const reliable = new Map(reliableWords(all, MIN_SUPPORT, MIN_PRECISION).map((rule) => [rule.word, rule.label]));
      let remaining = all;
      const rules: Rule[] = [];
      while (rules.length < MAX_RULES && remaining.length > 0) {
        if (new Set(remaining.map((example) => example.label)).size === 1) break;
        const rule = bestRule(remaining, reliable);
        if (!rule) break;
        rules.push(rule);
        remaining = remaining.filter((example) => !example.words.has(rule.word));
      }
      // Back-up rules: words that are reliable over the whole train split but were not needed to
      // cover it. They only answer inputs no earlier rule matched, which is where unseen wordings land.
      const taken = new Set(rules.map((rule) => rule.word));
      for (const rule of reliableWords(all, BACKUP_SUPPORT, BACKUP_PRECISION).slice(0, MAX_BACKUP_RULES)) {
        if (rules.length >= MAX_RULES) break;
        if (!taken.has(rule.word)) rules.push({ ...rule, backup: true });
      }
      if (rules.length === 0) return null;
      const fallback = remaining.length > 0 ? majority(remaining.map((example) => example.label)) : majority(examples.map((example) => example.label));
      const fallbackTotal = remaining.length > 0 ? remaining.length : examples.length;
      const model: Model = {
        family: "keyword_list",
        // Back-up rules add no decisions on the train split, so they do not count against simplicity.
        complexity: 4 + rules.filter((rule) => !rule.backup).length / 10,
        predict(input) {
          const words = wordsOfInput(input);
          for (const rule of rules) if (words.includes(rule.word)) return rule.label;
          return fallback.label;
        },
        emit: () => ({
          summary: `keyword rules over the words of ${textPaths.map(accessorSource).join(", ")}`,
          declarations: [],
          helpers: ["wordsOf"],
          body: [
            `const words = wordsOf(${textPaths.map(accessorSource).join(", ")});`,
            ...rules.flatMap((rule, i) => [
              ...(rule.backup && !rules[i - 1]?.backup ? ["// Back-up words, reliable on the whole train split, for wordings the rules above miss:"] : []),
              `if (words.includes(${JSON.stringify(rule.word)})) return ${rule.label}; ${supportComment(rule.correct, rule.covered, "train traces with this word")}`,
            ]),
            `return ${fallback.label}; // no keyword: ${fallback.count} of ${fallbackTotal} remaining train traces`,
          ],
        }),
      };
      return model;
    },
  };
}

const BACKUP_PRECISION = 0.9;
const BACKUP_SUPPORT = 3;
const MAX_BACKUP_RULES = 25;

/** Words whose answer is (nearly) always the same, most frequent first. */
function reliableWords(examples: ReadonlyArray<{ words: Set<string>; label: string }>, minSupport: number, minPrecision: number): Rule[] {
  const byWord = new Map<string, string[]>();
  for (const example of examples) {
    for (const word of example.words) {
      if (STOPWORDS.has(word)) continue;
      const labels = byWord.get(word);
      if (labels) labels.push(example.label);
      else byWord.set(word, [example.label]);
    }
  }
  const rules: Rule[] = [];
  for (const [word, labels] of byWord) {
    const top = majority(labels);
    if (labels.length >= minSupport && top.count / labels.length >= minPrecision) rules.push({ word, label: top.label, correct: top.count, covered: labels.length });
  }
  return rules.sort((a, b) => b.covered - a.covered || (a.word < b.word ? -1 : 1));
}

function bestRule(examples: ReadonlyArray<{ words: Set<string>; label: string }>, reliable: ReadonlyMap<string, string>): Rule | null {
  const byWord = new Map<string, Map<string, number>>();
  for (const example of examples) {
    for (const word of example.words) {
      if (STOPWORDS.has(word)) continue;
      let counts = byWord.get(word);
      if (!counts) byWord.set(word, (counts = new Map()));
      counts.set(example.label, (counts.get(example.label) ?? 0) + 1);
    }
  }
  let best: (Rule & { score: number }) | null = null;
  for (const [word, counts] of byWord) {
    let covered = 0;
    for (const count of counts.values()) covered += count;
    if (covered < MIN_SUPPORT) continue;
    const top = majority([...counts].flatMap(([label, count]) => Array<string>(count).fill(label)));
    if (top.count < MIN_SUPPORT || top.count / covered < MIN_PRECISION || reliable.get(word) !== top.label) continue;
    const score = top.count - ERROR_WEIGHT * (covered - top.count);
    const better =
      !best || score > best.score || (score === best.score && (top.count / covered > best.correct / best.covered || (top.count / covered === best.correct / best.covered && word < best.word)));
    if (better) best = { word, label: top.label, correct: top.count, covered, score };
  }
  return best && best.score > 0 ? { word: best.word, label: best.label, correct: best.correct, covered: best.covered } : null;
}

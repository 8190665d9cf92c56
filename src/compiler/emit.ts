import { RESERVED_NAMES } from "./codeCheck.js";
import { HELPER_SOURCE, type Helper } from "./features.js";
import type { Model } from "./families/model.js";
import { round3 } from "./stats.js";

/** One learned piece of the program: the whole answer (field null) or one field of an object answer. */
export interface ProgramPart {
  field: string | null;
  model: Model;
  cv: number;
}

/** Names a field's function may not take: keywords, the emitted code's own names, and the built-ins it calls. */
const RESERVED = new Set([
  ..."break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof let new null return super switch this throw true try typeof var void while with yield await implements interface package private protected public static arguments eval compiled input key words".split(
    " ",
  ),
  ...RESERVED_NAMES,
]);

/** A readable function name for a field: the field itself when that is a safe identifier. */
function functionNameFor(field: string, index: number, taken: Set<string>): string {
  const candidate = /^[A-Za-z_][A-Za-z0-9_]*$/.test(field) && !RESERVED.has(field) && !taken.has(field) ? field : `field${index}`;
  taken.add(candidate);
  return candidate;
}

/** Helpers whose source calls another helper. */
const HELPER_NEEDS: Partial<Record<Helper, Helper[]>> = { textFeatures: ["wordsOf"] };

/**
 * Text for a `//` comment: a name from a trace file must not end the comment (a newline, U+2028
 * or U+2029 would start a line of code), so line terminators and other controls become `?`; so do
 * bidirectional controls (which make code read differently from how it runs) and a BOM. The code
 * check refuses a comment with any of them.
 */
export function commentText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ufeff]/g, "?");
}

function indent(lines: readonly string[]): string {
  return lines.map((line) => `  ${line}`).join("\n");
}

/** Assembles `export default function compiled(input)` plus per-field functions, tables and helpers. */
export function emitProgram(program: { bucket: string; family: string; cvAgreement: number; nTrain: number; folds: number; parts: ProgramPart[] }): string {
  const header = [
    `// ${commentText(program.bucket)}: compiled from ${program.nTrain} train traces.`,
    `// Family: ${commentText(program.family)}; ${program.folds}-fold cross-validated agreement ${round3(program.cvAgreement)} on the train split.`,
    "// Returns undefined (abstains) for an input it has no evidence for: ask the model then.",
  ];
  const helpers = new Set<Helper>();
  const sections: string[] = [];
  let main: string[];
  const [only] = program.parts;
  if (program.parts.length === 1 && only.field === null) {
    const emitted = only.model.emit({ constStem: "ANSWER" });
    emitted.helpers.forEach((helper) => helpers.add(helper));
    sections.push(...emitted.declarations);
    main = [`// ${commentText(emitted.summary)}`, ...emitted.body];
  } else {
    const taken = new Set<string>([...Object.keys(HELPER_SOURCE), "STOPWORDS", ...program.parts.map((_, index) => `answer${index}`)]);
    const entries: string[] = [];
    const calls: string[] = [];
    program.parts.forEach((part, index) => {
      const field = part.field ?? `field${index}`;
      const name = functionNameFor(field, index, taken);
      const emitted = part.model.emit({ constStem: name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase() });
      emitted.helpers.forEach((helper) => helpers.add(helper));
      sections.push(
        ...emitted.declarations,
        [`// ${commentText(field)}: ${commentText(emitted.summary)}; cross-validated agreement ${round3(part.cv)}.`, `function ${name}(input) {`, indent(emitted.body), "}"].join("\n"),
      );
      const key = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(field) ? field : JSON.stringify(field);
      // The whole answer abstains when any of its fields does.
      calls.push(`const answer${index} = ${name}(input);`, `if (answer${index} === undefined) return undefined;`);
      entries.push(`${key}: answer${index}`);
    });
    main = [...calls, `return { ${entries.join(", ")} };`];
  }
  for (const helper of [...helpers]) for (const needed of HELPER_NEEDS[helper] ?? []) helpers.add(needed);
  const program_ = [header.join("\n"), `export default function compiled(input) {\n${indent(main)}\n}`, ...sections, ...[...helpers].sort().map((helper) => HELPER_SOURCE[helper])];
  return escapeInvisible(`${program_.join("\n\n")}\n`);
}

/**
 * The emitted program with every invisible character (controls JSON.stringify leaves raw, line and
 * paragraph separators, bidirectional controls, BOM) written as a `\uXXXX` escape. They can only be
 * inside string literals here (comments went through commentText, names are ASCII), where the escape
 * is the same string: the program means what it did, and reads as it runs (the code check refuses
 * them raw).
 */
export function escapeInvisible(code: string): string {
  return code.replace(INVISIBLE_RAW, (char) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`);
}

const INVISIBLE_RAW = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ufeff]/g;

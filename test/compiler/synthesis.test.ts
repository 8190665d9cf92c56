import { afterAll, describe, expect, it } from "vitest";
import { canonicalJson, closeSandboxes, synthesize } from "../../src/compiler/index.js";
import { emitProgram } from "../../src/compiler/emit.js";
import { evaluationOrigins } from "../../src/compiler/evaluate.js";
import { decisionListLearner } from "../../src/compiler/families/decisionList.js";
import { decisionTreeLearner } from "../../src/compiler/families/decisionTree.js";
import { lookupLearner } from "../../src/compiler/families/lookup.js";
import type { Example, Model } from "../../src/compiler/families/model.js";
import { roundThreshold } from "../../src/compiler/families/roundThreshold.js";
import { stringTransformLearner } from "../../src/compiler/families/stringTransform.js";
import { textClassifierLearner } from "../../src/compiler/families/textClassifier.js";
import { evaluateOnce } from "../../src/compiler/sandbox/localRunner.js";
import { learnableRule, rng, trace, triage } from "./datasets.js";

afterAll(() => closeSandboxes());

/** What the sandboxed code answered per input: canonical JSON, or undefined where it abstained. */
async function sandboxAnswers(code: string, probes: unknown[]): Promise<Array<string | undefined>> {
  const run = await evaluateOnce(code, probes);
  expect(run.errors, run.firstError).toBe(0);
  return probes.map((_, i) => (run.abstained.includes(i) ? undefined : canonicalJson(run.outputs[i])));
}

/** The emitted JS must answer exactly what the in-process program answers, abstentions included. */
async function expectEmittedMatchesModel(train: Array<{ input: unknown; output: unknown }>, probes: unknown[]) {
  const synthesis = synthesize(train, { bucket: "test", seed: 1 });
  expect(await sandboxAnswers(synthesis.code, probes)).toEqual(probes.map((probe) => synthesis.predict(probe)));
  return synthesis;
}

/** One fitted model alone, emitted as a whole program. */
const programOf = (model: Model, nTrain: number) => emitProgram({ bucket: "test", family: model.family, cvAgreement: 1, nTrain, folds: 5, parts: [{ field: null, model, cv: 1 }] });

const label = (value: unknown) => canonicalJson(value);

describe("synthesis families", () => {
  it("picks a constant when every answer is the same", () => {
    const train = Array.from({ length: 30 }, (_, i) => trace("t", { x: i }, "same", i));
    expect(synthesize(train, { bucket: "t", seed: 1 }).family).toBe("constant");
  });

  it("finds a field transform, and abstains when the field is missing", async () => {
    const random = rng(2);
    const train = Array.from({ length: 40 }, (_, i) => trace("t", { name: `  User${Math.floor(random() * 1000)} ` }, null, i)).map((t) => ({ ...t, output: (t.input as { name: string }).name.trim().toLowerCase() }));
    const synthesis = await expectEmittedMatchesModel(train, [{ name: " MiXeD " }, { name: "" }, {}, { name: null }]);
    expect(synthesis.family).toBe("field_copy");
    expect(synthesis.code).toMatch(/\.trim\(\)\.toLowerCase\(\)/);
    expect(synthesis.predict({ name: " MiXeD " })).toBe('"mixed"');
    expect(synthesis.predict({})).toBeUndefined();
  });

  it("learns a normalised lookup table that abstains on keys it never saw", async () => {
    const spellings: Array<[string, string]> = [["U.S.A.", "US"], ["usa", "US"], ["United Kingdom", "GB"], ["united kingdom ", "GB"], ["France", "FR"], ["FRANCE.", "FR"]];
    const train = Array.from({ length: 60 }, (_, i) => trace("t", { country: spellings[i % 6][0] }, { code: spellings[i % 6][1] }, i));
    const probes = [{ country: " u s a " }, { country: "UNITED-KINGDOM" }, { country: "Narnia" }, { country: "" }, { country: "__proto__" }, { country: "constructor" }, {}];
    const synthesis = await expectEmittedMatchesModel(train, probes);
    expect(synthesis.family).toBe("lookup");
    expect(synthesis.code).toMatch(/compactKey\(input\.country\)/);
    // Known keys under another spelling are answered; nothing unseen gets the majority answer.
    expect(probes.map((probe) => synthesis.predict(probe))).toEqual(['{"code":"US"}', '{"code":"GB"}', undefined, undefined, undefined, undefined, undefined]);
  });

  it("leaves a lookup key whose recorded answers tie unanswered, and answers a strict majority", () => {
    const rows: Array<[string, string]> = [["germany", "DE"], ["germany", "DE"], ["germany", "DE"], ["france", "FR"], ["france", "FR"], ["india", "IN"], ["india", "DE"], ["spain", "ES"], ["spain", "ES"], ["spain", "MX"]];
    const examples: Example[] = rows.map(([country, code]) => ({ input: { country }, label: label(code) }));
    const model = lookupLearner(["country"], "compact").fit(examples) as Model;
    expect(model.family).toBe("lookup");
    expect(model.predict({ country: "India" })).toBeUndefined(); // 1 IN, 1 DE: no coin flipping
    expect(model.predict({ country: "Spain" })).toBe('"ES"'); // 2 of 3: a strict majority
    expect(model.predict({ country: "GERMANY " })).toBe('"DE"');
    expect(model.predict({ country: "Italy" })).toBeUndefined();
    expect(programOf(model, examples.length)).toMatch(/1 keys with disagreeing answers left out/);

    // Whatever family wins on a bucket like this, the tied key is never answered.
    const train = Array.from({ length: 42 }, (_, i) => trace("t", { country: rows[i % 7][0] }, rows[i % 7][1], i));
    const synthesis = synthesize(train, { bucket: "t", seed: 1 });
    expect(synthesis.predict({ country: "India" })).toBeUndefined();
    expect(synthesis.predict({ country: "Germany" })).toBe('"DE"');
    expect(synthesis.predict({ country: "Italy" })).toBeUndefined();
  });

  it("learns a decision list over words that abstains when no rule fires", async () => {
    const random = rng(4);
    const topics: Array<[string, string]> = [["refund", "billing"], ["invoice", "billing"], ["crash", "technical"], ["error", "technical"], ["password", "account"]];
    const filler = ["please", "help", "today", "our", "team", "the", "with"];
    const train = Array.from({ length: 120 }, (_, i) => {
      const [word, queue] = topics[Math.floor(random() * topics.length)];
      const text = [filler[Math.floor(random() * 7)], word, filler[Math.floor(random() * 7)], filler[Math.floor(random() * 7)]].join(" ");
      return trace("t", { text }, queue, i);
    });
    const synthesis = await expectEmittedMatchesModel(train, [{ text: "REFUND now!" }, { text: "nothing known" }, { text: "crash, error" }, {}]);
    expect(synthesis.family).toBe("decision_list");
    expect(synthesis.code).toMatch(/words\.includes\("refund"\)/);
    expect(synthesis.predict({ text: "REFUND now!" })).toBe('"billing"');
    expect(synthesis.predict({ text: "nothing known" })).toBeUndefined(); // no invented default
  });

  it("chooses each rule on the traces the earlier rules left (two-field triage)", async () => {
    const synthesis = await expectEmittedMatchesModel(triage(400), [{ text: "router down asap" }, { text: "vpn down" }, { text: "invoice question" }, { text: "hello there" }]);
    // Priority: an urgency word wins over an outage word, an outage word over nothing.
    expect(synthesis.predict({ text: "router down asap" })).toBe(label({ team: "network", priority: "high" }));
    expect(synthesis.predict({ text: "vpn down" })).toBe(label({ team: "network", priority: "medium" }));
    expect(synthesis.predict({ text: "invoice question" })).toBe(label({ team: "billing", priority: "low" }));
    // No topic word: the team cannot be known, so the whole answer abstains.
    expect(synthesis.predict({ text: "hello there" })).toBeUndefined();
  });

  it("learns a decision tree with round thresholds, and the emitted code agrees with it", async () => {
    const train = learnableRule(300, 0.03);
    const probes = Array.from({ length: 50 }, (_, i) => ({ score: i * 3 - 20, plan: ["free", "pro", "gold", " FREE ", "Pro."][i % 5] }));
    const synthesis = await expectEmittedMatchesModel(train, probes);
    expect(synthesis.family).toBe("decision_tree");
    expect(synthesis.code).toMatch(/\/\/ \d+ of \d+ train traces/);
    expect(synthesis.code).toMatch(/compactKey\(input\.plan\) === "free"/);
    // Categories compare as compact keys: " FREE " is the plan "free".
    expect(synthesis.predict({ score: 90, plan: " FREE " })).toBe(synthesis.predict({ score: 90, plan: "free" }));
    expect(synthesis.predict({ score: 90, plan: "free" })).not.toBe(synthesis.predict({ score: 90, plan: "pro" }));
  });

  it("lets a decision-tree leaf with too little support abstain", async () => {
    const examples: Example[] = [...Array.from({ length: 40 }, (_, x) => ({ input: { x }, label: '"a"' })), { input: { x: 100 }, label: '"b"' }, { input: { x: 101 }, label: '"b"' }];
    const model = decisionTreeLearner({ numeric: [["x"]], categorical: [], boolean: [], text: [] }).fit(examples) as Model;
    expect(model.family).toBe("decision_tree");
    const probes = [{ x: 0 }, { x: 39 }, { x: 100 }, { x: 500 }];
    expect(probes.map((probe) => model.predict(probe))).toEqual(['"a"', '"a"', undefined, undefined]);
    const code = programOf(model, examples.length);
    expect(code).toMatch(/return undefined; \/\/ abstain: 2 of 2 train traces here agree, too few to answer/);
    expect(await sandboxAnswers(code, probes)).toEqual(['"a"', '"a"', undefined, undefined]);
  });

  it("composes object answers field by field, abstaining when any field does", async () => {
    const random = rng(8);
    const regions: Record<string, string> = { us: "NA", ca: "NA", de: "EMEA", fr: "EMEA", jp: "APAC", in: "APAC" };
    const countries = Object.keys(regions);
    const train = Array.from({ length: 150 }, (_, i) => {
      const input = { amount: Math.floor(random() * 1000), seats: Math.floor(random() * 40), country: countries[Math.floor(random() * 6)] };
      return trace("t", input, { large: input.amount >= 500, team: input.seats >= 10 ? "team" : "solo", region: regions[input.country] }, i);
    });
    const probes = [{ amount: 499, seats: 3, country: "us" }, { amount: 501, seats: 30, country: "jp" }, { amount: 501, seats: 30, country: "br" }];
    const synthesis = await expectEmittedMatchesModel(train, probes);
    expect(synthesis.family).toMatch(/^composition\(large: decision_tree, team: decision_tree, region: (lookup|decision_list|decision_tree)\)$/);
    expect(synthesis.code).toMatch(/const answer2 = region\(input\);\n\s*if \(answer2 === undefined\) return undefined;\n\s*return \{ large: answer0, team: answer1, region: answer2 \};/);
    expect(synthesis.predict(probes[1])).toBe(label({ large: true, team: "team", region: "APAC" }));
    expect(synthesis.predict(probes[2])).toBeUndefined(); // a country never seen: no region, no answer
    expect(synthesis.cvAgreement).toBeGreaterThan(0.95);
  });

  it("learns a string transformation that generalises to titles it never saw", async () => {
    const random = rng(6);
    const words = ["alpha", "Beta", "gamma", "Delta", "épsilon", "zeta", "eta", "Theta", "iota", "kappa", "lambda", "mu"];
    const slug = (text: string) => text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "").split(/[^a-z0-9]+/).filter(Boolean).join("-");
    const train = Array.from({ length: 60 }, (_, i) => {
      const title = Array.from({ length: 2 + Math.floor(random() * 3) }, () => words[Math.floor(random() * words.length)]).join(random() < 0.5 ? " " : ", ") + (random() < 0.3 ? "!" : "");
      return trace("t", { title, author: `user${i}` }, { slug: slug(title) }, i);
    });
    const probes = [{ title: "Hello, World!", author: "x" }, { title: "Crème brûlée  recipes", author: "y" }, { title: 42, author: "z" }];
    const synthesis = await expectEmittedMatchesModel(train, probes);
    expect(synthesis.family).toBe("string_transform");
    expect(synthesis.code).toMatch(/slugify\(input\.title, "-"\)/);
    expect(probes.map((probe) => synthesis.predict(probe))).toEqual([label({ slug: "hello-world" }), label({ slug: "creme-brulee-recipes" }), undefined]);
    // Learned directly: the same program from the examples alone.
    const model = stringTransformLearner([["title"], ["author"]]).fit(train.map((t) => ({ input: t.input, label: label((t.output as { slug: string }).slug) }))) as Model;
    expect(model.predict({ title: "Net Zero 2030", author: "q" })).toBe('"net-zero-2030"');
  });

  it("learns a text classifier over many labels that abstains without a known word, and emits the same program", async () => {
    const random = rng(12);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
    const vocabulary: Record<string, string[]> = {
      shipping: ["parcel", "courier", "tracking", "delivery", "shipped", "package"],
      returns: ["return", "exchange", "wrong", "size", "label", "refund"],
      payments: ["card", "declined", "charged", "twice", "paypal", "payment"],
      account: ["password", "login", "email", "username", "locked", "reset"],
      product: ["battery", "screen", "manual", "warranty", "broken", "charger"],
      privacy: ["gdpr", "delete", "data", "consent", "cookies", "unsubscribe"],
    };
    const filler = ["hi", "i", "have", "a", "question", "about", "my", "order", "thanks", "please", "today", "again"];
    const labels = Object.keys(vocabulary);
    const examples: Example[] = Array.from({ length: 240 }, () => {
      const answer = pick(labels);
      const words = [pick(vocabulary[answer]), pick(vocabulary[answer]), pick(filler), pick(filler), pick(filler), ...(random() < 0.3 ? [pick(vocabulary[pick(labels)])] : [])];
      return { input: { message: words.sort(() => random() - 0.5).join(" ") }, label: label(answer) };
    });
    const model = textClassifierLearner([["message"]]).fit(examples) as Model;
    expect(model.family).toBe("text_classifier");
    expect(model.predict({ message: "my parcel tracking is stuck" })).toBe('"shipping"');
    expect(model.predict({ message: "card declined twice" })).toBe('"payments"');
    expect(model.predict({ message: "zzz qqq" })).toBeUndefined();
    const probes = [
      ...Array.from({ length: 200 }, () => ({ message: Array.from({ length: 2 + Math.floor(random() * 5) }, () => pick([...filler, ...Object.values(vocabulary).flat(), "unknown"])).join(" ") })),
      { message: "" },
      {},
    ];
    const answers = await sandboxAnswers(programOf(model, examples.length), probes);
    expect(answers).toEqual(probes.map((probe) => model.predict(probe)));
    // It does abstain where the best label does not stand out, and answers elsewhere.
    expect(answers.filter((answer) => answer === undefined).length).toBeGreaterThan(0);
    expect(answers.filter((answer) => answer !== undefined).length).toBeGreaterThan(0);
  });

  it("a decision list fit directly emits code that answers what it answers, abstentions included", async () => {
    const examples: Example[] = triage(300).map((t) => ({ input: t.input, label: label((t.output as { team: string }).team) }));
    const model = decisionListLearner({ text: [["text"]], categorical: [], boolean: [] }).fit(examples) as Model;
    expect(model.family).toBe("decision_list");
    const probes = triage(200, 0, 99).map((t) => t.input).concat([{ text: "" }, {}, { text: "nothing about any topic" }]);
    expect(await sandboxAnswers(programOf(model, examples.length), probes)).toEqual(probes.map((probe) => model.predict(probe)));
    expect(model.predict({ text: "nothing about any topic" })).toBeUndefined();
  });

  it("rounds thresholds without moving any example across them", () => {
    expect(roundThreshold(39_000, 41_500)).toBe(40_000);
    expect(roundThreshold(147, 152)).toBe(150);
    expect(roundThreshold(0.31, 0.34)).toBe(0.325);
    const t = roundThreshold(12.3, 12.31);
    expect(t).toBeGreaterThan(12.3);
    expect(t).toBeLessThanOrEqual(12.31);
  });
});

describe("forward-chaining evaluation", () => {
  it("scores the later half in time order, each call by a program fit only on the traces before its block", () => {
    // Every key shows up twice in a row with an answer of its own: a memorising table is right on
    // every recorded call in sample, but a key is new when its block starts, so nothing later is known.
    const n = 60;
    const answers = Array.from({ length: n / 2 }, (_, key) => `v${(key * 7919) % 1000}`);
    const train = Array.from({ length: n }, (_, i) => trace("t", { key: `k${Math.floor(i / 2)}` }, answers[Math.floor(i / 2)], i));
    const synthesis = synthesize(train, { bucket: "t", seed: 1 });
    const start = Math.ceil(n / 2);
    expect(evaluationOrigins(n)[0]).toBe(start);
    expect(synthesis.calls).toHaveLength(n - start);
    expect(synthesis.calls.map((call) => call.recorded)).toEqual(train.slice(start).map((t) => canonicalJson(t.output)));
    expect(synthesis.calls.every((call) => call.predicted === undefined)).toBe(true);
    // The final program, fit on every trace, does know them all (and still not a key it never saw).
    expect(synthesis.family).toBe("lookup");
    expect(train.every((t) => synthesis.predict(t.input) === canonicalJson(t.output))).toBe(true);
    expect(synthesis.predict({ key: "k999" })).toBeUndefined();
  });

  it("answers a later call only from what was recorded before its block", () => {
    // Answers drift: the first half says "old", the second "new", for the same inputs.
    const n = 100;
    const train = Array.from({ length: n }, (_, i) => trace("t", { plan: ["free", "pro"][i % 2] }, i < n / 2 ? "old" : "new", i));
    const synthesis = synthesize(train, { bucket: "t", seed: 1 });
    const origins = evaluationOrigins(n);
    // Block 0 was fit on "old" answers only, so it cannot answer "new".
    const firstBlock = synthesis.calls.slice(0, origins[1] - origins[0]);
    expect(firstBlock.length).toBeGreaterThan(0);
    expect(firstBlock.every((call) => call.predicted !== '"new"')).toBe(true);
    expect(synthesis.calls.every((call) => call.baseline === '"old"' || call.baseline === '"new"')).toBe(true);
    expect(synthesis.calls[0].baseline).toBe('"old"');
  });
});

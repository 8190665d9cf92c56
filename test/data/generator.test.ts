import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { classifyLeadTier } from "../../data/acme-agent/src/calls/classifyLeadTier.js";
import { normalizeCountry } from "../../data/acme-agent/src/calls/normalizeCountry.js";
import { routeTicket } from "../../data/acme-agent/src/calls/routeTicket.js";
import { summarizeFeedback } from "../../data/acme-agent/src/calls/summarizeFeedback.js";
import {
  CALL_SITES,
  COUNTRY_SPELLINGS,
  DEFAULT_SEED,
  MISLABEL_RATE,
  freshInputs,
  generateBucket,
  generateSeedTraces,
  generateTraces,
  groundTruth,
  MODEL,
  SEED_COUNTS,
  SEED_UPGRADE_AT,
  UPGRADED_MODEL,
  type Era,
  type Trace,
} from "../../data/acme-agent/scripts/generate-seed.js";

/** The call sites with a deterministic true answer. */
const DETERMINISTIC = ["classify_lead_tier", "route_ticket", "normalize_country"] as const;
const SPECS = Object.fromEntries([classifyLeadTier, routeTicket, normalizeCountry, summarizeFeedback].map((call) => [call.spec.name, call.spec]));
const ajv = new Ajv({ allErrors: true });
const validators = Object.fromEntries(
  CALL_SITES.map((name) => [name, { input: ajv.compile(SPECS[name].input), output: ajv.compile(SPECS[name].output) }]),
);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const withoutTs = ({ ts: _ts, ...rest }: Trace) => rest;
/** What a careful reader ignores in a typed country: accents, case, punctuation, spaces. */
const countryKey = (text: string) =>
  text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/[^\p{L}\p{N}\s]/gu, "").replace(/\s+/g, " ").trim();

describe("determinism", () => {
  it("gives the same traces for the same seed and different ones for another seed", () => {
    expect(generateSeedTraces()).toEqual(generateSeedTraces(DEFAULT_SEED));
    const counts = { classify_lead_tier: 30, route_ticket: 30, normalize_country: 30, summarize_feedback: 10 };
    expect(generateTraces(5, counts)).toEqual(generateTraces(5, counts));
    expect(generateTraces(6, counts)).not.toEqual(generateTraces(5, counts));
    for (const name of CALL_SITES) {
      expect(generateBucket(name, 9, 50)).toEqual(generateBucket(name, 9, 50));
      expect(freshInputs(name, 9, 50)).toEqual(freshInputs(name, 9, 50));
      expect(freshInputs(name, 10, 50)).not.toEqual(freshInputs(name, 9, 50));
    }
  });

  it("the committed seed file is the generator's output at the default seed", () => {
    const onDisk = readFileSync("data/acme-agent/traces/seed.jsonl", "utf8").trimEnd().split("\n");
    expect(onDisk).toEqual(generateSeedTraces());
    const traces = onDisk.map((line) => JSON.parse(line) as Trace);
    const counts: Record<string, number> = {};
    for (const trace of traces) counts[trace.bucket] = (counts[trace.bucket] ?? 0) + 1;
    expect(counts).toEqual(Object.fromEntries(Object.entries(SEED_COUNTS).map(([name, n]) => [`acme:${name}:v1`, n])));
  });

  it("the seed's model upgrade: the upgraded model answers from SEED_UPGRADE_AT on, and only the lead tier's reading changes", () => {
    const traces = generateSeedTraces().map((line) => JSON.parse(line) as Trace);
    expect(traces.findIndex((t) => t.model === UPGRADED_MODEL)).toBe(SEED_UPGRADE_AT);
    expect(traces.slice(SEED_UPGRADE_AT).every((t) => t.model === UPGRADED_MODEL)).toBe(true);
    expect(traces.slice(0, SEED_UPGRADE_AT).every((t) => t.model === MODEL)).toBe(true);
    // Against each era's truth: mislabels aside (3 %), every trace follows the model that answered it.
    const wrong = (list: Trace[], era: Era) =>
      list.filter((t) => {
        const truth = groundTruth(t.bucket.split(":")[1], t.input, era);
        return truth !== undefined && JSON.stringify(truth) !== JSON.stringify(t.output);
      }).length / list.length;
    const leads = (list: Trace[]) => list.filter((t) => t.bucket === "acme:classify_lead_tier:v1");
    const [before, after] = [traces.slice(0, SEED_UPGRADE_AT), traces.slice(SEED_UPGRADE_AT)];
    expect(wrong(before, "before-upgrade")).toBeLessThan(0.06);
    expect(wrong(after, "after-upgrade")).toBeLessThan(0.06);
    // The change is large enough to matter: a function of the old rule disagrees on a good share of new calls.
    expect(wrong(leads(after), "before-upgrade")).toBeGreaterThan(0.15);
    // Other call sites answer the same either way.
    for (const t of after.filter((t) => !t.bucket.includes("lead_tier"))) {
      const name = t.bucket.split(":")[1];
      expect(groundTruth(name, t.input, "after-upgrade")).toEqual(groundTruth(name, t.input, "before-upgrade"));
    }
  });

  it("keeps the JSON line format, increasing timestamps and interleaved call sites", () => {
    const traces = generateSeedTraces().map((line) => JSON.parse(line) as Trace);
    for (const trace of traces) {
      expect(Object.keys(trace)).toEqual(["bucket", "input", "output", "model", "latencyMs", "tokensIn", "tokensOut", "ts"]);
    }
    const times = traces.map((trace) => Date.parse(trace.ts));
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1]);
    const switches = traces.filter((trace, i) => i > 0 && trace.bucket !== traces[i - 1].bucket).length;
    expect(switches).toBeGreaterThan(100);
  });

  it("a call site's traces do not depend on the other call sites' counts nor on the mislabel rate", () => {
    const mixed = generateTraces(11, { route_ticket: 40, normalize_country: 60 }).map((line) => JSON.parse(line) as Trace);
    const countries = mixed.filter((trace) => trace.bucket === "acme:normalize_country:v1");
    expect(countries.map(withoutTs)).toEqual(generateBucket("normalize_country", 11, 60).map(withoutTs));
    for (const name of CALL_SITES) {
      const noisy = generateBucket(name, 12, 300, { mislabelRate: 0.3 });
      const clean = generateBucket(name, 12, 300, { mislabelRate: 0 });
      expect(noisy.map((trace) => trace.input)).toEqual(clean.map((trace) => trace.input));
    }
  });
});

describe("ground truth", () => {
  it.each(DETERMINISTIC)("%s: agrees with every trace generated without mislabels", (name) => {
    for (const seed of [1, 2, DEFAULT_SEED]) {
      const traces = generateBucket(name, seed, 1500, { mislabelRate: 0 });
      const disagreements = traces.filter((trace) => !same(groundTruth(name, trace.input), trace.output));
      expect(disagreements).toEqual([]);
    }
  });

  it("is undefined for the open-ended call site and rejects unknown call sites", () => {
    for (const input of freshInputs("summarize_feedback", 3, 20)) expect(groundTruth("summarize_feedback", input)).toBeUndefined();
    expect(() => groundTruth("no_such_call", {})).toThrow(/unknown call site/);
  });

  it.each(DETERMINISTIC)("%s: answers every fresh input, in the call's output schema", (name) => {
    for (const input of freshInputs(name, 4, 1000)) {
      const truth = groundTruth(name, input);
      expect(truth).toBeDefined();
      expect(validators[name].output(truth), JSON.stringify(validators[name].output.errors)).toBe(true);
    }
  });
});

describe("mislabels", () => {
  it(`are independent per trace at the stated rate (${MISLABEL_RATE})`, () => {
    // Binomial: n = 3 x 4000, p = 0.03; allow 4 standard deviations either side.
    let n = 0;
    let wrong = 0;
    for (const name of DETERMINISTIC) {
      for (const trace of generateBucket(name, 21, 4000)) {
        n++;
        if (!same(groundTruth(name, trace.input), trace.output)) wrong++;
      }
    }
    const sd = Math.sqrt(n * MISLABEL_RATE * (1 - MISLABEL_RATE));
    expect(Math.abs(wrong - n * MISLABEL_RATE)).toBeLessThan(4 * sd);
  });

  it("are not a fixed count per bucket", () => {
    const perBucket = Array.from({ length: 200 }, (_, seed) => {
      const traces = generateBucket("normalize_country", seed, 70);
      return traces.filter((trace) => !same(groundTruth("normalize_country", trace.input), trace.output)).length;
    });
    // Binomial(70, 0.03): P(0) ~ 0.12, P(>= 4) ~ 0.16.
    expect(perBucket).toContain(0);
    expect(new Set(perBucket).size).toBeGreaterThanOrEqual(4);
    expect(Math.max(...perBucket)).toBeGreaterThanOrEqual(4);
  });

  it("follow the rate they are given and still satisfy the output schema", () => {
    for (const name of CALL_SITES) {
      const traces = generateBucket(name, 22, 1000, { mislabelRate: 0.5 });
      for (const trace of traces) expect(validators[name].output(trace.output), JSON.stringify(trace.output)).toBe(true);
      if (name === "summarize_feedback") continue;
      const wrong = traces.filter((trace) => !same(groundTruth(name, trace.input), trace.output)).length;
      expect(Math.abs(wrong - 500)).toBeLessThan(4 * Math.sqrt(1000 * 0.25));
    }
  });
});

describe("fresh inputs", () => {
  it.each(CALL_SITES)("%s: have the traces' shape and satisfy the call's input schema", (name) => {
    const traceKeys = new Set(generateBucket(name, 31, 200).map((trace) => Object.keys(trace.input).join(",")));
    expect(traceKeys.size).toBe(1);
    const fresh = freshInputs(name, 31, 500);
    expect(fresh).toHaveLength(500);
    for (const input of fresh) {
      expect(validators[name].input(input), JSON.stringify(validators[name].input.errors)).toBe(true);
      expect(Object.keys(input as object).join(",")).toBe([...traceKeys][0]);
    }
  });

  it("are drawn apart from the traces of the same seed", () => {
    const traced = generateBucket("route_ticket", 32, 200).map((trace) => JSON.stringify(trace.input));
    const fresh = freshInputs("route_ticket", 32, 200).map((input) => JSON.stringify(input));
    expect(fresh).not.toEqual(traced);
  });
});

describe("an honest input distribution", () => {
  const countries = freshInputs("normalize_country", 41, 5000).map((input) => (input as { country: string }).country);
  const known = new Set(Object.values(COUNTRY_SPELLINGS).flatMap((spellings) => spellings.map(countryKey)));

  it("normalize_country: many countries, Zipf-like, some seen once in a 70-trace bucket", () => {
    expect(Object.keys(COUNTRY_SPELLINGS).length).toBeGreaterThanOrEqual(40);
    const codes = new Map<string, number>();
    for (const country of countries) {
      const { code } = groundTruth("normalize_country", { country }) as { code: string };
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    expect(codes.size).toBeGreaterThanOrEqual(40);
    const top = Math.max(...codes.values()) / countries.length;
    expect(top).toBeGreaterThan(0.12);
    expect(top).toBeLessThan(0.35);
    const seed = generateSeedTraces()
      .map((line) => JSON.parse(line) as Trace)
      .filter((trace) => trace.bucket === "acme:normalize_country:v1");
    const seen = new Map<string, number>();
    for (const trace of seed) {
      const { code } = groundTruth("normalize_country", trace.input) as { code: string };
      seen.set(code, (seen.get(code) ?? 0) + 1);
    }
    expect([...seen.values()].filter((count) => count === 1).length).toBeGreaterThanOrEqual(3);
  });

  it("normalize_country: the spellings people type, with noise and typos", () => {
    const typed = new Set(countries.map((country) => country.trim().replace(/[.,;!]$/, "").toLowerCase()));
    for (const spelling of ["us", "u.s", "u.s.a", "united states of america", "america", "great britain", "england", "uk", "u.k", "holland", "the netherlands", "españa", "deutschland", "brasil", "türkiye"]) {
      expect(typed, spelling).toContain(spelling);
    }
    expect(countries.some((country) => country !== country.trim())).toBe(true);
    expect(countries.some((country) => country === country.toUpperCase() && /[A-Z]{4}/.test(country))).toBe(true);
    expect(countries.some((country) => /[.,;!]$/.test(country.trim()) && !/\.\w\.$/.test(country.trim()))).toBe(true);
    const typos = countries.filter((country) => !known.has(countryKey(country)));
    expect(typos.length / countries.length).toBeGreaterThan(0.02);
    expect(typos.length / countries.length).toBeLessThan(0.15);
    // A typo is not a known spelling, yet the careful reader still finds its country.
    for (const typo of typos) expect(groundTruth("normalize_country", { country: typo })).toBeDefined();
  });

  it("classify_lead_tier: continuous budgets and sizes, some typed as round numbers", () => {
    const leads = freshInputs("classify_lead_tier", 42, 1000) as Array<{ budgetUsd: number; employees: number }>;
    const budgets = leads.map((lead) => lead.budgetUsd);
    expect(new Set(budgets).size).toBeGreaterThan(250);
    expect(budgets.filter((b) => b > 0 && b % 1000 === 0).length).toBeGreaterThan(300);
    expect(budgets.filter((b) => b % 100 !== 0).length).toBeGreaterThan(100);
    expect(Math.min(...budgets)).toBe(0);
    expect(Math.max(...budgets)).toBeGreaterThan(500_000);
    expect(new Set(leads.map((lead) => lead.employees)).size).toBeGreaterThan(200);
    const tiers = new Set(leads.map((lead) => (groundTruth("classify_lead_tier", lead) as { tier: string }).tier));
    expect(tiers).toEqual(new Set(["A", "B", "C"]));
  });

  it("route_ticket: varied wording, noise, and asides about a second topic", () => {
    const tickets = freshInputs("route_ticket", 43, 1000) as Array<{ subject: string; body: string }>;
    expect(new Set(tickets.map((ticket) => ticket.body)).size).toBeGreaterThan(900);
    expect(new Set(tickets.map((ticket) => ticket.subject)).size).toBeGreaterThan(300);
    expect(tickets.some((ticket) => /^(re|fwd?):/i.test(ticket.subject))).toBe(true);
    expect(tickets.some((ticket) => /#\d+/.test(ticket.subject))).toBe(true);
    const asides = tickets.filter((ticket) => /(also|separately|p\.s\.|unrelated, but|one more thing|while i have you)/i.test(ticket.body));
    expect(asides.length).toBeGreaterThan(100);
    const queues = new Set(tickets.map((ticket) => (groundTruth("route_ticket", ticket) as { queue: string }).queue));
    expect(queues).toEqual(new Set(["billing", "technical", "account", "sales"]));
  });
});

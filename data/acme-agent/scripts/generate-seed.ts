/**
 * Writes traces/seed.jsonl: 250 recorded LLM calls of Acme's agent, reproducibly (fixed seed).
 *
 * It emulates the model instead of calling one: each call site has a hidden "true" behaviour (the
 * rule a careful model follows), and a few percent of answers are inconsistent, as real model answers
 * are (a neighbouring tier, "UK" for GB, a ticket sent to the wrong queue). The open-ended call site
 * answers with a fresh paraphrase every time, so no deterministic function can reproduce it.
 *
 *   npx tsx data/acme-agent/scripts/generate-seed.ts [--out FILE] [--seed N]
 */
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** mulberry32: tiny, fast, and the same sequence on every machine. */
function createRng(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const chance = (p: number): boolean => next() < p;
  /** Log-uniform: company sizes and budgets spread over orders of magnitude. */
  const logUniform = (min: number, max: number): number => Math.exp(Math.log(min) + next() * (Math.log(max) - Math.log(min)));
  return { next, int, pick, chance, logUniform };
}
type Rng = ReturnType<typeof createRng>;

const INCONSISTENT_RATE = 0.03;

// --- classify_lead_tier -------------------------------------------------------------------------
const INDUSTRIES = ["software", "finance", "healthcare", "retail", "manufacturing", "education"] as const;
const REGIONS = ["NA", "EMEA", "APAC", "LATAM"] as const;
const TITLES = ["CTO", "VP Engineering", "Head of Sales", "Sales Manager", "Procurement Lead", "Founder", "IT Director", "Analyst", "Operations Manager", "CFO"];
const BUDGET_BANDS = [2_000, 5_000, 10_000, 15_000, 25_000, 50_000, 75_000, 100_000, 250_000];
const COMPANY_WORDS = ["Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Acorn", "Blue Harbor", "Vertex", "Pinecrest", "Solaris", "Kestrel", "Ironbark", "Lumen", "Tidewater"];
const COMPANY_SUFFIXES = ["Inc", "Ltd", "GmbH", "Labs", "Group", "Systems", "Co"];

function leadTrace(rng: Rng, inconsistent: boolean) {
  const employees = Math.max(2, Math.round(rng.logUniform(3, 8000)));
  // The web form offers budget bands; the lead picks one.
  const budgetUsd = rng.pick(BUDGET_BANDS);
  const input = {
    company: `${rng.pick(COMPANY_WORDS)} ${rng.pick(COMPANY_SUFFIXES)}`,
    employees,
    industry: rng.pick(INDUSTRIES),
    budgetUsd,
    title: rng.pick(TITLES),
    region: rng.pick(REGIONS),
  };
  // The behaviour a careful model settles on: budget first, then whether the company can sign.
  const tier = budgetUsd >= 50_000 ? (employees >= 200 ? "A" : "B") : budgetUsd >= 10_000 ? "B" : "C";
  const answered = inconsistent ? rng.pick(["A", "B", "C"].filter((t) => t !== tier)) : tier;
  return { input, output: { tier: answered }, tokensOut: 6 };
}

// --- route_ticket -------------------------------------------------------------------------------
/** Each queue has a handful of words people actually use for it; subjects and phrases draw on them. */
const QUEUE_WORDS: Record<string, { subjects: string[]; phrases: string[] }> = {
  billing: {
    subjects: ["Invoice question", "Refund request", "Charged twice", "Wrong invoice amount", "Payment failed"],
    phrases: ["we were charged twice this month", "please refund the duplicate payment", "the invoice total looks wrong", "our card payment was declined", "I need a copy of the last invoice"],
  },
  technical: {
    subjects: ["API error", "Dashboard crash", "Bug in exports", "Sync error", "API timeout"],
    phrases: ["the API keeps returning an error", "the export crashes with a stack trace", "webhooks hit an API timeout", "we found a bug in the sync job", "requests fail with a 500 error"],
  },
  account: {
    subjects: ["Cannot login", "Password reset", "Account locked", "Login problem", "Password not accepted"],
    phrases: ["I cannot login to my account", "the password reset link never arrives", "my account is locked after too many attempts", "please unlock the account of a new user", "the login page rejects my password"],
  },
  sales: {
    subjects: ["Pricing for 50 seats", "Upgrade to enterprise", "Quote request", "Demo for our team", "Pricing question"],
    phrases: ["what is the pricing for the enterprise plan", "we want to upgrade our plan", "please send a quote for 50 seats", "can we book a demo next week", "do you offer volume pricing"],
  },
};
const QUEUES = Object.keys(QUEUE_WORDS);
const OPENERS = ["Hi team,", "Hello,", "Hey support,", "Good morning,", ""];
const CLOSERS = ["Thanks.", "Regards, Sam", "Cheers", "Thank you in advance.", "Best, Priya", ""];

function ticketTrace(rng: Rng, inconsistent: boolean) {
  const queue = rng.pick(QUEUES);
  const words = QUEUE_WORDS[queue];
  const body = [rng.pick(OPENERS), `${rng.pick(words.phrases)}.`, rng.chance(0.4) ? `Also, ${rng.pick(words.phrases)}.` : "", rng.pick(CLOSERS)]
    .filter(Boolean)
    .join(" ");
  // Real subjects carry reply prefixes and ticket numbers: the same request rarely has the same subject twice.
  const subject = `${rng.pick(["", "", "Re: ", "URGENT: ", "Fwd: "])}${rng.pick(words.subjects)}${rng.pick(["", "", ` #${rng.int(1000, 9999)}`, " - please help"])}`;
  const input = { subject, body };
  const answered = inconsistent ? rng.pick(QUEUES.filter((q) => q !== queue)) : queue;
  return { input, output: { queue: answered }, tokensOut: 7 };
}

// --- normalize_country --------------------------------------------------------------------------
/** Spellings people type, most frequent first; the weights make the common ones dominate, as in a CRM. */
const COUNTRY_SPELLINGS: Array<[code: string, weight: number, spellings: string[]]> = [
  ["US", 6, ["USA", "U.S.A.", "United States", "united states"]],
  ["GB", 4, ["United Kingdom", "UK", "U.K.", "united kingdom "]],
  ["DE", 4, ["Germany", "Deutschland", "germany"]],
  ["FR", 3, ["France", "france ", "FRANCE"]],
  ["ES", 2, ["Spain", "spain", "SPAIN"]],
  ["NL", 2, ["Netherlands", "netherlands"]],
  ["IN", 2, ["India", "india", "INDIA"]],
];

/** Typing noise a model sees through: case, stray spaces, trailing punctuation. */
function messUp(rng: Rng, text: string): string {
  let out = text;
  if (rng.chance(0.25)) out = out.toUpperCase();
  else if (rng.chance(0.25)) out = out.toLowerCase();
  if (rng.chance(0.2)) out = ` ${out}`;
  if (rng.chance(0.2)) out = `${out}  `;
  if (rng.chance(0.1)) out = `${out}.`;
  return out;
}

function countryTrace(rng: Rng, inconsistent: boolean) {
  const total = COUNTRY_SPELLINGS.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = rng.next() * total;
  let chosen = COUNTRY_SPELLINGS[0];
  for (const entry of COUNTRY_SPELLINGS) {
    roll -= entry[1];
    if (roll < 0) {
      chosen = entry;
      break;
    }
  }
  const [code, , spellings] = chosen;
  const input = { country: messUp(rng, rng.pick(spellings)) };
  // The classic inconsistency: "UK" for Great Britain, or a neighbour's code.
  const answered = inconsistent ? (code === "GB" ? "UK" : rng.pick(COUNTRY_SPELLINGS.map(([c]) => c).filter((c) => c !== code))) : code;
  return { input, output: { code: answered }, tokensOut: 5 };
}

// --- summarize_feedback (open-ended) ------------------------------------------------------------
const PRAISE = ["the new dashboard", "onboarding", "the mobile app", "support response times", "the reporting export", "search", "the Slack integration"];
const COMPLAINTS = ["slow page loads", "confusing pricing", "missing SSO", "the CSV import", "frequent logouts", "the billing portal", "notification spam"];
const PRAISE_VERBS = ["love", "really like", "are impressed by", "enjoy", "appreciate"];
const COMPLAINT_VERBS = ["are frustrated by", "keep hitting", "are unhappy with", "struggle with", "dislike"];
const SUMMARY_FORMS = [
  (p: string, c: string) => `Customer values ${p} but wants ${c} fixed.`,
  (p: string, c: string) => `Praises ${p}; reports problems with ${c}.`,
  (p: string, c: string) => `Happy with ${p}, blocked by ${c}.`,
  (p: string, c: string) => `Mixed: ${p} works well, ${c} needs attention.`,
];

function feedbackTrace(rng: Rng, inconsistent: boolean) {
  const praise = rng.chance(0.7) ? rng.pick(PRAISE) : "";
  const complaint = rng.chance(0.6) || !praise ? rng.pick(COMPLAINTS) : "";
  const team = rng.pick(["Our team", "We", "My analysts", "The ops group", "Everyone here"]);
  const parts: string[] = [];
  if (praise) parts.push(`${team} ${rng.pick(PRAISE_VERBS)} ${praise}.`);
  if (complaint) parts.push(`${praise ? "However, we" : team} ${rng.pick(COMPLAINT_VERBS)} ${complaint}${rng.chance(0.5) ? " almost every day" : ""}.`);
  if (rng.chance(0.5)) parts.push(rng.pick(["Renewal is next quarter.", "We have 40 seats.", "Please advise.", "Happy to jump on a call.", "This started last week."]));
  const sentiment = praise && complaint ? "mixed" : praise ? "positive" : "negative";
  // A model paraphrases freely: the same feedback gets a differently worded digest every time.
  const summary =
    sentiment === "mixed"
      ? rng.pick(SUMMARY_FORMS)(praise, complaint)
      : sentiment === "positive"
        ? rng.pick([`Customer is pleased with ${praise}.`, `Positive about ${praise}, no issues raised.`, `Strong praise for ${praise}.`])
        : rng.pick([`Customer reports ${complaint} and expects a fix.`, `Complaint: ${complaint}.`, `Unhappy about ${complaint}; follow up.`]);
  return { input: { feedback: parts.join(" ") }, output: { sentiment, summary }, tokensOut: 20 + Math.round(summary.length / 4) };
}

// --- assembly ------------------------------------------------------------------------------------
/** 250 traces; every compilable bucket gets well over 30 (the VOLUME threshold) plus a held-out share. */
const PLAN = [
  { name: "classify_lead_tier", count: 74, make: leadTrace, latency: [700, 1800], tokensIn: 160 },
  { name: "route_ticket", count: 66, make: ticketTrace, latency: [600, 1500], tokensIn: 190 },
  { name: "normalize_country", count: 70, make: countryTrace, latency: [400, 1100], tokensIn: 90 },
  { name: "summarize_feedback", count: 40, make: feedbackTrace, latency: [1200, 3200], tokensIn: 220 },
] as const;

export function generateSeedTraces(seed = 20261120): string[] {
  return generateTraces(seed, Object.fromEntries(PLAN.map((site) => [site.name, site.count])));
}

/** Any number of traces per call site (benchmarks scale the seed up with this). */
export function generateTraces(seed: number, counts: Readonly<Record<string, number>>): string[] {
  const rng = createRng(seed);
  // Exactly INCONSISTENT_RATE of each call site's answers are inconsistent (at random positions),
  // so the seed has "a few percent" of them by construction, not by luck.
  const slots = PLAN.flatMap((site) => {
    const count = counts[site.name] ?? 0;
    const flags = Array.from({ length: count }, (_, i) => i < Math.max(1, Math.round(count * INCONSISTENT_RATE)));
    return flags.map((inconsistent) => ({ site, inconsistent }));
  });
  // Interleave the call sites (and scatter the inconsistent answers), as a live agent would produce them.
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [slots[i], slots[j]] = [slots[j], slots[i]];
  }
  let clock = Date.UTC(2026, 10, 20, 9, 0, 0);
  return slots.map(({ site, inconsistent }) => {
    const { input, output, tokensOut } = site.make(rng, inconsistent);
    clock += rng.int(5_000, 90_000);
    return JSON.stringify({
      bucket: `acme:${site.name}:v1`,
      input,
      output,
      model: "gpt-4o-mini-2024-07-18",
      latencyMs: rng.int(site.latency[0], site.latency[1]),
      tokensIn: site.tokensIn + Math.round(JSON.stringify(input).length / 4),
      tokensOut,
      ts: new Date(clock).toISOString(),
    });
  });
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const out = flag("--out") ?? join(dirname(fileURLToPath(import.meta.url)), "..", "traces", "seed.jsonl");
  const lines = generateSeedTraces(Number(flag("--seed") ?? 20261120));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${lines.join("\n")}\n`);
  process.stderr.write(`wrote ${lines.length} traces to ${out}\n`);
}

/**
 * Writes traces/seed.jsonl: 2,000 recorded LLM calls of Acme's agent over a day (1,400 lead / 250
 * ticket / 250 country / 100 feedback), with a model upgrade at the 951st call, reproducibly.
 *
 *   npx tsx data/acme-agent/scripts/generate-seed.ts [--out FILE] [--seed N]
 *
 * Default seed: 20261130, picked once and never searched over. Nothing here was adjusted to make a
 * compiler pass: the inputs are drawn from what Acme's agent sees, and the verdicts fall where they fall.
 *
 * It emulates the model instead of calling one. Each call site has a stated "true" behaviour (the answer
 * a careful model gives; `groundTruth` computes it from the input alone), and every trace is
 * independently mislabeled with probability MISLABEL_RATE = 3 % (a Bernoulli draw per trace, so a bucket
 * may hold none or several), as real model answers are sometimes inconsistent.
 *
 * - normalize_country: 58 countries with Zipf weights (rank r has weight 1 / r^1.1: the United States
 *   is about a quarter of the traffic, most countries are rare and many are seen once or never in 70 calls),
 *   each with the spellings people type ("US", "u.s.", "U.S.A.", "America", "Great Britain", "England",
 *   "Holland", "España", "Deutschland", "Türkiye", "日本", alpha-3 codes, ...), then case, whitespace and
 *   trailing-punctuation noise, and in 10 % of the longer spellings one typo (a dropped, doubled or swapped
 *   letter: "Germnay", "Frnace"). Truth: the ISO 3166-1 alpha-2 code. A typo that lands closer to another
 *   country's spelling than to its own (so no careful reader could decode it) is redrawn.
 * - classify_lead_tier: employees log-normal (median 80), budget log-normal (median about $18k, rising
 *   with company size), often rounded as people type them ("50000", "7500"), 4 % with no budget (0).
 *   Truth (Acme's sales rule): a student or intern is C; budget >= $50,000 and >= 200 employees is A,
 *   except education (slow public procurement), which is at most B; otherwise budget >= $10,000 is B;
 *   otherwise C. The prompt names no amounts, so the thresholds are the model's reading: the upgraded
 *   model (gpt-4.1-mini, answering from the 951st call of the seed on) gives B only from $25,000.
 * - route_ticket: subject and body composed from 12-15 phrasings per queue (some using another queue's
 *   words: "the billing page throws a 500 error" is technical), with greetings, neutral context, reply
 *   prefixes, ticket numbers, signatures, quoted replies, lower-cased phone typing, and in 20 % of tickets an
 *   aside about a second topic ("Also, ...", "P.S. ..."). Truth: the queue of the ticket's primary topic,
 *   the first request in the body (the aside does not change it).
 * - summarize_feedback: open-ended; the summary is a fresh paraphrase every time, so there is no
 *   deterministic truth (`groundTruth` returns undefined). A mislabel flips the sentiment.
 *
 * Mislabels: lead tier -> a neighbouring tier; ticket -> another queue; country -> "UK" for GB half the
 * time, otherwise another code drawn with the same Zipf weights; feedback -> another sentiment.
 */
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const DEFAULT_SEED = 20261130;
/** Probability that any one trace's answer is inconsistent with the true behaviour (independent per trace). */
export const MISLABEL_RATE = 0.03;
export const CALL_SITES = ["classify_lead_tier", "route_ticket", "normalize_country", "summarize_feedback"] as const;
export type CallSiteName = (typeof CALL_SITES)[number];

/** One recorded call, exactly the JSON line format of traces/seed.jsonl. */
export interface Trace {
  bucket: string;
  input: Record<string, unknown>;
  output: Record<string, unknown>;
  model: string;
  latencyMs: number;
  tokensIn: number;
  tokensOut: number;
  ts: string;
}

/** The model the agent called, and the one it was switched to mid-day (a config change: the code is the same). */
export const MODEL = "gpt-4o-mini-2024-07-18";
export const UPGRADED_MODEL = "gpt-4.1-mini-2025-04-14";
/** Which model answered: its reading of the lead-tier prompt differs (see `leadTier`). */
export type Era = "before-upgrade" | "after-upgrade";

// --- randomness ----------------------------------------------------------------------------------

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
  /** Standard normal (Box-Muller). */
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const weighted = <T>(items: readonly T[], weights: readonly number[]): T => {
    const total = weights.reduce((sum, w) => sum + w, 0);
    let roll = next() * total;
    for (let i = 0; i < items.length; i++) {
      roll -= weights[i];
      if (roll < 0) return items[i];
    }
    return items[items.length - 1];
  };
  return { next, int, pick, chance, normal, weighted };
}
type Rng = ReturnType<typeof createRng>;

/** An independent stream per purpose, so e.g. the mislabel rate never changes which inputs are drawn. */
function streamSeed(seed: number, label: string): number {
  let h = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
const stream = (seed: number, label: string): Rng => createRng(streamSeed(seed, label));

// --- normalize_country ---------------------------------------------------------------------------

/**
 * Countries in the order an American SaaS company's CRM sees them (most frequent first); within a
 * country, spellings are listed most frequent first too (weight 0.65^k).
 */
const COUNTRIES: ReadonlyArray<readonly [code: string, spellings: readonly string[]]> = [
  ["US", ["United States", "USA", "US", "U.S.", "U.S.A.", "United States of America", "America", "u.s.", "Estados Unidos"]],
  ["GB", ["United Kingdom", "UK", "U.K.", "England", "Great Britain", "Britain", "GB", "GBR", "Scotland", "Wales"]],
  ["DE", ["Germany", "Deutschland", "DE", "DEU", "Federal Republic of Germany", "Allemagne"]],
  ["CA", ["Canada", "CA", "CAN"]],
  ["IN", ["India", "IN", "Bharat", "Republic of India"]],
  ["FR", ["France", "FR", "Frankreich", "République française"]],
  ["AU", ["Australia", "AU", "AUS", "Commonwealth of Australia"]],
  ["NL", ["Netherlands", "The Netherlands", "Holland", "Nederland", "NL"]],
  ["BR", ["Brazil", "Brasil", "BR", "República Federativa do Brasil"]],
  ["ES", ["Spain", "España", "Espana", "ES", "Espagne"]],
  ["IT", ["Italy", "Italia", "IT", "Italie"]],
  ["SE", ["Sweden", "Sverige", "SE"]],
  ["MX", ["Mexico", "México", "MX", "Estados Unidos Mexicanos"]],
  ["SG", ["Singapore", "SG", "Singapura"]],
  ["CH", ["Switzerland", "Schweiz", "Suisse", "CH", "Svizzera", "Swiss Confederation"]],
  ["IE", ["Ireland", "Republic of Ireland", "Éire", "IE", "Eire"]],
  ["JP", ["Japan", "日本", "JP", "Nippon"]],
  ["PL", ["Poland", "Polska", "PL"]],
  ["IL", ["Israel", "IL"]],
  ["BE", ["Belgium", "België", "Belgique", "BE", "Belgien"]],
  ["DK", ["Denmark", "Danmark", "DK"]],
  ["NO", ["Norway", "Norge", "NO"]],
  ["ZA", ["South Africa", "RSA", "ZA", "Suid-Afrika"]],
  ["AE", ["United Arab Emirates", "UAE", "U.A.E.", "Emirates", "AE"]],
  ["NZ", ["New Zealand", "NZ", "Aotearoa"]],
  ["AT", ["Austria", "Österreich", "Osterreich", "AT"]],
  ["FI", ["Finland", "Suomi", "FI"]],
  ["PT", ["Portugal", "PT"]],
  ["KR", ["South Korea", "Korea", "Republic of Korea", "대한민국", "KR", "Korea, Republic of"]],
  ["CN", ["China", "PRC", "People's Republic of China", "中国", "CN"]],
  ["TR", ["Turkey", "Türkiye", "Turkiye", "TR"]],
  ["AR", ["Argentina", "AR", "República Argentina"]],
  ["CO", ["Colombia", "CO"]],
  ["CL", ["Chile", "CL"]],
  ["CZ", ["Czech Republic", "Czechia", "Česko", "CZ", "Czech Rep."]],
  ["PH", ["Philippines", "PH", "Pilipinas"]],
  ["NG", ["Nigeria", "NG"]],
  ["RO", ["Romania", "România", "RO"]],
  ["GR", ["Greece", "Ελλάδα", "Hellas", "GR"]],
  ["HU", ["Hungary", "Magyarország", "HU"]],
  ["VN", ["Vietnam", "Viet Nam", "Việt Nam", "VN"]],
  ["MY", ["Malaysia", "MY"]],
  ["TH", ["Thailand", "TH"]],
  ["ID", ["Indonesia", "ID"]],
  ["KE", ["Kenya", "KE"]],
  ["EG", ["Egypt", "EG", "Misr"]],
  ["SA", ["Saudi Arabia", "KSA", "SA", "Kingdom of Saudi Arabia"]],
  ["UA", ["Ukraine", "Україна", "UA"]],
  ["PE", ["Peru", "Perú", "PE"]],
  ["EE", ["Estonia", "Eesti", "EE"]],
  ["LU", ["Luxembourg", "Lëtzebuerg", "LU"]],
  ["IS", ["Iceland", "Ísland", "IS"]],
  ["HK", ["Hong Kong", "HK", "Hong Kong SAR"]],
  ["TW", ["Taiwan", "TW"]],
  ["PK", ["Pakistan", "PK"]],
  ["LT", ["Lithuania", "Lietuva", "LT"]],
  ["HR", ["Croatia", "Hrvatska", "HR"]],
  ["UY", ["Uruguay", "UY"]],
];
const COUNTRY_CODES = COUNTRIES.map(([code]) => code);
/** Every spelling the generator types (before noise and typos), by ISO alpha-2 code, most common country first. */
export const COUNTRY_SPELLINGS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(COUNTRIES);
/** Zipf: the r-th most common country has weight 1 / r^1.1. */
const COUNTRY_WEIGHTS = COUNTRIES.map((_, rank) => 1 / (rank + 1) ** 1.1);
const TYPO_RATE = 0.1;

/** What a careful reader ignores: accents, case, punctuation, extra spaces. */
function countryKey(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, "")
    .replace(/\s+/g, " ")
    .trim();
}

const COUNTRY_BY_KEY = new Map<string, string>();
for (const [code, spellings] of COUNTRIES) {
  for (const spelling of spellings) {
    const key = countryKey(spelling);
    const known = COUNTRY_BY_KEY.get(key);
    if (known && known !== code) throw new Error(`spelling "${spelling}" means both ${known} and ${code}`);
    COUNTRY_BY_KEY.set(key, code);
  }
}
const COUNTRY_KEYS = [...COUNTRY_BY_KEY.keys()];

/** Optimal string alignment distance (Levenshtein plus adjacent swaps). */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => {
    const row = new Array<number>(b.length + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1);
      rows[i][j] = d;
    }
  }
  return rows[a.length][b.length];
}

/** The careful model's reading: a known spelling, or the one country a single typo away. */
function resolveCountry(text: string): string | undefined {
  const key = countryKey(text);
  const exact = COUNTRY_BY_KEY.get(key);
  if (exact) return exact;
  if ([...key].length < 4) return undefined;
  const nearest = new Set<string>();
  let best = 2;
  for (const candidate of COUNTRY_KEYS) {
    if (Math.abs(candidate.length - key.length) > 1) continue;
    const distance = editDistance(key, candidate);
    if (distance < best) {
      best = distance;
      nearest.clear();
    }
    if (distance === best) nearest.add(COUNTRY_BY_KEY.get(candidate)!);
  }
  return best <= 1 && nearest.size === 1 ? [...nearest][0] : undefined;
}

/** One slip of the finger on a letter: dropped, doubled, or swapped with its neighbour. */
function typo(rng: Rng, text: string): string {
  const chars = [...text];
  const letters = chars.map((c, i) => (/\p{L}/u.test(c) ? i : -1)).filter((i) => i >= 0);
  const kind = rng.pick(["drop", "double", "swap"] as const);
  if (kind === "swap") {
    const pairs = letters.filter((i) => /\p{L}/u.test(chars[i + 1] ?? "") && chars[i].toLowerCase() !== chars[i + 1].toLowerCase());
    if (pairs.length) {
      const i = rng.pick(pairs);
      [chars[i], chars[i + 1]] = [chars[i + 1], chars[i]];
      return chars.join("");
    }
  }
  // Typos rarely hit the first letter.
  const i = rng.pick(letters.length > 1 ? letters.slice(1) : letters);
  if (kind === "double") chars.splice(i, 0, chars[i]);
  else chars.splice(i, 1);
  return chars.join("");
}

/** Typing noise a model sees through: case, stray spaces, trailing punctuation. */
function messUp(rng: Rng, text: string): string {
  let out = text;
  const caseRoll = rng.next();
  if (caseRoll < 0.12) out = out.toUpperCase();
  else if (caseRoll < 0.3) out = out.toLowerCase();
  if (rng.chance(0.05)) out = out.replace(" ", "  ");
  if (rng.chance(0.12)) out = `${rng.pick([" ", "  ", "\t"])}${out}`;
  if (rng.chance(0.15)) out = `${out}${rng.pick([" ", "  ", " \n"])}`;
  if (rng.chance(0.08)) out = `${out}${rng.pick([".", ",", ";", "!"])}`;
  return out;
}

function countryInput(rng: Rng): { input: { country: string }; code: string } {
  const index = rng.weighted(
    COUNTRIES.map((_, i) => i),
    COUNTRY_WEIGHTS,
  );
  const [code, spellings] = COUNTRIES[index];
  let spelling = rng.weighted(
    spellings,
    spellings.map((_, k) => 0.65 ** k),
  );
  if ([...spelling].filter((c) => /\p{L}/u.test(c)).length >= 5 && rng.chance(TYPO_RATE)) {
    // A typo that reads as another country (or as nothing) is one no careful model could decode: redraw it.
    for (let attempt = 0; attempt < 8; attempt++) {
      const slipped = typo(rng, spelling);
      if (resolveCountry(slipped) === code) {
        spelling = slipped;
        break;
      }
    }
  }
  return { input: { country: messUp(rng, spelling) }, code };
}

function mislabelCountry(rng: Rng, code: string): string {
  if (code === "GB" && rng.chance(0.5)) return "UK";
  const others = COUNTRY_CODES.filter((c) => c !== code);
  return rng.weighted(
    others,
    others.map((c) => COUNTRY_WEIGHTS[COUNTRY_CODES.indexOf(c)]),
  );
}

// --- classify_lead_tier --------------------------------------------------------------------------

const INDUSTRIES = ["software", "finance", "healthcare", "retail", "manufacturing", "education"] as const;
const INDUSTRY_WEIGHTS = [30, 15, 15, 15, 15, 10];
const REGIONS = ["NA", "EMEA", "APAC", "LATAM"] as const;
const REGION_WEIGHTS = [45, 30, 15, 10];
/** Free text as typed into the web form, most common first. */
const TITLES = [
  "CTO", "Founder", "VP Engineering", "IT Director", "Head of Sales", "Operations Manager", "CEO", "Sales Manager",
  "Procurement Lead", "CFO", "Co-founder & CEO", "Product Manager", "Software Engineer", "Director of IT",
  "Analyst", "VP of Engineering", "Head of RevOps", "Marketing Manager", "Chief Technology Officer", "Data Analyst",
  "Consultant", "Office Manager", "Student", "Senior Developer", "owner", "Intern", "cto", "Head of Data",
  "IT manager", "PhD Student",
];
const TITLE_WEIGHTS = TITLES.map((_, rank) => 1 / (rank + 1) ** 0.8);
const COMPANY_WORDS = [
  "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Acorn", "Blue Harbor", "Vertex", "Pinecrest",
  "Solaris", "Kestrel", "Ironbark", "Lumen", "Tidewater", "Brightline", "Cobalt", "Redwood", "Harborview",
  "Quantix", "Silverleaf", "Zentrix", "Orchard", "Meridian", "Foxglove", "Granite Peak", "Nimbus", "Helio",
];
const COMPANY_SUFFIXES = ["Inc", "Inc.", "Ltd", "GmbH", "Labs", "Group", "Systems", "Co", "LLC", "AG", "BV", "Health", "Capital", "Academy", ""];

/** People type round numbers: 1200 employees rather than 1187. */
function roundLikeTyped(rng: Rng, value: number): number {
  if (value < 10) return value;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = rng.chance(0.5) ? magnitude : rng.chance(0.5) ? magnitude / 2 : magnitude / 10;
  return Math.max(step, Math.round(value / step) * step);
}

interface LeadInput {
  company: string;
  employees: number;
  industry: (typeof INDUSTRIES)[number];
  budgetUsd: number;
  title: string;
  region: (typeof REGIONS)[number];
}

function leadInput(rng: Rng): LeadInput {
  const logSize = Math.log(80) + 1.5 * rng.normal();
  let employees = Math.min(250_000, Math.max(1, Math.round(Math.exp(logSize))));
  if (rng.chance(0.45)) employees = roundLikeTyped(rng, employees);
  let budgetUsd = 0;
  if (!rng.chance(0.04)) {
    // Bigger companies bring bigger budgets, loosely.
    const raw = Math.min(5_000_000, Math.max(100, Math.exp(Math.log(18_000) + 0.35 * (logSize - Math.log(80)) + 1.3 * rng.normal())));
    const roll = rng.next();
    budgetUsd = roll < 0.5 ? roundLikeTyped(rng, raw) : roll < 0.8 ? Math.max(1000, Math.round(raw / 1000) * 1000) : Math.round(raw);
  }
  const suffix = rng.pick(COMPANY_SUFFIXES);
  return {
    company: suffix ? `${rng.pick(COMPANY_WORDS)} ${suffix}` : rng.pick(COMPANY_WORDS),
    employees,
    industry: rng.weighted(INDUSTRIES, INDUSTRY_WEIGHTS),
    budgetUsd,
    title: rng.weighted(TITLES, TITLE_WEIGHTS),
    region: rng.weighted(REGIONS, REGION_WEIGHTS),
  };
}

/** Acme's sales rule, as a careful model applies it. */
/**
 * The prompt names no amounts ("worth a same-day call"), so the thresholds are the model's reading of
 * it. The upgraded model reads B more strictly: a budget of at least $25,000 instead of $10,000.
 */
const B_TIER_MIN_BUDGET: Record<Era, number> = { "before-upgrade": 10_000, "after-upgrade": 25_000 };

function leadTier(lead: LeadInput, era: Era): "A" | "B" | "C" {
  if (/\b(student|intern)\b/i.test(lead.title)) return "C";
  if (lead.budgetUsd >= 50_000 && lead.employees >= 200 && lead.industry !== "education") return "A";
  if (lead.budgetUsd >= B_TIER_MIN_BUDGET[era]) return "B";
  return "C";
}

function isLead(value: unknown): value is LeadInput {
  const v = value as Partial<LeadInput> | null;
  return !!v && typeof v.employees === "number" && typeof v.budgetUsd === "number" && typeof v.title === "string" && typeof v.industry === "string";
}

// --- route_ticket --------------------------------------------------------------------------------

type Queue = "billing" | "technical" | "account" | "sales";
const QUEUES: readonly Queue[] = ["billing", "technical", "account", "sales"];
const QUEUE_WEIGHTS = [25, 35, 25, 15];

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "yesterday", "last week"];
const PLANS = ["Business", "Enterprise", "Pro", "Team", "Scale"];
const FEATURES = ["reports", "dashboard", "settings", "analytics", "audit log", "projects"];
const ENDPOINTS = ["orders", "customers", "events", "invoices", "users"];
const TOOLS = ["Salesforce", "HubSpot", "Slack", "Zapier", "Jira"];
const PLACES = ["Europe", "Brazil", "Japan", "the Nordics", "Australia"];
const FIRST_NAMES = ["sam", "priya", "marco", "jana", "alex", "wei", "fatima", "lucas", "olga", "tom"];
const alternation = (items: readonly string[]) => items.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");

/** Slots in the phrasings: how to fill one, and how to recognise any filling. */
const SLOTS: Record<string, { make: (rng: Rng) => string; pattern: string }> = {
  amount: {
    make: (rng) => `$${rng.int(19, 9_800).toLocaleString("en-US")}${rng.pick([".00", ".50", ""])}`,
    pattern: String.raw`\$[\d,]+(?:\.\d\d)?`,
  },
  inv: { make: (rng) => `INV-${rng.int(10_000, 99_999)}`, pattern: String.raw`INV-\d+` },
  n: { make: (rng) => String(rng.pick([5, 10, 12, 20, 25, 40, 50, 75, 100, 150, 200, 500])), pattern: String.raw`\d+` },
  code: { make: (rng) => rng.pick(["500", "502", "503", "504", "401", "403", "404", "429"]), pattern: String.raw`\d{3}` },
  month: { make: (rng) => rng.pick(MONTHS), pattern: alternation(MONTHS) },
  day: { make: (rng) => rng.pick(DAYS), pattern: alternation(DAYS) },
  plan: { make: (rng) => rng.pick(PLANS), pattern: alternation(PLANS) },
  feature: { make: (rng) => rng.pick(FEATURES), pattern: alternation(FEATURES) },
  endpoint: { make: (rng) => rng.pick(ENDPOINTS), pattern: alternation(ENDPOINTS) },
  tool: { make: (rng) => rng.pick(TOOLS), pattern: alternation(TOOLS) },
  place: { make: (rng) => rng.pick(PLACES), pattern: alternation(PLACES) },
  email: {
    make: (rng) => `${rng.pick(FIRST_NAMES)}@${rng.pick(COMPANY_WORDS).toLowerCase().replace(/ /g, "")}.com`,
    pattern: String.raw`[\w.+-]+@[\w.-]+\.com`,
  },
};

/** How people phrase each kind of request. Some borrow another queue's words; the request decides. */
const PHRASINGS: Record<Queue, readonly string[]> = {
  billing: [
    "we were charged twice for {month}",
    "our card was charged twice this month",
    "please refund the duplicate payment of {amount}",
    "invoice {inv} shows the wrong amount",
    "the invoice total doesn't match our contract",
    "our card payment was declined and now the workspace says overdue",
    "I need a copy of invoice {inv} for our accountant",
    "can you add our VAT number to the invoices",
    "we were billed for {n} seats but we only use a few",
    "the annual renewal charged the wrong credit card",
    "why did our bill go up to {amount} this month",
    "please change the billing email to {email}",
    "we need a receipt for the last payment",
    "we cancelled last month but were still charged {amount}",
    "the credit note for {inv} never arrived",
  ],
  technical: [
    "the API keeps returning {code} errors",
    "requests to /v2/{endpoint} time out after 30 seconds",
    "the {feature} page crashes when I open it",
    "the CSV export fails with a stack trace",
    "webhooks stopped firing since {day}",
    "the sync job has been stuck for hours",
    "the dashboard shows no data since the last release",
    "the mobile app crashes on startup",
    "the billing page throws a {code} error",
    "search returns nothing for every query",
    "the {tool} integration drops records",
    "uploads over 10 MB fail with an error",
    "everything has been very slow since {day}",
    "we hit rate limits at far fewer than {n} requests per minute",
    "the pricing page returns a {code}",
  ],
  account: [
    "I cannot log in to my account",
    "I can't login since {day}",
    "the password reset email never arrives",
    "my account is locked after too many attempts",
    "please add {email} as a user on our workspace",
    "please remove a former employee's access",
    "how do I change the email address on my profile",
    "two-factor codes are not accepted anymore",
    "I lost my phone and can't get the 2FA code",
    "please transfer ownership of the workspace to {email}",
    "our admin left the company and nobody can manage users",
    "the invite link for new users has expired",
    "please unlock the account of a new colleague",
    "my username shows someone else's name",
  ],
  sales: [
    "what is the pricing for the Enterprise plan",
    "we want to upgrade to {plan}",
    "please send a quote for {n} seats",
    "can we book a demo for our team {day}",
    "do you offer volume discounts above {n} users",
    "is there a discount for nonprofits",
    "we'd like to add {n} more seats to our contract",
    "could someone from sales call me about a pilot",
    "do you have a reseller program in {place}",
    "what would an annual contract for {n} users cost",
    "we're comparing you with a competitor and need a price list",
    "can we extend our trial while we evaluate",
  ],
};
const SUBJECTS: Record<Queue, readonly string[]> = {
  billing: ["Invoice question", "Refund request", "Charged twice", "Wrong invoice amount", "Payment failed", "Invoice {inv}", "Billing", "VAT on invoices", "Receipt needed"],
  technical: ["API error", "Dashboard crash", "Bug in exports", "Sync error", "API timeout", "{code} errors", "Webhooks not working", "App crashing", "Something is broken"],
  account: ["Cannot login", "Password reset", "Account locked", "Login problem", "Add a user", "2FA not working", "Access for new colleague", "Can't sign in"],
  sales: ["Pricing for {n} seats", "Upgrade to {plan}", "Quote request", "Demo for our team", "Pricing question", "Enterprise plan", "Nonprofit discount?", "Reseller inquiry"],
};
const GENERIC_SUBJECTS = ["Quick question", "Help needed", "Support request", "(no subject)", "Following up", "Issue", "Hello", "Urgent"];
const GREETINGS = ["Hi team,", "Hello,", "Hey support,", "Good morning,", "Hi Acme,", "Dear Support Team,", "hi", "Hi there,"];
const CONTEXT = [
  "We're on the Business plan.",
  "This is blocking our month-end close.",
  "I tried again this morning.",
  "Screenshot attached.",
  "Not sure if this is the right place to ask.",
  "Our team is based in Lisbon.",
  "This is the second time I write about this.",
  "Happy to provide more details.",
  "It worked fine until recently.",
  "Our account manager is on holiday.",
  "We have about 40 people using the product.",
];
const ASIDES = ["Also, ", "Separately, ", "P.S. ", "Unrelated, but ", "One more thing: ", "While I have you, "];
const CLOSERS = ["Thanks.", "Thanks in advance!", "Regards,", "Cheers", "Thank you", "Best,", "Thx"];
const SIGNATURES = [
  "Sam",
  "Priya Nair\nOps Lead, Globex",
  "--\nMarco Rossi | IT Director | Northwind Systems\n+39 02 1234 5678",
  "Sent from my iPhone",
  "Jana Novak\nFinance, Initech",
  "Alex\nSales Engineering, Vertex Labs",
  "Wei Chen\nHead of Data",
  "Fatima",
];
const QUOTED = [
  "On Monday, Acme Support <support@acme.io> wrote:\n> Thanks for reaching out. Could you share a screenshot and the time it happened?",
  "-----Original Message-----\nFrom: Acme Support\n> We have received your request and will get back to you shortly.",
];

const PHRASING_PATTERNS = QUEUES.flatMap((queue) =>
  PHRASINGS[queue].map((template) => {
    const source = template
      .split(/\{(\w+)\}/)
      .map((part, i) => (i % 2 ? `(?:${SLOTS[part].pattern})` : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("");
    return { queue, regex: new RegExp(source, "i") };
  }),
);

const fill = (rng: Rng, template: string): string => template.replace(/\{(\w+)\}/g, (_, slot: string) => SLOTS[slot].make(rng));
const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const sentence = (rng: Rng, text: string): string => {
  const question = /^(what|why|how|can|could|do|is)\b/i.test(text);
  return capitalize(text) + (question ? rng.pick(["?", "?", "??", ""]) : rng.pick([".", ".", ".", "!", ""]));
};

/** The primary request: the first phrasing found in the body. */
function ticketQueue(body: string): Queue | undefined {
  let best: { index: number; length: number; queue: Queue } | undefined;
  for (const { queue, regex } of PHRASING_PATTERNS) {
    const match = regex.exec(body);
    if (!match) continue;
    if (!best || match.index < best.index || (match.index === best.index && match[0].length > best.length)) {
      best = { index: match.index, length: match[0].length, queue };
    }
  }
  return best?.queue;
}

function ticketInput(rng: Rng): { input: { subject: string; body: string }; queue: Queue } {
  for (;;) {
    const queue = rng.weighted(QUEUES, QUEUE_WEIGHTS);
    const first = rng.pick(PHRASINGS[queue]);
    const requests = [sentence(rng, fill(rng, first))];
    if (rng.chance(0.3)) {
      const second = rng.pick(PHRASINGS[queue].filter((p) => p !== first));
      requests.push(sentence(rng, fill(rng, second)));
    }
    const parts: string[] = [];
    if (rng.chance(0.7)) parts.push(rng.pick(GREETINGS));
    if (rng.chance(0.15)) parts.push(rng.pick(CONTEXT));
    parts.push(...requests);
    if (rng.chance(0.3)) parts.push(rng.pick(CONTEXT));
    if (rng.chance(0.2)) {
      const other = rng.pick(QUEUES.filter((q) => q !== queue));
      parts.push(`${rng.pick(ASIDES)}${fill(rng, rng.pick(PHRASINGS[other]))}.`);
    }
    if (rng.chance(0.6)) parts.push(rng.pick(CLOSERS));
    if (rng.chance(0.5)) parts.push(rng.pick(SIGNATURES));
    let body = parts.join(rng.chance(0.5) ? "\n\n" : " ");
    if (rng.chance(0.1)) body = body.toLowerCase();

    const subjectRoll = rng.next();
    let subject =
      subjectRoll < 0.6
        ? fill(rng, rng.pick(SUBJECTS[queue]))
        : subjectRoll < 0.8
          ? rng.pick(GENERIC_SUBJECTS)
          : capitalize(fill(rng, first)).slice(0, 60);
    const prefix = rng.weighted(["", "Re: ", "RE: RE: ", "Fwd: ", "FW: ", "URGENT: ", `[#${rng.int(10_000, 99_999)}] `], [60, 12, 3, 6, 3, 6, 10]);
    const suffix = rng.weighted(["", ` #${rng.int(1000, 9999)}`, " - please help", " !!", " (2nd request)"], [75, 10, 7, 4, 4]);
    subject = `${prefix}${subject}${suffix}`;
    if (/^re/i.test(prefix) && rng.chance(0.6)) body = `${body}\n\n${rng.pick(QUOTED)}`;

    // Every phrasing is recognisable, so this holds by construction; the check guards future edits.
    if (ticketQueue(body) === queue) return { input: { subject, body }, queue };
  }
}

// --- summarize_feedback (open-ended) -------------------------------------------------------------

const PRAISE = ["the new dashboard", "onboarding", "the mobile app", "support response times", "the reporting export", "search", "the Slack integration", "the API docs", "the new editor"];
const COMPLAINTS = ["slow page loads", "confusing pricing", "missing SSO", "the CSV import", "frequent logouts", "the billing portal", "notification spam", "the lack of an audit log", "flaky webhooks"];
const PRAISE_VERBS = ["love", "really like", "are impressed by", "enjoy", "appreciate", "can't live without"];
const COMPLAINT_VERBS = ["are frustrated by", "keep hitting", "are unhappy with", "struggle with", "dislike", "lose time to"];
const SUMMARY_FORMS = [
  (p: string, c: string) => `Customer values ${p} but wants ${c} fixed.`,
  (p: string, c: string) => `Praises ${p}; reports problems with ${c}.`,
  (p: string, c: string) => `Happy with ${p}, blocked by ${c}.`,
  (p: string, c: string) => `Mixed: ${p} works well, ${c} needs attention.`,
];
const SENTIMENTS = ["positive", "negative", "mixed"] as const;

function feedbackCall(rng: Rng): { input: { feedback: string }; sentiment: (typeof SENTIMENTS)[number]; summary: string } {
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
  return { input: { feedback: parts.join(" ") }, sentiment, summary };
}

// --- the call sites ------------------------------------------------------------------------------

interface Site {
  /** A new input from the call site's distribution. */
  input(rng: Rng): Record<string, unknown>;
  /** The recorded answer: the true one, or (when `mislabel`) an inconsistent one. */
  answer(input: Record<string, unknown>, mislabel: boolean, rng: Rng, era: Era): Record<string, unknown>;
  truth(input: unknown, era: Era): Record<string, unknown> | undefined;
  latency: readonly [number, number];
  tokensIn: number;
  tokensOut(output: Record<string, unknown>): number;
}

/** summarize_feedback has no deterministic truth, so its answer is drawn along with its input. */
const feedbackAnswers = new WeakMap<object, { sentiment: string; summary: string }>();

const SITES: Record<CallSiteName, Site> = {
  classify_lead_tier: {
    input: (rng) => ({ ...leadInput(rng) }),
    truth: (input, era) => (isLead(input) ? { tier: leadTier(input, era) } : undefined),
    answer(input, mislabel, rng, era) {
      const tier = leadTier(input as unknown as LeadInput, era);
      if (!mislabel) return { tier };
      return { tier: tier === "B" ? rng.pick(["A", "C"]) : "B" };
    },
    latency: [700, 1800],
    tokensIn: 160,
    tokensOut: () => 6,
  },
  route_ticket: {
    input: (rng) => ticketInput(rng).input,
    truth(input) {
      const body = (input as { body?: unknown } | null)?.body;
      const queue = typeof body === "string" ? ticketQueue(body) : undefined;
      return queue ? { queue } : undefined;
    },
    answer(input, mislabel, rng) {
      const queue = ticketQueue(input.body as string)!;
      return { queue: mislabel ? rng.pick(QUEUES.filter((q) => q !== queue)) : queue };
    },
    latency: [600, 1500],
    tokensIn: 190,
    tokensOut: () => 7,
  },
  normalize_country: {
    input: (rng) => countryInput(rng).input,
    truth(input) {
      const text = (input as { country?: unknown } | null)?.country;
      const code = typeof text === "string" ? resolveCountry(text) : undefined;
      return code ? { code } : undefined;
    },
    answer(input, mislabel, rng) {
      const code = resolveCountry(input.country as string)!;
      return { code: mislabel ? mislabelCountry(rng, code) : code };
    },
    latency: [400, 1100],
    tokensIn: 90,
    tokensOut: () => 5,
  },
  summarize_feedback: {
    input(rng) {
      const { input, sentiment, summary } = feedbackCall(rng);
      feedbackAnswers.set(input, { sentiment, summary });
      return input;
    },
    truth: () => undefined,
    answer(input, mislabel, rng) {
      const { sentiment, summary } = feedbackAnswers.get(input)!;
      return { sentiment: mislabel ? rng.pick(SENTIMENTS.filter((s) => s !== sentiment)) : sentiment, summary };
    },
    latency: [1200, 3200],
    tokensIn: 220,
    tokensOut: (output) => 20 + Math.round(String(output.summary).length / 4),
  },
};

function site(name: string): Site {
  if (!(CALL_SITES as readonly string[]).includes(name)) throw new Error(`unknown call site "${name}" (known: ${CALL_SITES.join(", ")})`);
  return SITES[name as CallSiteName];
}

/**
 * One call site's recorded calls, without timestamps. Inputs, mislabels and latencies use separate
 * streams, so which model answered a call changes its answer and nothing else.
 */
function records(name: string, seed: number, n: number, mislabelRate: number, eraOf: (index: number) => Era) {
  const s = site(name);
  const inputs = stream(seed, `input:${name}`);
  const noise = stream(seed, `mislabel:${name}`);
  const meta = stream(seed, `meta:${name}`);
  return Array.from({ length: n }, (_, index) => {
    const era = eraOf(index);
    const input = s.input(inputs);
    const output = s.answer(input, noise.next() < mislabelRate, noise, era);
    return {
      bucket: `acme:${name}:v1`,
      input,
      output,
      model: era === "after-upgrade" ? UPGRADED_MODEL : MODEL,
      latencyMs: meta.int(s.latency[0], s.latency[1]),
      tokensIn: s.tokensIn + Math.round(JSON.stringify(input).length / 4),
      tokensOut: s.tokensOut(output),
    };
  });
}

const START = Date.UTC(2026, 10, 30, 9, 0, 0);
const tick = (rng: Rng): number => rng.int(5_000, 90_000);

// --- public API ----------------------------------------------------------------------------------

/**
 * The seed file: a day of Acme's agent, 2,000 calls (1,400 lead / 250 ticket / 250 country / 100
 * feedback; leads are the agent's busiest call site). From the 951st call on, the agent runs on
 * UPGRADED_MODEL (a configuration change, so the code SHA stays the same), whose reading of the
 * lead-tier prompt differs. The counts and the switch point set the scenario a first run replays:
 * enough lead calls before the switch to compile them, and after it to learn the new answers.
 */
export const SEED_COUNTS: Readonly<Record<CallSiteName, number>> = { classify_lead_tier: 1400, route_ticket: 250, normalize_country: 250, summarize_feedback: 100 };
export const SEED_UPGRADE_AT = 950;

export function generateSeedTraces(seed = DEFAULT_SEED): string[] {
  return generateTraces(seed, SEED_COUNTS, { upgradeAt: SEED_UPGRADE_AT });
}

export interface GenerateOptions {
  /** Share of traces whose answer is inconsistent with the true behaviour (default 3 %). */
  mislabelRate?: number;
  /** From this position in the interleaved stream on, calls are answered by UPGRADED_MODEL (default: never). */
  upgradeAt?: number;
}

/**
 * Any number of traces per call site, interleaved as a live agent produces them, with increasing
 * timestamps (benchmarks scale the seed up with this). Without `upgradeAt`, each call site's traces
 * are the same as `generateBucket(name, seed, count)`'s, apart from the timestamps.
 */
export function generateTraces(seed: number, counts: Readonly<Record<string, number>>, options: GenerateOptions = {}): string[] {
  const mislabelRate = options.mislabelRate ?? MISLABEL_RATE;
  const upgradeAt = options.upgradeAt ?? Infinity;
  const order = CALL_SITES.flatMap((name, i) => Array.from({ length: counts[name] ?? 0 }, () => i));
  const schedule = stream(seed, "schedule");
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(schedule.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  // Each call site's k-th call comes at some position of the stream; the model answering it depends on that position.
  const positions = CALL_SITES.map(() => [] as number[]);
  order.forEach((site, position) => positions[site].push(position));
  const queues = CALL_SITES.map((name, i) =>
    records(name, seed, counts[name] ?? 0, mislabelRate, (k) => (positions[i][k] >= upgradeAt ? "after-upgrade" : "before-upgrade")),
  );
  const taken = queues.map(() => 0);
  let clock = START;
  return order.map((i) => {
    const record = queues[i][taken[i]++];
    clock += tick(schedule);
    return JSON.stringify({ ...record, ts: new Date(clock).toISOString() } satisfies Trace);
  });
}

/**
 * `n` traces of one call site, oldest first; each is mislabeled independently with `mislabelRate`
 * (default 3 %), and answered by the model of `era` (default: before the upgrade).
 */
export function generateBucket(name: string, seed: number, n: number, options: { mislabelRate?: number; era?: Era } = {}): Trace[] {
  const clockRng = stream(seed, `clock:${name}`);
  let clock = START;
  const era = options.era ?? "before-upgrade";
  return records(name, seed, n, options.mislabelRate ?? MISLABEL_RATE, () => era).map((record) => {
    clock += tick(clockRng);
    return { ...record, ts: new Date(clock).toISOString() };
  });
}

/** `n` new inputs from the call site's input distribution (a stream independent of the traces' for the same seed). */
export function freshInputs(name: string, seed: number, n: number): unknown[] {
  const s = site(name);
  const rng = stream(seed, `fresh:${name}`);
  return Array.from({ length: n }, () => s.input(rng));
}

/**
 * The answer a careful model gives (e.g. `{ code: "GB" }`), computed from the input alone (and, for the
 * lead tier, from which model answers: see `leadTier`); `undefined`
 * for summarize_feedback (open-ended) and for inputs the careful model could not read (never produced here).
 */
export function groundTruth(name: string, input: unknown, era: Era = "before-upgrade"): unknown | undefined {
  return site(name).truth(input, era);
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const out = flag("--out") ?? join(dirname(fileURLToPath(import.meta.url)), "..", "traces", "seed.jsonl");
  const lines = generateSeedTraces(Number(flag("--seed") ?? DEFAULT_SEED));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${lines.join("\n")}\n`);
  process.stderr.write(`wrote ${lines.length} traces to ${out}\n`);
}

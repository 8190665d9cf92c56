/**
 * What a model's tokens cost, in USD per million tokens, from the price table bundled in
 * @pydantic/genai-prices (the maintained catalogue), or from the user's `--price MODEL=IN/OUT`.
 *
 * Offline by construction: the package fetches new data only when `updatePrices` is handed a factory that does, and
 * nothing here calls it, so `calcPrice` reads the table shipped in node_modules (the package has no
 * other network code). A report therefore prices with the package version in package-lock, not today's
 * list price; `--price` is the way to correct one.
 *
 * Where the catalogue has more than one price for a model, the report takes the lower, standard one,
 * so it never claims more savings than were made:
 * - tiered prices (e.g. gemini's higher rate past 200k input tokens): the base tier, since a call site
 *   worth compiling sends short prompts, far below any tier;
 * - prices that change on a date: the one in effect at `at` (default now);
 * - time-of-day prices (deepseek's peak hours): ignored, so the standard/off-peak rate applies.
 * Per-request fees, cache and audio rates are not counted: a trace records text tokens only.
 */
import { calcPrice } from "@pydantic/genai-prices";
import type { ModelInfo, ModelPrice as CataloguePrice } from "@pydantic/genai-prices";

/** USD per million tokens. */
export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
  source: "genai-prices" | "override";
  /** The catalogue's provider id (e.g. "openai"), when the price came from it. */
  provider?: string;
  /** The catalogue's model id the name matched (e.g. "gpt-4o-mini" for "gpt-4o-mini-2024-07-18"). */
  modelMatched?: string;
}

/** One `--price MODEL=IN/OUT`: it applies to exactly that model name (case and surrounding spaces aside). */
export interface PriceOverride {
  model: string;
  inputPerMTok: number;
  outputPerMTok: number;
}

/** In command-line order: when a model is given twice, the last one wins, as with most flags. */
export type PriceOverrides = readonly PriceOverride[];

/** A sum of money, or "unknown" when a price is missing: never shown as $0. */
export type Usd = number | "unknown";

/** The price of `model`: an override first, then the catalogue, else "unknown". */
export function priceOf(model: string, overrides: PriceOverrides = [], at: Date = new Date()): ModelPrice | "unknown" {
  const name = normalModelName(model);
  if (name === "") return "unknown";
  const override = overrides.findLast((o) => normalModelName(o.model) === name);
  if (override) return { inputPerMTok: override.inputPerMTok, outputPerMTok: override.outputPerMTok, source: "override" };
  return cataloguePrice(name, at);
}

/** What `tokensIn` and `tokensOut` cost at `price`, in USD; "unknown" when the price is. */
export function costOf(price: ModelPrice | "unknown", tokensIn: number, tokensOut: number): Usd {
  if (!isCount(tokensIn) || !isCount(tokensOut)) {
    throw new RangeError(`token counts must be finite and not negative (got ${tokensIn} in, ${tokensOut} out)`);
  }
  if (price === "unknown") return "unknown";
  return (tokensIn * price.inputPerMTok + tokensOut * price.outputPerMTok) / 1_000_000;
}

/**
 * Reads one `--price MODEL=IN/OUT` (USD per million input and output tokens, e.g.
 * `gpt-4o-mini=0.15/0.6`). Throws an Error whose one-line message quotes the flag and names what is wrong.
 * Splits at the last "=" and the price part at "/": model names may hold "/" ("openai/gpt-4o"), prices never.
 */
export function parsePriceOverride(text: string): PriceOverride {
  const refuse = (problem: string) => new Error(`--price ${JSON.stringify(text)}: ${problem}`);
  const eq = text.lastIndexOf("=");
  if (eq < 0) throw refuse('expected MODEL=IN/OUT in USD per million tokens, e.g. "gpt-4o-mini=0.15/0.6"');
  const model = text.slice(0, eq).trim();
  if (model === "") throw refuse("the model name before \"=\" is empty");
  const prices = text.slice(eq + 1).split("/");
  if (prices.length !== 2) throw refuse(`expected two prices IN/OUT after "=", got ${JSON.stringify(text.slice(eq + 1))}`);
  return { model, inputPerMTok: parsePrice(prices[0], "input", refuse), outputPerMTok: parsePrice(prices[1], "output", refuse) };
}

// Plain decimals only: Number() would also take "", "0x10", "1e999" (Infinity) and " ".
const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function parsePrice(raw: string, which: "input" | "output", refuse: (problem: string) => Error): number {
  const text = raw.trim();
  if (text === "") throw refuse(`${which} price is missing`);
  if (text.startsWith("-") && DECIMAL.test(text.slice(1))) throw refuse(`${which} price ${JSON.stringify(text)} is negative`);
  const value = Number(text);
  if (!DECIMAL.test(text) || !Number.isFinite(value)) throw refuse(`${which} price ${JSON.stringify(text)} is not a number`);
  return value;
}

/** The catalogue matches case-insensitively on the trimmed name; overrides match the same way. */
function normalModelName(model: string): string {
  return model.trim().toLowerCase();
}

function isCount(x: number): boolean {
  return Number.isFinite(x) && x >= 0;
}

function cataloguePrice(name: string, at: Date): ModelPrice | "unknown" {
  const found = catalogueModel(name);
  if (!found) return "unknown";
  const prices = priceInEffect(found.model, at);
  const input = baseTier(prices.input_mtok);
  const output = baseTier(prices.output_mtok);
  // A model priced per request, image or second has no token price: saying $0 would be a lie.
  if (input === undefined || output === undefined) return "unknown";
  return { inputPerMTok: input, outputPerMTok: output, source: "genai-prices", provider: found.provider, modelMatched: found.model.id };
}

/**
 * The catalogue entry for `name`; when the whole name matches nothing, a "provider/model" or
 * "provider:model" name (as gateways write them) is looked up as that model at that provider.
 */
function catalogueModel(name: string): { model: ModelInfo; provider: string } | undefined {
  const direct = lookUp(name);
  if (direct) return direct;
  const split = /^([^/:]+)[/:](.+)$/.exec(name);
  return split ? lookUp(split[2], split[1]) : undefined;
}

function lookUp(model: string, providerId?: string): { model: ModelInfo; provider: string } | undefined {
  try {
    // Zero tokens: only the match is wanted, the price is read from the entry below.
    const result = calcPrice({ input_tokens: 0, output_tokens: 0 }, model, providerId ? { providerId } : undefined);
    return result ? { model: result.model, provider: result.provider.id } : undefined;
  } catch {
    // A malformed catalogue entry: better no price than a made-up one.
    return undefined;
  }
}

/** The entry's price at `at`: the last date-gated price already started, time-of-day prices skipped. */
function priceInEffect(model: ModelInfo, at: Date): CataloguePrice {
  if (!Array.isArray(model.prices)) return model.prices;
  for (let i = model.prices.length - 1; i >= 0; i--) {
    const { constraint, prices } = model.prices[i];
    if (constraint === undefined) return prices;
    if (constraint.type === "start_date" && at >= new Date(constraint.start_date)) return prices;
  }
  return model.prices[0].prices;
}

/** A flat rate as it is; a tiered one by its base (first) tier. */
function baseTier(value: CataloguePrice[string]): number | undefined {
  if (typeof value === "number") return value;
  if (value !== undefined && typeof value.base === "number") return value.base;
  return undefined;
}

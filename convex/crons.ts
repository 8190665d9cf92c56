import { cronJobs } from "convex/server";
import { internal } from "./_generated/api.js";

const crons = cronJobs();

// Four crons, each its own transaction, so a slow prune never delays the replay or the reaper.
// Replay due seed traces (TRIGGER:SCHEDULE).
crons.interval("replayTick", { seconds: 1 }, internal.daemon.replay.tick, {});
// Give jobs whose worker stopped renewing back to the queue. A job lease lasts 15 s (the worker
// renews it), so a few seconds more before a dead worker's job is seen matters little; each run is
// a transaction even when nothing expired, which an idle daemon would otherwise pay every second.
crons.interval("reapLeases", { seconds: 5 }, internal.daemon.compiles.reap, {});
// Keep the trigger stream bounded.
crons.interval("pruneTriggers", { seconds: 5 }, internal.daemon.triggers.prune, {});
// Keep the job history bounded (each bucket keeps its compile time).
crons.interval("pruneJobs", { seconds: 30 }, internal.daemon.compiles.prune, {});

export default crons;

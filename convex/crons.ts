import { cronJobs } from "convex/server";
import { internal } from "./_generated/api.js";

const crons = cronJobs();

// Every second: replay due seed traces, reap expired leases, prune the trigger stream.
crons.interval("replayTick", { seconds: 1 }, internal.daemon.replay.tick, {});

export default crons;

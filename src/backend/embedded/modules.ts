import schema from "../../../convex/schema.js";
import crons from "../../../convex/crons.js";
import * as replay from "../../../convex/daemon/replay.js";
import * as ingest from "../../../convex/daemon/ingest.js";
import * as compiles from "../../../convex/daemon/compiles.js";
import * as vault from "../../../convex/daemon/vault.js";
import * as heartbeat from "../../../convex/daemon/heartbeat.js";
import * as control from "../../../convex/daemon/control.js";
import * as triggers from "../../../convex/daemon/triggers.js";
import * as runtime from "../../../convex/daemon/runtime.js";
import type { ModuleMap } from "./functions.js";
import type { CronsLike, SchemaLike } from "./schema.js";

/**
 * The app's Convex modules, keyed by function path prefix ("daemon/replay" for "daemon/replay:tick").
 * Listed explicitly so a bundle or `tsc` sees every one and a missing module fails at import time.
 */
export const appModules: ModuleMap = {
  "daemon/replay": replay,
  "daemon/ingest": ingest,
  "daemon/compiles": compiles,
  "daemon/vault": vault,
  "daemon/heartbeat": heartbeat,
  "daemon/control": control,
  "daemon/triggers": triggers,
  "daemon/runtime": runtime,
};

export const appSchema: SchemaLike = schema as unknown as SchemaLike;
export const appCrons: CronsLike = crons as unknown as CronsLike;

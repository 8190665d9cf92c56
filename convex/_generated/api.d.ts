/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import type * as crons from "../crons.js";
import type * as daemon_compiles from "../daemon/compiles.js";
import type * as daemon_control from "../daemon/control.js";
import type * as daemon_heartbeat from "../daemon/heartbeat.js";
import type * as daemon_ingest from "../daemon/ingest.js";
import type * as daemon_replay from "../daemon/replay.js";
import type * as daemon_runtime from "../daemon/runtime.js";
import type * as daemon_triggers from "../daemon/triggers.js";
import type * as daemon_vault from "../daemon/vault.js";
import type * as lib_adminMutation from "../lib/adminMutation.js";
import type * as lib_auth from "../lib/auth.js";
import type * as lib_drift from "../lib/drift.js";
import type * as lib_errors from "../lib/errors.js";
import type * as lib_events from "../lib/events.js";
import type * as lib_pacing from "../lib/pacing.js";
import type * as lib_sha from "../lib/sha.js";
import type * as lib_traceRules from "../lib/traceRules.js";
import type * as lib_traceShape from "../lib/traceShape.js";
import type * as lib_usage from "../lib/usage.js";
import type * as lib_validate from "../lib/validate.js";
import type * as lib_verdicts from "../lib/verdicts.js";
import type * as lib_volume from "../lib/volume.js";
import type * as model_bucketCosts from "../model/bucketCosts.js";
import type * as model_code from "../model/code.js";
import type * as model_counters from "../model/counters.js";

/**
 * A utility for referencing Convex functions in your app's API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
declare const fullApi: ApiFromModules<{
  crons: typeof crons;
  "daemon/compiles": typeof daemon_compiles;
  "daemon/control": typeof daemon_control;
  "daemon/heartbeat": typeof daemon_heartbeat;
  "daemon/ingest": typeof daemon_ingest;
  "daemon/replay": typeof daemon_replay;
  "daemon/runtime": typeof daemon_runtime;
  "daemon/triggers": typeof daemon_triggers;
  "daemon/vault": typeof daemon_vault;
  "lib/adminMutation": typeof lib_adminMutation;
  "lib/auth": typeof lib_auth;
  "lib/drift": typeof lib_drift;
  "lib/errors": typeof lib_errors;
  "lib/events": typeof lib_events;
  "lib/pacing": typeof lib_pacing;
  "lib/sha": typeof lib_sha;
  "lib/traceRules": typeof lib_traceRules;
  "lib/traceShape": typeof lib_traceShape;
  "lib/usage": typeof lib_usage;
  "lib/validate": typeof lib_validate;
  "lib/verdicts": typeof lib_verdicts;
  "lib/volume": typeof lib_volume;
  "model/bucketCosts": typeof model_bucketCosts;
  "model/code": typeof model_code;
  "model/counters": typeof model_counters;
}>;
export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;
export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;

import type { JSONValue } from "convex/values";
import type { TableSpec } from "./store.js";
import type { ValidatorJson } from "./validate.js";

/** The parts of convex/server's SchemaDefinition the runtime reads. */
export interface SchemaLike {
  schemaValidation: boolean;
  tables: Record<
    string,
    {
      export(): {
        indexes: { indexDescriptor: string; fields: string[] }[];
        searchIndexes?: unknown[];
        vectorIndexes?: unknown[];
        documentType: unknown;
      };
    }
  >;
}

/** The parts of convex/server's Crons (cronJobs()) the runtime reads. */
export interface CronsLike {
  crons: Record<string, { name: string; args: JSONValue[]; schedule: { type: string; seconds?: number; minutes?: number; hours?: number } }>;
}

export interface ReadSchema {
  specs: Map<string, TableSpec> | null;
  documentTypes: Map<string, ValidatorJson> | null;
  /** Tables declaring search or vector indexes: searching them is unsupported (their other queries work). */
  unsupported: string[];
}

/**
 * Convex's identifier rule for table, field and index names: a letter, then letters, digits and
 * underscores. A leading underscore is Convex's own (system tables, system fields).
 */
const IDENTIFIER = /^[a-zA-Z][a-zA-Z0-9_]*$/;
/** A document validator may spell out the system fields themselves; Convex accepts those two. */
const SYSTEM_FIELDS = new Set(["_id", "_creationTime"]);

function requireIdentifier(kind: "Table" | "Field" | "Index", name: string): void {
  const ok = IDENTIFIER.test(name) || (kind === "Field" && SYSTEM_FIELDS.has(name));
  if (!ok) throw new Error(`${kind} names must be valid identifiers, got "${name}"`);
}

/** The top-level field names of a document validator (of every member, for a union of objects). */
function requireFieldIdentifiers(documentType: ValidatorJson): void {
  if (documentType.type === "object") for (const field of Object.keys(documentType.value)) requireIdentifier("Field", field);
  if (documentType.type === "union") for (const member of documentType.value) requireFieldIdentifiers(member);
}

/** Refuses the schema as Convex refuses it on push, before the state file is touched. */
function requireValidNames(name: string, ex: ReturnType<SchemaLike["tables"][string]["export"]>): void {
  requireIdentifier("Table", name);
  requireFieldIdentifiers(ex.documentType as ValidatorJson);
  for (const index of ex.indexes) requireIdentifier("Index", index.indexDescriptor);
}

export function readSchema(schema: SchemaLike | null | undefined): ReadSchema {
  if (!schema) return { specs: null, documentTypes: null, unsupported: [] };
  const specs = new Map<string, TableSpec>();
  const documentTypes = new Map<string, ValidatorJson>();
  const unsupported: string[] = [];
  for (const [name, table] of Object.entries(schema.tables)) {
    const ex = table.export();
    requireValidNames(name, ex);
    specs.set(name, { indexes: ex.indexes.map((i) => ({ name: i.indexDescriptor, fields: i.fields })) });
    documentTypes.set(name, ex.documentType as ValidatorJson);
    if ((ex.searchIndexes?.length ?? 0) > 0) unsupported.push(`${name}: search indexes`);
    if ((ex.vectorIndexes?.length ?? 0) > 0) unsupported.push(`${name}: vector indexes`);
  }
  return { specs, documentTypes: schema.schemaValidation ? documentTypes : null, unsupported };
}

/** Milliseconds between runs of an interval cron; null for schedule types the runtime does not run. */
export function intervalMs(schedule: { type: string; seconds?: number; minutes?: number; hours?: number }): number | null {
  if (schedule.type !== "interval") return null;
  return ((schedule.hours ?? 0) * 3600 + (schedule.minutes ?? 0) * 60 + (schedule.seconds ?? 0)) * 1000;
}

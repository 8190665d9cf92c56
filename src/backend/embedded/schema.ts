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
  /** Tables declaring search or vector indexes: those fail when queried (unsupported). */
  unsupported: string[];
}

export function readSchema(schema: SchemaLike | null | undefined): ReadSchema {
  if (!schema) return { specs: null, documentTypes: null, unsupported: [] };
  const specs = new Map<string, TableSpec>();
  const documentTypes = new Map<string, ValidatorJson>();
  const unsupported: string[] = [];
  for (const [name, table] of Object.entries(schema.tables)) {
    const ex = table.export();
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

import { connect } from "node:net";
import { CallTimeoutError } from "./timeout.js";

/** A failed step of a primary-provider call, carrying a one-line reason for the RECOVERY row. */
export class ComputeStepError extends Error {
  override name = "ComputeStepError";
}

const oneLine = (s: string, max = 200): string => {
  const flat = s.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/**
 * The Tensorlake SDK sends requests from a native (Rust) client whose transport errors
 * arrive as "error sending request for url (…)" without the OS reason. One TCP connect to
 * the same host tells "connection refused" from other network failures, which is what a
 * person reading the RECOVERY row needs. Only runs on the failure path.
 */
async function probeConnect(url: string, timeoutMs = 1000): Promise<string> {
  let host: string;
  let port: number;
  try {
    const u = new URL(url);
    host = u.hostname;
    port = Number(u.port) || (u.protocol === "https:" ? 443 : 80);
  } catch {
    return "connection failed";
  }
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (why: string): void => {
      socket.destroy();
      resolve(why);
    };
    socket.setTimeout(timeoutMs, () => done(`connection failed (${host}:${port} unreachable)`));
    socket.once("connect", () => done(`connection failed (${host}:${port})`));
    socket.once("error", (e: NodeJS.ErrnoException) =>
      done(e.code === "ECONNREFUSED" ? `connection refused (${host}:${port})` : `connection failed (${e.code ?? e.message})`),
    );
  });
}

/** Turn whatever a Tensorlake step threw into `tensorlake <step>: <reason>`. */
export async function describeStepFailure(step: string, err: unknown): Promise<ComputeStepError> {
  if (err instanceof ComputeStepError) return err;
  if (err instanceof CallTimeoutError) return new ComputeStepError(`tensorlake ${step}: ${err.message}`);
  const e = err as { statusCode?: unknown; responseMessage?: unknown; message?: unknown };
  if (typeof e?.statusCode === "number") {
    const body = typeof e.responseMessage === "string" ? ` ${oneLine(e.responseMessage, 120)}` : "";
    return new ComputeStepError(`tensorlake ${step}: HTTP ${e.statusCode}${body}`);
  }
  const message = typeof e?.message === "string" ? e.message : String(err);
  const sendFailure = /error sending request for url \((\S+?)\)/.exec(message);
  if (sendFailure?.[1]) return new ComputeStepError(`tensorlake ${step}: ${await probeConnect(sendFailure[1])}`);
  return new ComputeStepError(`tensorlake ${step}: ${oneLine(message)}`);
}

/** The one-line reason of any error, for logs and the RECOVERY row. */
export function reasonOf(err: unknown): string {
  return oneLine(err instanceof Error ? err.message : String(err));
}

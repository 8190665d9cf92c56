// A local stand-in for Tensorlake's sandbox HTTP contract, serving exactly the calls the real
// SDK (tensorlake 0.5.89, native Rust client) makes for create → write → run → terminate:
//
//   POST   {apiUrl}/v1/namespaces/{ns}/sandboxes   (localhost apiUrl; /sandboxes on the cloud)
//            → { sandbox_id, status: "running", sandbox_url }
//   DELETE {apiUrl}/v1/namespaces/{ns}/sandboxes/{id}
//   PUT    {sandbox_url}/api/v1/files?path=P        raw body, Host: {id}.local
//   POST   {sandbox_url}/api/v1/processes/run       { command, args, timeout } → text/event-stream:
//            data: {pid, started_at} · data: {line, timestamp, stream} · data: {exit_code}
//
// sandbox_url points back at this server; because it is 127.0.0.1, the SDK addresses the
// sandbox through the Host header ("{id}.local"), as it would a local dataplane. Commands run
// for real with child_process, inside a per-sandbox temp directory standing in for the
// sandbox's filesystem, so the outputs are genuine.

import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export type StubStep = "create" | "write" | "run" | "delete";
export type StubFailure = { on: StubStep; status?: number; hang?: boolean; badOutput?: boolean };

export type TensorlakeStub = {
  url: string;
  /** "METHOD path" of every request, in arrival order. */
  requests: string[];
  created: string[];
  terminated: string[];
  close(): Promise<void>;
};

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

export async function startTensorlakeStub(opts: { fail?: StubFailure; apiKey?: string } = {}): Promise<TensorlakeStub> {
  const roots = new Map<string, string>();
  const requests: string[] = [];
  const created: string[] = [];
  const terminated: string[] = [];
  let seq = 0;
  let url = "";

  const sandboxOf = (req: IncomingMessage): string | undefined => {
    const host = req.headers.host ?? "";
    const id = host.endsWith(".local") ? host.slice(0, -".local".length) : req.headers["x-tensorlake-sandbox-id"];
    return typeof id === "string" ? id : undefined;
  };

  /** Answers the configured failure for this step; true when it took over the response. */
  const failed = (step: StubStep, res: ServerResponse): boolean => {
    const f = opts.fail;
    if (!f || f.on !== step || f.badOutput) return false;
    if (f.hang) return true; // never answer: the client's timeout has to fire
    json(res, f.status ?? 500, { message: `stub ${step} failure` });
    return true;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? "/", "http://stub");
    const body = await readBody(req);
    requests.push(`${req.method} ${u.pathname}`);
    if (req.headers.authorization !== `Bearer ${opts.apiKey ?? "test-key"}`) return json(res, 401, { message: "unauthorized" });

    const lifecycle = /^(?:\/v1\/namespaces\/[^/]+)?\/sandboxes(?:\/([^/]+))?$/.exec(u.pathname);
    if (lifecycle && req.method === "POST" && !lifecycle[1]) {
      if (failed("create", res)) return;
      const request = JSON.parse(body.toString("utf8")) as { resources?: { cpus?: number; memory_mb?: number } };
      if (!request.resources) return json(res, 400, { message: "resources required" });
      const id = `sbx-${++seq}`;
      roots.set(id, mkdtempSync(join(tmpdir(), `tl-stub-${id}-`)));
      created.push(id);
      return json(res, 200, { sandbox_id: id, status: "running", sandbox_url: url });
    }
    if (lifecycle?.[1] && req.method === "DELETE") {
      if (failed("delete", res)) return;
      const root = roots.get(lifecycle[1]);
      if (!root) return json(res, 404, { message: "no such sandbox" });
      rmSync(root, { recursive: true, force: true });
      roots.delete(lifecycle[1]);
      terminated.push(lifecycle[1]);
      return json(res, 200, {});
    }

    const id = sandboxOf(req);
    const root = id ? roots.get(id) : undefined;
    if (u.pathname.startsWith("/api/v1/") && !root) return json(res, 404, { message: "unknown sandbox" });
    if (u.pathname === "/api/v1/files" && req.method === "PUT" && root) {
      if (failed("write", res)) return;
      const path = u.searchParams.get("path");
      if (!path?.startsWith("/")) return json(res, 400, { message: "absolute path required" });
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), body);
      res.writeHead(204).end();
      return;
    }
    if (u.pathname === "/api/v1/processes/run" && req.method === "POST" && root) {
      if (failed("run", res)) return;
      return runProcess(root, JSON.parse(body.toString("utf8")) as { command: string; args?: string[] }, res);
    }
    json(res, 404, { message: `stub has no ${req.method} ${u.pathname}` });
  }

  /** Streams the process the way the sandbox daemon does: one SSE event per line, then the exit. */
  function runProcess(root: string, payload: { command: string; args?: string[] }, res: ServerResponse): void {
    // Absolute paths live under the sandbox's root; `node` is this test's own Node.
    const args = (payload.args ?? []).map((a) => (a.startsWith("/") ? join(root, a) : a));
    const command = payload.command === "node" ? process.execPath : payload.command;
    const child = spawn(command, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const send = (event: unknown): void => void res.write(`data: ${JSON.stringify(event)}\n\n`);
    send({ pid: child.pid ?? 0, started_at: Date.now() });
    const pipe = (stream: NodeJS.ReadableStream, name: "stdout" | "stderr"): Promise<void> =>
      new Promise((resolve) => {
        let rest = "";
        stream.setEncoding("utf8");
        stream.on("data", (d: string) => {
          const lines = (rest + d).split("\n");
          rest = lines.pop() ?? "";
          for (const line of lines) send({ line: opts.fail?.badOutput && name === "stdout" ? "not json{" : line, timestamp: Date.now(), stream: name });
        });
        stream.on("end", () => {
          if (rest) send({ line: opts.fail?.badOutput && name === "stdout" ? "not json{" : rest, timestamp: Date.now(), stream: name });
          resolve();
        });
      });
    const drained = Promise.all([pipe(child.stdout!, "stdout"), pipe(child.stderr!, "stderr")]);
    child.on("close", (code, signal) => {
      void drained.then(() => {
        send(signal ? { signal: 9 } : { exit_code: code ?? -1 });
        res.end();
      });
    });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => json(res, 500, { message: String(e) }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    created,
    terminated,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      for (const root of roots.values()) rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A 127.0.0.1 port where nothing listens (bound, then released). */
export async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

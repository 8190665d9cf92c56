import React, { memo, useEffect, useMemo, useState } from "react";
import { Box, useInput, type Key } from "ink";
import { CONTROL_ACTIONS, resetProgressText, type ActionContext, type ControlAction } from "../contract/actions.js";
import { rankQueue } from "../contract/queueOrder.js";
import type { BackendClient } from "../backend/client.js";
import { BucketsPane } from "./components/BucketsPane.js";
import { Footer, FOOTER_HEIGHT, type Feedback, type FooterProps } from "./components/Footer.js";
import { HeartbeatPane } from "./components/HeartbeatPane.js";
import { HelpOverlay } from "./components/HelpOverlay.js";
import { PipelinePane } from "./components/PipelinePane.js";
import { ReplayPane } from "./components/ReplayPane.js";
import { SavingsPane } from "./components/SavingsPane.js";
import { MIN_COLUMNS, MIN_ROWS, TooSmall } from "./components/TooSmall.js";
import { collapseRoutine, filterEvents, mergeStreams, TriggerStream } from "./components/TriggerStream.js";
import { detailMaxScroll, VaultDetail } from "./components/VaultDetail.js";
import { VaultTable } from "./components/VaultTable.js";
import { NOTABLE_TRIGGER_LIMIT, QUERIES, RECENT_JOBS_LIMIT, TRIGGER_LIMIT, USAGE_LIMIT, type VaultEntry } from "./data.js";
import { hintsFor, resolveKey, type Mode } from "./keymap.js";
import { useConnectionState } from "./hooks/useConnectionState.js";
import { useSubscription } from "./hooks/useSubscription.js";
import { useTerminalSize } from "./hooks/useTerminalSize.js";
import { createFrameBatcher, DEFAULT_FRAME_MS, FrameBatcherContext, type FrameBatcher } from "./hooks/useThrottledState.js";
import { makeTheme, ThemeContext } from "./theme.js";

// Panes re-render only when their own props change: a heartbeat every 2 s must not redraw the
// 200-row trigger stream or the vault table (what an idle console spends its CPU on).
const MemoHeartbeatPane = memo(HeartbeatPane);
const MemoReplayPane = memo(ReplayPane);
const MemoPipelinePane = memo(PipelinePane);
const MemoBucketsPane = memo(BucketsPane);
const MemoTriggerStream = memo(TriggerStream);
const MemoVaultTable = memo(VaultTable);
const MemoSavingsPane = memo(SavingsPane);

export interface AppProps {
  client: BackendClient;
  /** Called once when the user quits (q, Ctrl-C): the caller unmounts and stops the worker. */
  onQuit: () => void;
  noColor?: boolean;
  /** The in-process worker's state as its owner sees it ("running", "stopping", ...), shown in the footer. */
  workerStatus?: string;
  /** The control actions; defaults to the table `ctl` uses. */
  actions?: readonly ControlAction[];
  /** Frame clock for subscription updates (default ~12 fps). */
  frameMs?: number;
  /** A frame batcher of the caller's (tests ask it whether a frame is still due); default: one of frameMs. */
  batcher?: FrameBatcher;
}

export function App({ client, onQuit, noColor = false, workerStatus, actions = CONTROL_ACTIONS, frameMs = DEFAULT_FRAME_MS, batcher: given }: AppProps): React.JSX.Element {
  const own = useMemo(() => (given ? undefined : createFrameBatcher(frameMs)), [given, frameMs]);
  useEffect(() => () => own?.dispose(), [own]);
  const batcher = given ?? (own as FrameBatcher);
  const theme = useMemo(() => makeTheme(noColor), [noColor]);
  return (
    <ThemeContext value={theme}>
      <FrameBatcherContext value={batcher}>
        <Console client={client} onQuit={onQuit} workerStatus={workerStatus} actions={actions} />
      </FrameBatcherContext>
    </ThemeContext>
  );
}

export type PaneId = "buckets" | "triggers" | "vault";
export const FOCUS_ORDER: readonly PaneId[] = ["buckets", "triggers", "vault"];

/**
 * Fixed row budget: the status row; the savings pane at the bottom, from 30 rows a pane of a sixth of
 * the height (5 to 10 rows: a header, the busiest buckets, the total line), below 30 rows its one-line
 * total; the buckets/triggers row and the vault share the rest (the buckets/triggers row at least 9
 * rows beside the savings pane, so a 100x30 console still shows 7 triggers and 4 vault entries).
 */
export function layout(columns: number, rows: number) {
  const topHeight = 5;
  const savingsHeight = rows < 30 ? 1 : Math.max(5, Math.min(10, Math.floor(rows / 6)));
  const rest = rows - topHeight - FOOTER_HEIGHT - savingsHeight;
  const midHeight = Math.max(savingsHeight > 1 ? 9 : 5, Math.floor(rest / 2));
  const third = Math.floor(columns / 3);
  return {
    topHeight,
    midHeight,
    vaultHeight: rest - midHeight,
    savingsHeight,
    mainHeight: rows - FOOTER_HEIGHT,
    third,
    lastThird: columns - 2 * third,
  };
}

type Pending = { action: ControlAction; value: string };

interface ConsoleProps {
  client: BackendClient;
  onQuit: () => void;
  workerStatus?: string;
  actions: readonly ControlAction[];
}

function Console({ client, onQuit, workerStatus, actions }: ConsoleProps): React.JSX.Element {
  const { columns, rows } = useTerminalSize();
  // The footer follows the connection through the client's own event, not through query results.
  const connection = useConnectionState(client);

  const triggers = useSubscription(client, QUERIES.triggers, { limit: TRIGGER_LIMIT });
  const notableTriggers = useSubscription(client, QUERIES.notableTriggers, { limit: NOTABLE_TRIGGER_LIMIT });
  const heartbeat = useSubscription(client, QUERIES.heartbeat, {});
  const replay = useSubscription(client, QUERIES.replay, {});
  const buckets = useSubscription(client, QUERIES.buckets, {});
  const activeJobs = useSubscription(client, QUERIES.activeJobs, {});
  const recentJobs = useSubscription(client, QUERIES.recentJobs, { limit: RECENT_JOBS_LIMIT });
  const vault = useSubscription(client, QUERIES.vault, {});
  const codeState = useSubscription(client, QUERIES.codeState, {});
  const queue = useSubscription(client, QUERIES.queue, {});
  const rankedQueue = useMemo(() => (queue.data ? rankQueue(queue.data) : undefined), [queue.data]);
  const usage = useSubscription(client, QUERIES.usage, { limit: USAGE_LIMIT });

  const [focus, setFocus] = useState<PaneId>("vault");
  const [selection, setSelection] = useState<Record<PaneId, number>>({ buckets: 0, triggers: 0, vault: 0 });
  const [mode, setMode] = useState<Mode>("normal");
  const [filter, setFilter] = useState("");
  const [pending, setPending] = useState<Pending | undefined>();
  const [feedback, setFeedback] = useState<Feedback | undefined>();
  const [actionError, setActionError] = useState<string | undefined>();
  const [detail, setDetail] = useState<{ id: string; snapshot: VaultEntry; scroll: number } | undefined>();
  const [helpScroll, setHelpScroll] = useState(0);
  const [quitting, setQuitting] = useState(false);

  const stream = useMemo(() => mergeStreams(triggers.data ?? [], notableTriggers.data ?? []), [triggers.data, notableTriggers.data]);
  // Filtered, every matching row shows; otherwise runs of routine rows fold into one line each.
  const events = useMemo(() => (filter.trim() ? filterEvents(stream, filter) : collapseRoutine(stream)), [stream, filter]);
  const bucketList = buckets.data?.buckets ?? [];
  const vaultList = vault.data ?? [];
  const currentSha = codeState.data?.sha;
  const verdicts = useMemo(() => {
    const map = new Map<string, Pick<VaultEntry, "verdict" | "status">>();
    // Newest first, so the first entry per bucket at the current sha is its verdict.
    for (const e of vault.data ?? []) if ((currentSha === undefined || e.sha === currentSha) && !map.has(e.bucket)) map.set(e.bucket, e);
    return map;
  }, [vault.data, currentSha]);

  const bucketJobs = useMemo(() => {
    const map = new Map<string, "running" | "pending">();
    for (const j of recentJobs.data ?? []) if (j.status === "pending") map.set(j.bucket, "pending");
    for (const j of activeJobs.data ?? []) map.set(j.bucket, "running");
    return map;
  }, [recentJobs.data, activeJobs.data]);

  const lengths: Record<PaneId, number> = { buckets: bucketList.length, triggers: events.length, vault: vaultList.length };
  const clamp = (pane: PaneId, i: number) => Math.max(0, Math.min(i, lengths[pane] - 1));
  const selected: Record<PaneId, number> = {
    buckets: clamp("buckets", selection.buckets),
    triggers: clamp("triggers", selection.triggers),
    vault: clamp("vault", selection.vault),
  };
  const selectedBucket = bucketList[selected.buckets];
  const selectedEntry = vaultList[selected.vault];

  const size = layout(columns, rows);
  const liveDetail = detail ? vaultList.find((e) => e._id === detail.id) : undefined;

  const quit = () => {
    if (quitting) return;
    setQuitting(true);
    onQuit();
  };

  const run = (action: ControlAction, ctx: ActionContext) => {
    setFeedback({ kind: "info", text: `${action.label}…` });
    // A reset runs batch by batch to its end (as `ctl reset` does), saying how far it got.
    const onProgress: ActionContext["onProgress"] = (p) => {
      if (!p.done) setFeedback({ kind: "info", text: `${action.label}: ${resetProgressText(p)}…` });
    };
    action.run(client, { ...ctx, onProgress }).then(
      (text) => {
        setFeedback({ kind: "ok", text });
        setActionError(undefined);
      },
      (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        setFeedback({ kind: "error", text: `${action.label}: ${message}` });
        setActionError(`${action.label}: ${message}`);
      },
    );
  };

  const context = (): ActionContext => ({ bucket: selectedBucket?.key, speedMs: replay.data?.speedMs });

  const startAction = (action: ControlAction) => {
    if (action.needsBucket && !selectedBucket) {
      setFeedback({ kind: "error", text: `${action.label}: no bucket to ${action.label} into yet (tab to Buckets, j/k to select)` });
      return;
    }
    if (action.confirm) {
      setPending({ action, value: "" });
      setMode("confirm");
      return;
    }
    if (action.promptNumber) {
      setFeedback(undefined);
      setPending({ action, value: "" });
      setMode("prompt");
      return;
    }
    run(action, context());
  };

  const move = (delta: number) => {
    if (mode === "detail") {
      const max = detailMaxScroll(liveDetail ?? detail?.snapshot, columns, size.mainHeight);
      setDetail((d) => (d ? { ...d, scroll: Math.max(0, Math.min(max, d.scroll + delta)) } : d));
      return;
    }
    if (mode === "help") {
      setHelpScroll((s) => Math.max(0, s + delta));
      return;
    }
    setSelection((s) => ({ ...s, [focus]: clamp(focus, selected[focus] + delta) }));
  };

  const submitPrompt = (typed = pending?.value ?? "") => {
    if (!pending?.action.promptNumber) return;
    const spec = pending.action.promptNumber;
    const n = typed === "" ? spec.default : Number(typed);
    if (!Number.isInteger(n) || n < spec.min || n > spec.max) {
      setFeedback({ kind: "error", text: `${spec.label}: a whole number from ${spec.min} to ${spec.max}` });
      setPending({ ...pending, value: "" });
      return;
    }
    setMode("normal");
    setPending(undefined);
    run(pending.action, { ...context(), n });
  };

  useInput((input: string, key: Key) => {
    const binding = resolveKey(mode, input, key, actions);
    if (binding?.kind === "action") {
      startAction(binding.action);
      return;
    }
    if (!binding) {
      // Free text goes to the filter or the prompt; everything else is ignored.
      if (mode === "filter" && (key.backspace || key.delete)) setFilter((f) => f.slice(0, -1));
      else if (mode === "filter" && input && !key.ctrl && !key.meta) {
        setFilter((f) => f + input);
        setSelection((s) => ({ ...s, triggers: 0 }));
      } else if (mode === "prompt" && pending && (key.backspace || key.delete)) setPending({ ...pending, value: pending.value.slice(0, -1) });
      else if (mode === "prompt" && pending && /^\d+$/.test(input)) setPending({ ...pending, value: (pending.value + input).slice(0, 9) });
      else if (mode === "prompt" && pending && /^\d*[\r\n]$/.test(input)) {
        // A paste (or a fast terminal) delivers "5" and Enter in one chunk: type, then submit.
        submitPrompt((pending.value + input.trim()).slice(0, 9));
      }
      return;
    }
    switch (binding.key.id) {
      case "interrupt":
      case "quit":
        quit();
        return;
      case "help":
        setHelpScroll(0);
        setMode(mode === "help" ? "normal" : "help");
        return;
      case "back":
        if (mode === "detail") setDetail(undefined);
        setMode("normal");
        return;
      case "focus-next":
      case "focus-prev": {
        const step = binding.key.id === "focus-next" ? 1 : FOCUS_ORDER.length - 1;
        setFocus((f) => FOCUS_ORDER[(FOCUS_ORDER.indexOf(f) + step) % FOCUS_ORDER.length]);
        return;
      }
      case "down":
        move(1);
        return;
      case "up":
        move(-1);
        return;
      case "open":
        if (focus !== "vault") {
          setFeedback({ kind: "info", text: "enter opens a vault entry: tab to the Vault pane first" });
        } else if (!selectedEntry) {
          setFeedback({ kind: "info", text: "the vault is empty so far" });
        } else {
          setDetail({ id: selectedEntry._id, snapshot: selectedEntry, scroll: 0 });
          setMode("detail");
        }
        return;
      case "filter":
        setFocus("triggers");
        setMode("filter");
        return;
      case "clear-filter":
        setFilter("");
        setMode("normal");
        return;
      case "accept":
        if (mode === "prompt") submitPrompt();
        else setMode("normal");
        return;
      case "cancel":
        setFeedback({ kind: "info", text: `${pending?.action.label ?? "prompt"} cancelled` });
        setPending(undefined);
        setMode("normal");
        return;
      case "yes":
        if (pending) run(pending.action, context());
        setPending(undefined);
        setMode("normal");
        return;
      case "no":
        setFeedback({ kind: "info", text: `${pending?.action.label ?? "action"} cancelled` });
        setPending(undefined);
        setMode("normal");
        return;
    }
  });

  if (columns < MIN_COLUMNS || rows < MIN_ROWS) return <TooSmall columns={columns} rows={rows} />;

  const subscriptionError = [triggers, notableTriggers, heartbeat, replay, buckets, activeJobs, recentJobs, vault, codeState, usage].find((s) => s.error)?.error;
  const lastError = subscriptionError?.message ?? actionError;
  const footerMode = replay.data === undefined ? "CONNECTING" : replay.data.paused ? "PAUSED" : "RUNNING";

  let line: FooterProps["line"] = feedback;
  if (mode === "prompt" && pending?.action.promptNumber) {
    const spec = pending.action.promptNumber;
    const where = pending.action.needsBucket && selectedBucket ? ` into ${selectedBucket.key}` : "";
    // A refused number is said on the prompt line itself, which stays open for another try.
    const refused = feedback?.kind === "error" && pending.value === "";
    const hint = refused ? `✗ a whole number from ${spec.min} to ${spec.max}` : `(${spec.min}-${spec.max}, enter = ${spec.default})`;
    line = { prompt: `${pending.action.label}${where}: ${spec.label}? ${hint}`, value: pending.value };
  } else if (mode === "confirm" && pending) {
    line = { prompt: `${pending.action.confirm?.question({}) ?? ""} [y/N]` };
  } else if (mode === "filter") {
    line = { prompt: "filter triggers:", value: filter };
  }

  let main: React.JSX.Element;
  if (mode === "help") {
    main = <HelpOverlay actions={actions} scroll={helpScroll} width={columns} height={size.mainHeight} />;
  } else if (mode === "detail") {
    main = (
      <VaultDetail entry={liveDetail ?? detail?.snapshot} gone={detail !== undefined && !liveDetail} scroll={detail?.scroll ?? 0} width={columns} height={size.mainHeight} />
    );
  } else {
    main = (
      <Box flexDirection="column">
        <Box flexDirection="row" height={size.topHeight}>
          <MemoHeartbeatPane beats={heartbeat.data} width={size.third} height={size.topHeight} />
          <MemoReplayPane replay={replay.data} width={size.third} height={size.topHeight} />
          <MemoPipelinePane active={activeJobs.data} recent={recentJobs.data} verdicts={verdicts} currentSha={currentSha} queue={rankedQueue} width={size.lastThird} height={size.topHeight} />
        </Box>
        <Box flexDirection="row" height={size.midHeight}>
          <MemoBucketsPane view={buckets.data} verdicts={verdicts} jobs={bucketJobs} selected={selected.buckets} focused={focus === "buckets"} width={size.third} height={size.midHeight} />
          <MemoTriggerStream
            events={events}
            total={stream.length}
            filter={filter}
            filtering={mode === "filter"}
            selected={selected.triggers}
            focused={focus === "triggers"}
            width={columns - size.third}
            height={size.midHeight}
            loading={triggers.data === undefined}
          />
        </Box>
        <MemoVaultTable entries={vault.data} currentSha={currentSha} selected={selected.vault} focused={focus === "vault"} width={columns} height={size.vaultHeight} />
        <MemoSavingsPane usage={usage.data} buckets={buckets.data} width={columns} height={size.savingsHeight} />
      </Box>
    );
  }

  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <Box height={size.mainHeight} flexDirection="column" overflow="hidden">
        {main}
      </Box>
      <Footer
        mode={footerMode}
        connection={connection}
        workerStatus={workerStatus}
        lastError={lastError}
        line={line}
        hints={hintsFor(mode, actions, { filterActive: filter !== "" })}
        width={columns}
      />
    </Box>
  );
}

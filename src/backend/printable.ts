/**
 * Text that came from the state file or from input (bucket keys, field names, families, reasons,
 * error texts) made safe to write to a terminal. A bucket named "\x1b]0;pwned\x07" must not retitle
 * the window, move the cursor or clear the screen of whoever runs `ctl status`, `vault list` or the
 * console, and a name must not hide what follows it with a bidi override or a line break.
 *
 * Escaped (as the JavaScript escape that would write them): C0 controls and DEL (`\n`, `\r`, `\t`,
 * else `\xHH`), C1 controls (U+0080..U+009F: 8-bit CSI is an escape sequence on some terminals),
 * U+2028/U+2029, the bidi controls (U+061C, U+200E/F, U+202A..U+202E, U+2066..U+2069) and lone
 * surrogates. Everything else, including non-ASCII letters and emoji, prints as it is. Backslashes
 * are left alone: this is for people to read; `--json` output stays exact.
 *
 * Lives in backend/ (the lowest layer the CLI, the console and the worker's logs all may import).
 */

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** As UNSAFE, but line feeds and tabs pass (multi-line text: code, a list of reasons). */
const UNSAFE_MULTILINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

export interface PrintableOptions {
  /** Keep line feeds and tabs (for code and other multi-line text); a carriage return is still escaped. */
  multiline?: boolean;
}

/** `text` with every control character escaped (see above); a fast path returns clean text as is. */
export function printable(text: string, opts: PrintableOptions = {}): string {
  const pattern = opts.multiline ? UNSAFE_MULTILINE : UNSAFE;
  pattern.lastIndex = 0;
  if (!pattern.test(text)) return text;
  pattern.lastIndex = 0;
  return text.replace(pattern, escapeChar);
}

/** printable() of any value a table cell or a log field may hold (numbers and booleans pass through String). */
export function printableValue(value: unknown): string {
  return printable(value === undefined ? "" : typeof value === "string" ? value : String(value));
}

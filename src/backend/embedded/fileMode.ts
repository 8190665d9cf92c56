import { chmodSync, closeSync, constants, openSync, statSync } from "node:fs";

/**
 * The state file holds every trace and the deployment's admin token: only its owner may read it.
 * SQLite's unix VFS gives a new -wal, -shm (and rollback -journal) the permissions of the main
 * database file, so creating the main file 0600 before SQLite opens it makes all of them 0600,
 * whatever the umask.
 */
export const STATE_FILE_MODE = 0o600;

/** The main file and the files SQLite keeps beside it. */
export function stateFiles(dbPath: string): string[] {
  return [dbPath, `${dbPath}-wal`, `${dbPath}-shm`, `${dbPath}-journal`];
}

/** Creates `dbPath` empty with mode 0600 unless it exists (an empty file is an empty database to SQLite). */
export function createPrivateFile(dbPath: string): void {
  let fd: number;
  try {
    fd = openSync(dbPath, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, STATE_FILE_MODE);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return;
    throw e;
  }
  closeSync(fd);
}

/**
 * Run before a writable open (the runtime logs each change):
 * - Files written by older versions (0644 under the usual umask) are narrowed to the owner. Only
 *   files that anyone may read or write are changed: a mode a user chose for a group (0640, 0660) is
 *   left as it is.
 * - A -wal or -shm left read-only (a reader created it while the state file was chmod 444: SQLite
 *   copies the main file's mode) would make SQLite open the file read-only and refuse every write:
 *   it gets the main file's mode back.
 * Only files this user owns are changed. Returns "path: 0644 -> 0600" for each change.
 */
export function tightenStateFiles(dbPath: string): string[] {
  const changed: string[] = [];
  const uid = process.getuid?.();
  const mine = (owner: number) => uid === undefined || uid === 0 || uid === owner;
  const main = statOf(dbPath);
  for (const file of stateFiles(dbPath)) {
    const st = file === dbPath ? main : statOf(file);
    if (!st || !mine(st.owner)) continue;
    let next = st.mode;
    if ((next & 0o007) !== 0) next &= 0o700;
    const side = file.endsWith("-wal") || file.endsWith("-shm");
    if (side && main && (main.mode & 0o200) !== 0 && (next & 0o200) === 0) next = main.mode & 0o700;
    if (next === st.mode) continue;
    try {
      chmodSync(file, next);
      changed.push(`${file}: ${octal(st.mode)} -> ${octal(next)}`);
    } catch {
      // Not ours to change after all (a read-only mount): leave it.
    }
  }
  return changed;
}

function statOf(file: string): { mode: number; owner: number } | undefined {
  try {
    const st = statSync(file);
    return st.isFile() ? { mode: st.mode & 0o777, owner: st.uid } : undefined;
  } catch {
    return undefined; // absent
  }
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}

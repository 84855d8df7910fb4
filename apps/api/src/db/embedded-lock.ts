// One process at a time on an embedded (PGlite) database. PGlite is PostgreSQL in single-user
// mode inside its process, with no shared memory or locks between processes: a second process on
// the same directory works on its own copy of the pages, and one of them silently loses its
// writes (a user the CLI "created" while the API ran was never seen by the API, and was gone once
// it stopped). So whoever opens the directory (the API, `pnpm cli`, `pnpm db:migrate`) first takes
// a lock file in it that names its pid; a lock whose process is gone (a crash, kill -9) is stale
// and taken over.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const LOCK_FILE = 'register.lock';

/** The directory is another live process's: one line for the operator. */
export class EmbeddedDatabaseBusy extends Error {
  override name = 'EmbeddedDatabaseBusy';
  readonly pid: number;
  constructor(dir: string, pid: number) {
    super(`the embedded database in ${dir} is in use by process ${pid} (the API?): stop it first, or use DATABASE_URL`);
    this.pid = pid;
  }
}

/**
 * The directories this process holds. A lock naming our own pid is stale unless it is one of
 * them: in a container every start may be pid 1, so a crashed run leaves a lock with our pid.
 */
const held = new Set<string>();

/** Alive, as far as signal 0 can tell: EPERM means it exists under another user. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid a lock file names; null when it names none (not ours); undefined when it is gone. */
function holderOf(file: string): number | null | undefined {
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const pid = Number(content.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

/**
 * Removes a stale lock. Renamed aside rather than deleted, so that of two processes taking over
 * the same stale lock only one removes it; should the file renamed aside turn out to be a fresh
 * lock that another process took meanwhile, it is linked back (unless yet another one has).
 */
function removeStale(file: string, stale: number | null): void {
  const aside = `${file}.stale-${randomUUID()}`;
  try {
    fs.renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    if (holderOf(aside) !== stale) fs.linkSync(aside, file);
  } catch {
    // EEXIST: a third process holds it now, and that lock stands.
  } finally {
    fs.rmSync(aside, { force: true });
  }
}

/**
 * Takes the directory's lock, or throws EmbeddedDatabaseBusy. Returns its release, which is also
 * run at process exit (best effort: a process killed outright leaves a stale lock, taken over).
 */
export function lockEmbeddedDatabase(dir: string): () => void {
  const file = path.join(dir, LOCK_FILE);
  // Written in full, then linked into place: link() fails when the lock exists, so taking it is
  // atomic, and a reader never sees a lock file without its pid.
  const mine = `${file}.${process.pid}-${randomUUID()}`;
  fs.writeFileSync(mine, `${process.pid}\n`);
  try {
    for (let tries = 0; ; tries++) {
      try {
        fs.linkSync(mine, file);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = holderOf(file);
      if (holder === undefined) continue; // released meanwhile
      const busy = holder !== null && (holder === process.pid ? held.has(dir) : alive(holder));
      // A few takeovers at most: past them another process keeps winning the race, so it holds it.
      if (busy || tries >= 3) throw new EmbeddedDatabaseBusy(dir, holder ?? 0);
      removeStale(file, holder);
    }
  } finally {
    fs.rmSync(mine, { force: true });
  }
  held.add(dir);

  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    held.delete(dir);
    process.off('exit', release);
    try {
      // Only our own: a lock removed by hand and taken by another process is not ours to delete.
      if (holderOf(file) === process.pid) fs.rmSync(file, { force: true });
    } catch {}
  };
  process.on('exit', release);
  return release;
}

// What a cluster worker's primary asks (cluster.ts): 'drain' (as for SIGTERM) or 'shutdown' (as
// for Ctrl-C). worker.ts listens before anything else loads, so a word sent while the worker
// is still starting is kept, not dropped, and acted on once the app exists.
export type PrimaryWord = 'drain' | 'shutdown';

let heard: PrimaryWord | null = null;
const waiting = new Set<(word: PrimaryWord) => void>();

export function listenToPrimary(): void {
  process.on('message', (message) => {
    if (message !== 'drain' && message !== 'shutdown') return;
    heard ??= message;
    for (const act of waiting) act(message);
    waiting.clear();
  });
}

/** Calls `act` with the primary's word: at once if it has been said, else when it is. */
export function onPrimaryWord(act: (word: PrimaryWord) => void): void {
  if (heard) act(heard);
  else waiting.add(act);
}

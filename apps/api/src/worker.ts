// A cluster worker's entry (cluster.ts forks it). SIGTERM and SIGINT belong to the primary,
// which passes its word on over IPC: they are ignored here, and the word listened for, before
// anything else loads. A signal to the whole process group (Ctrl-C, systemd's control-group
// kill) then stops every worker once, as the primary asks, and a worker still starting neither
// dies of it half-built nor misses the word.
import { listenToPrimary } from './primary-word.ts';

process.on('SIGTERM', () => {});
process.on('SIGINT', () => {});
listenToPrimary();
await import('./server.ts');

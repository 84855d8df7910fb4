// Metrics under WEB_CONCURRENCY > 1. Every worker counts in its own registry, and the workers
// share one port, so a scrape reaches one of them at random: answering with that worker's
// numbers alone would make every counter jump between scrapes. The worker that is scraped asks
// the primary over IPC instead; the primary (cluster.ts) collects every worker's registry with
// prom-client's AggregatorRegistry (counters and histograms summed, event-loop figures
// averaged) and sends the sum back. One scrape, one answer for the whole instance.
import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const ASK = 'register:metrics?';
const ANSWER = 'register:metrics!';

interface Ask {
  type: typeof ASK;
  id: number;
}
interface Answer {
  type: typeof ANSWER;
  id: number;
  text?: string;
  error?: string;
}

/** In the primary: answers a worker's request with the sum of every worker's metrics. */
export function servePrimaryMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: Partial<Ask>) => {
    const id = message?.id;
    if (message?.type !== ASK || typeof id !== 'number') return;
    const reply = (answer: Omit<Answer, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: ANSWER, id, ...answer } satisfies Answer);
    };
    aggregator.clusterMetrics().then(
      (text) => reply({ text }),
      (error: Error) => reply({ error: error.message }),
    );
  });
}

let asked = 0;

/**
 * In a worker: makes `registries` the ones the primary collects (prom-client answers the
 * primary's collection itself, once an AggregatorRegistry exists in the process), and returns
 * the scrape: the primary's sum, or an error after `timeoutMs`.
 */
export function clusterScrape(registries: Registry[], timeoutMs: number): () => Promise<string> {
  AggregatorRegistry.setRegistries(registries);
  new AggregatorRegistry(); // registers prom-client's answering listener in this worker
  return () =>
    new Promise((resolve, reject) => {
      const id = ++asked;
      const onMessage = (message: Partial<Answer>) => {
        if (message?.type !== ANSWER || message.id !== id) return;
        clearTimeout(timer);
        process.off('message', onMessage);
        if (message.text !== undefined) resolve(message.text);
        else reject(new Error(`metrics: ${message.error ?? 'no answer'}`));
      };
      const timer = setTimeout(() => {
        process.off('message', onMessage);
        reject(new Error('metrics: the primary did not answer in time'));
      }, timeoutMs);
      process.on('message', onMessage);
      process.send?.({ type: ASK, id } satisfies Ask);
    });
}

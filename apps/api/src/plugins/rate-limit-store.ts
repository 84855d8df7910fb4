// @fastify/rate-limit's store interface over our KvStore: the request limits count in the same
// Redis (or in-process map) through the same checked scripts as everything else, so a reply
// paired with the wrong command is caught there (and answered as a store failure, which the
// limits skip) instead of throwing inside the plugin's callback, and in-process windows follow
// the injected clock.
import type { KvStore } from '../store/kv-store.ts';

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;
/** What the plugin really passes to child(): its merged options, with the route under routeInfo. */
interface ChildOptions {
  routeInfo?: { method?: string; url?: string };
}

export function rateLimitStore(store: KvStore, nameSpace: string) {
  return class KvRateLimitStore {
    readonly prefix: string;
    constructor(prefix?: unknown) {
      // The plugin constructs its store with its own options object; children pass their prefix.
      this.prefix = typeof prefix === 'string' ? prefix : nameSpace;
    }
    incr(key: string, callback: Callback, timeWindow: number): void {
      store.hit(this.prefix + key, timeWindow).then(
        ({ current, ttlMs }) => callback(null, { current, ttl: ttlMs }),
        (error: Error) => callback(error),
      );
    }
    /** A route with a budget of its own counts apart; named budgets (no route) carry their name in the key. */
    child(options: object): KvRateLimitStore {
      const route = (options as ChildOptions).routeInfo;
      return new KvRateLimitStore(route?.method ? `${this.prefix}${route.method}${route.url}-` : this.prefix);
    }
  };
}

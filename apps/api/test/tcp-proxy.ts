// A loopback TCP proxy between the API and a real PostgreSQL or Redis, for one test app, that
// can fail the way networks and servers really do:
//   pass    forward bytes both ways
//   refuse  drop every connection and refuse new ones (a server that is down)
//   hold    keep connections open and forward nothing, either way (a stalled server or path:
//           what TCP does when a peer or a link stops answering)
//   drop    keep connections open and silently discard bytes (a broken proxy or middlebox)
//   slow    forward, but every chunk waits `delayMs` first
import net from 'node:net';

export type ProxyMode = 'pass' | 'refuse' | 'hold' | 'drop' | 'slow';

export async function startTcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  let mode: ProxyMode = 'pass';
  let delayMs = 0;
  /** Bytes held back while in 'hold', per direction, delivered when traffic resumes. */
  const held = new Map<net.Socket, Buffer[]>();

  /** Chunks delayed by 'slow' and not yet delivered, per destination: later ones queue behind. */
  const delayed = new Map<net.Socket, { due: number; pending: number }>();
  /** Delivers in order: TCP never reorders bytes, so neither may a chunk sent after a slow one. */
  function deliver(to: net.Socket, chunk: Buffer, waitMs: number) {
    const queue = delayed.get(to);
    const due = Math.max(Date.now() + waitMs, queue?.due ?? 0);
    if (!queue && waitMs === 0) {
      if (to.writable) to.write(chunk);
      return;
    }
    const next = { due, pending: (queue?.pending ?? 0) + 1 };
    delayed.set(to, next);
    setTimeout(() => {
      if (to.writable) to.write(chunk);
      const current = delayed.get(to);
      if (current && --current.pending === 0) delayed.delete(to);
    }, due - Date.now());
  }

  function relay(from: net.Socket, to: net.Socket) {
    from.on('data', (chunk: Buffer) => {
      if (mode === 'drop') return;
      if (mode === 'hold') {
        const queue = held.get(to) ?? [];
        queue.push(chunk);
        held.set(to, queue);
        return;
      }
      deliver(to, chunk, mode === 'slow' ? delayMs : 0);
    });
  }

  const listen = () =>
    new Promise<void>((resolve) => {
      const listening = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => {
            sockets.delete(s);
            held.delete(s);
          });
          s.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        relay(client, upstream);
        relay(upstream, client);
      });
      server = listening;
      listening.listen(port, '127.0.0.1', () => {
        port = (listening.address() as net.AddressInfo).port;
        resolve();
      });
    });

  async function cut() {
    const closing = new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    for (const s of sockets) s.destroy();
    await closing;
    server = null;
  }

  await listen();
  return {
    get port() {
      return port;
    },
    get mode() {
      return mode;
    },
    /** Bytes held back by 'hold' for connections still open. */
    get heldBytes() {
      let n = 0;
      for (const chunks of held.values()) for (const chunk of chunks) n += chunk.length;
      return n;
    },
    /** Changes how the proxy treats traffic; 'refuse' also drops every connection. */
    async setMode(next: ProxyMode, options: { delayMs?: number } = {}) {
      delayMs = options.delayMs ?? delayMs;
      if (next === 'refuse') {
        mode = next;
        await cut();
        return;
      }
      if (server === null) await listen();
      mode = next;
      if (next === 'pass' || next === 'slow') {
        // Whatever a stall held back now arrives late, as it would on a real network.
        for (const [to, chunks] of held) for (const chunk of chunks) deliver(to, chunk, 0);
        held.clear();
      }
    },
    /** Drops every connection and refuses new ones. */
    async cut() {
      mode = 'refuse';
      await cut();
    },
    /** Accepts connections again, on the same port, and forwards traffic. */
    restore: async () => {
      mode = 'pass';
      if (server === null) await listen();
    },
    async close() {
      if (server) await cut();
      for (const s of sockets) s.destroy();
    },
  };
}

// A TCP proxy a test can cut and restore, to take a real PostgreSQL or Redis "down" for one app.
import net from 'node:net';

export async function startTcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;

  const listen = () =>
    new Promise<void>((resolve) => {
      const listening = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      server = listening;
      listening.listen(port, '127.0.0.1', () => {
        port = (listening.address() as net.AddressInfo).port;
        resolve();
      });
    });

  await listen();
  return {
    get port() {
      return port;
    },
    /** Drops every connection and refuses new ones. */
    async cut() {
      const closing = new Promise((resolve) => server?.close(resolve));
      for (const s of sockets) s.destroy();
      await closing;
      server = null;
    },
    /** Accepts connections again, on the same port. */
    restore: listen,
    async close() {
      if (server) await this.cut();
    },
  };
}

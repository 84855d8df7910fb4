// Raw bytes to a listening app, for what Node's HTTP parser answers before Fastify sees a request.
import net from 'node:net';
import type { FastifyInstance } from 'fastify';

/** Sends `request` as it is to the app (listening on a free port if it is not yet) and returns the whole answer. */
export async function rawExchange(app: FastifyInstance, request: string): Promise<string> {
  const address = app.server.listening
    ? `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`
    : await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = new URL(address);
  return new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk;
    });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

/** The answer's body, parsed. */
export const bodyOf = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));

/** The answer's headers, lower-cased, from the raw bytes. */
export const headersOf = (raw: string): Record<string, string> =>
  Object.fromEntries(
    raw
      .slice(0, raw.indexOf('\r\n\r\n'))
      .split('\r\n')
      .slice(1)
      .map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );

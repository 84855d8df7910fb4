import net from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/free-port.ts';
import { MailNotSentError, MailRejectedError } from './mail.gateway.ts';
import { createSmtpGateway } from './smtp.gateway.ts';

const FROM = 'Register <no-reply@register.test>';
const message = {
  to: 'Alice@Example.com',
  subject: '验证你的邮箱',
  text: 'Open https://register.test/verify?token=abc123 to verify your address.',
  link: 'https://register.test/verify?token=abc123',
  token: 'abc123',
};
/** A liveness bound, not a measurement: far above every timeout used here, far below the test timeout. */
const BOUND_MS = 5000;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A real SMTP server on a free port; STARTTLS is off unless a test turns it on. */
async function startSmtp(options: SMTPServerOptions = {}): Promise<string> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 100,
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as net.AddressInfo;
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `smtp://127.0.0.1:${port}`;
}

/** A plain TCP server that speaks only as much SMTP as a test scripts. */
async function startTcp(onConnection: (socket: net.Socket) => void): Promise<string> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return `smtp://127.0.0.1:${port}`;
}

/** Just enough SMTP to take one message; `atEnd` decides what happens once its final "." arrives. */
function minimalSmtp(atEnd: (socket: net.Socket) => void) {
  return (socket: net.Socket) => {
    let buffer = '';
    let inData = false;
    socket.write('220 fake ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          if (!buffer.includes('\r\n.\r\n')) return;
          inData = false;
          buffer = '';
          return atEnd(socket);
        }
        const end = buffer.indexOf('\r\n');
        if (end < 0) return;
        const command = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        inData = /^DATA\b/i.test(command);
        socket.write(inData ? '354 go ahead\r\n' : '250 ok\r\n');
      }
    });
  };
}

/** The send's outcome and how long it took (checked only against BOUND_MS). */
async function attempt(url: string, timeoutMs: number) {
  const started = performance.now();
  const error = await createSmtpGateway({ url, from: FROM, timeoutMs })
    .send(message)
    .then(() => null)
    .catch((e: unknown) => e);
  return { error, ms: performance.now() - started };
}

const refusal = (responseCode: number, text: string) => Object.assign(new Error(text), { responseCode });

describe('SMTP mail gateway', () => {
  it('delivers From, To, Subject and text to the server', async () => {
    const received: { envelope: { from: string; to: string[] }; mail: ParsedMail }[] = [];
    const url = await startSmtp({
      onData(stream, session, callback) {
        simpleParser(stream).then((mail) => {
          const { mailFrom, rcptTo } = session.envelope;
          received.push({ envelope: { from: mailFrom ? mailFrom.address : '', to: rcptTo.map((r) => r.address) }, mail });
          callback();
        }, callback);
      },
    });
    const { error } = await attempt(url, 2000);
    expect(error).toBeNull();
    expect(received).toHaveLength(1);
    const [{ envelope, mail }] = received as [(typeof received)[number]];
    // nodemailer keeps the local part as written and lower-cases the domain (IDNA mapping).
    expect(envelope).toEqual({ from: 'no-reply@register.test', to: ['Alice@example.com'] });
    expect(mail.from?.value).toEqual([{ name: 'Register', address: 'no-reply@register.test' }]);
    expect(mail.to).toMatchObject({ value: [{ address: 'Alice@example.com' }] });
    expect(mail.subject).toBe(message.subject);
    expect(mail.text?.trim()).toBe(message.text);
  });

  it('sends to one address only, even when the string holds a list', async () => {
    const recipients: string[] = [];
    const url = await startSmtp({
      onRcptTo(address, _session, callback) {
        recipients.push(address.address);
        callback();
      },
      onData: (stream, _session, callback) => void stream.resume().on('end', () => callback()),
    });
    const error = await createSmtpGateway({ url, from: FROM, timeoutMs: 2000 })
      .send({ ...message, to: 'alice@example.com, mallory@evil.test' })
      .catch((e: unknown) => e);
    // One odd address ("alice@example.com, mallory"@evil.test), which this server refuses.
    expect(recipients).toEqual([]);
    expect(error).toBeInstanceOf(MailRejectedError);
  });

  it('reports a refused recipient with its SMTP code, without waiting for a timeout', async () => {
    let data = false;
    const url = await startSmtp({
      onRcptTo: (_address, _session, callback) => callback(refusal(550, 'No such user here')),
      onData(stream, _session, callback) {
        data = true;
        stream.resume().on('end', () => callback());
      },
    });
    const { error, ms } = await attempt(url, 10_000);
    expect(error).toBeInstanceOf(MailRejectedError);
    expect(error).toMatchObject({ responseCode: 550 });
    expect(ms).toBeLessThan(BOUND_MS);
    expect(data).toBe(false);
  });

  it('reports a refusal of the data itself as refused too: the server did not take it', async () => {
    const url = await startSmtp({
      onData(stream, _session, callback) {
        stream.resume().on('end', () => callback(refusal(554, 'Message looks like spam')));
      },
    });
    const { error } = await attempt(url, 2000);
    expect(error).toBeInstanceOf(MailRejectedError);
    expect(error).toMatchObject({ responseCode: 554 });
  });

  it('says "not sent" when nothing listens on the port', async () => {
    const { error } = await attempt(`smtp://127.0.0.1:${await freePort()}`, 2000);
    expect(error).toBeInstanceOf(MailNotSentError);
    expect(error).not.toBeInstanceOf(MailRejectedError);
    // nodemailer reports a refused connection as ESOCKET, keeping the system's code beside it.
    expect((error as Error).cause).toMatchObject({ code: 'ESOCKET', originalCode: 'ECONNREFUSED' });
  });

  it('gives up on a server that never greets, within about timeoutMs, and says "not sent"', async () => {
    const url = await startTcp(() => {});
    const { error, ms } = await attempt(url, 300);
    expect(error).toBeInstanceOf(MailNotSentError);
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it('says "not sent" when the server drops the connection before the message', async () => {
    const url = await startTcp((socket) => {
      socket.write('220 fake ESMTP\r\n');
      socket.once('data', () => socket.destroy()); // at EHLO
    });
    const { error } = await attempt(url, 2000);
    expect(error).toBeInstanceOf(MailNotSentError);
    expect((error as Error).cause).toMatchObject({ code: 'ECONNECTION' });
  });

  it('says "not sent" when STARTTLS is offered with a certificate it cannot trust', async () => {
    // smtp-server's built-in certificate is not one to trust: nodemailer upgrades, then refuses it.
    const url = await startSmtp({ disabledCommands: [] });
    const { error } = await attempt(url, 2000);
    expect(error).toBeInstanceOf(MailNotSentError);
    expect(error).not.toBeInstanceOf(MailRejectedError);
    // A certificate nodemailer refuses is an ESOCKET error, not ETLS (that is a failed upgrade).
    expect((error as Error).cause).toMatchObject({ code: 'ESOCKET' });
  });

  it('leaves it unknown when the server never answers the end of the data', async () => {
    let ended = false;
    const url = await startSmtp({
      // Reads the whole message, then never says 250 (or anything): it may have been queued.
      onData(stream) {
        stream.resume().on('end', () => {
          ended = true;
        });
      },
    });
    const { error, ms } = await attempt(url, 300);
    expect(ended).toBe(true);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(MailNotSentError);
    expect(String(error)).toMatch(/did not answer/);
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it('leaves it unknown when the connection is lost after the end of the data', async () => {
    const url = await startTcp(minimalSmtp((socket) => socket.destroy()));
    const { error } = await attempt(url, 2000);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(MailNotSentError);
  });

  it('delivers through the minimal server too (the fake above speaks enough SMTP)', async () => {
    const url = await startTcp(minimalSmtp((socket) => socket.write('250 queued\r\n')));
    expect((await attempt(url, 2000)).error).toBeNull();
  });
});

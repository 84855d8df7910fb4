// A local stand-in for Ronglian's (CCP) SMS REST API that checks what a real client must send:
// the signed URL, the Authorization header, the JSON headers and body. It can accept, refuse,
// answer garbage, or never answer, and take its time over any answer (setDelay).
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const CCP_ACCOUNT = { sid: 'ACCOUNTSID0123456789', token: 'AUTHTOKEN0123456789', appId: 'APPID0123456789' };

export interface CcpRequest {
  to: string;
  appId: string;
  templateId: string;
  datas: string[];
  timestamp: string;
}

export type CcpMode = 'ok' | 'refuse' | 'garbage' | 'hang' | 'gateway-timeout';

export async function startFakeCcp() {
  let mode: CcpMode = 'ok';
  let delayMs = 0;
  const delayed = new Set<NodeJS.Timeout>();
  const accepted: CcpRequest[] = [];
  /** Every well-formed request, whatever the mode: what may have reached a phone. */
  const received: CcpRequest[] = [];
  const problems: string[] = [];
  const hanging = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const auth = Buffer.from(req.headers.authorization ?? '', 'base64').toString();
      const [sid, timestamp = ''] = auth.split(':');
      const expectedSig = createHash('md5')
        .update(CCP_ACCOUNT.sid + CCP_ACCOUNT.token + timestamp)
        .digest('hex')
        .toUpperCase();
      const wrong: string[] = [];
      if (req.method !== 'POST') wrong.push(`method ${req.method}`);
      if (url.pathname !== `/2013-12-26/Accounts/${CCP_ACCOUNT.sid}/SMS/TemplateSMS`) wrong.push(`path ${url.pathname}`);
      if (sid !== CCP_ACCOUNT.sid) wrong.push('authorization account');
      if (!/^\d{14}$/.test(timestamp)) wrong.push(`timestamp ${timestamp}`);
      if (url.searchParams.get('sig') !== expectedSig) wrong.push('sig');
      if (req.headers.accept !== 'application/json') wrong.push('accept');
      if (req.headers['content-type'] !== 'application/json;charset=utf-8') wrong.push('content-type');
      let body: Partial<CcpRequest> = {};
      try {
        body = JSON.parse(raw);
      } catch {
        wrong.push('body is not JSON');
      }
      if (body.appId !== CCP_ACCOUNT.appId) wrong.push('appId');
      // A code's template takes [code, minutes]; a notice's template its one text.
      const datas: unknown = body.datas;
      if (!Array.isArray(datas) || datas.length < 1 || datas.length > 2 || !datas.every((d) => typeof d === 'string')) {
        wrong.push('datas');
      }
      if (wrong.length) {
        problems.push(...wrong);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ statusCode: '111137', statusMsg: `bad request: ${wrong.join(', ')}` }));
        return;
      }
      received.push({ ...(body as CcpRequest), timestamp });
      if (delayMs > 0 && mode !== 'hang') {
        const timer = setTimeout(() => {
          delayed.delete(timer);
          answer(res, body as CcpRequest, timestamp);
        }, delayMs);
        delayed.add(timer);
        return;
      }
      answer(res, body as CcpRequest, timestamp);
    });
  });
  /** Answers as the mode says (mode 'hang': never). */
  function answer(res: http.ServerResponse, body: CcpRequest, timestamp: string) {
    if (mode === 'hang') {
      hanging.add(res);
      return;
    }
    if (mode === 'gateway-timeout') {
      // What a proxy in front of the provider answers: JSON, but not the provider's.
      res.writeHead(504, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'upstream request timeout' }));
      return;
    }
    if (mode === 'garbage') {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad Gateway</html>');
      return;
    }
    if (mode === 'refuse') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ statusCode: '160040', statusMsg: 'daily limit of this number reached' }));
      return;
    }
    accepted.push({ ...body, timestamp });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ statusCode: '000000', templateSMS: { smsMessageSid: 'sid', dateCreated: timestamp } }));
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    accepted,
    received,
    problems,
    /** Requests the fake is holding without an answer (mode 'hang'). */
    get hangingCount() {
      return hanging.size;
    },
    setMode(next: CcpMode) {
      mode = next;
    },
    /** Every answer (but a hang) comes this much later: a slow provider. */
    setDelay(ms: number) {
      delayMs = ms;
    },
    async close() {
      for (const timer of delayed) clearTimeout(timer);
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The CCP client settings that point at a fake provider. */
export function fakeCcpConfig(baseUrl: string, timeoutMs = 300) {
  return {
    baseUrl,
    accountSid: CCP_ACCOUNT.sid,
    authToken: CCP_ACCOUNT.token,
    appId: CCP_ACCOUNT.appId,
    templateId: '1',
    timeoutMs,
  };
}

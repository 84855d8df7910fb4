// A software WebAuthn authenticator for the API tests: what a browser and a platform
// authenticator hand the SPA (credential.toJSON()), built from the specification by hand, so
// that @simplewebauthn/server verifies real responses without a browser. One P-256 key per
// credential (node:crypto), clientDataJSON, authenticator data (the RP ID's hash, the flags, the
// signature counter, the attested credential data with a COSE key), a "none" attestation in CBOR
// (a tiny encoder for these fixed shapes), and assertions signed with ECDSA (DER), as
// authenticators sign them. Every part can be made wrong on purpose (origin, RP ID, challenge,
// counter, user handle) to test that the API refuses it.
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';

// ---- a tiny CBOR encoder (RFC 8949): unsigned and negative integers, byte and text strings, maps ----
type Cbor = number | string | Uint8Array | Map<Cbor, Cbor>;
function head(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length]);
  if (length < 0x10000) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(length, 1);
  return b;
}
export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  const parts = [head(5, value.size)];
  for (const [k, v] of value) parts.push(cbor(k), cbor(v));
  return Buffer.concat(parts);
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();
const b64url = (data: Uint8Array) => Buffer.from(data).toString('base64url');
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;

export interface CreationOptions {
  challenge: string;
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
}
export interface RequestOptions {
  challenge: string;
  rpId?: string;
}

/** What a test may make wrong in one ceremony. */
export interface Tamper {
  origin?: string;
  rpId?: string;
  challenge?: string;
  type?: string;
  /** The signature counter to report (assertions); default: the next one, or 0 when it does not count. */
  counter?: number;
  /** The user handle to report (assertions), base64url; null: none. Default: the one stored at creation. */
  userHandle?: string | null;
  /** Flip a byte of the signature. */
  badSignature?: boolean;
}

/** One discoverable credential (a passkey) of a software authenticator. */
export class SoftPasskey {
  readonly id: Buffer;
  readonly userHandle: string;
  private readonly key: KeyObject;
  private readonly cose: Buffer;
  private readonly spki: Buffer;
  private counter: number;
  private readonly options: { origin: string; rpId: string; counts: boolean; backedUp: boolean };

  constructor(options: { origin: string; rpId: string; userHandle: string; counts?: boolean; backedUp?: boolean }) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    this.key = privateKey;
    this.id = randomBytes(16);
    this.userHandle = options.userHandle;
    this.counter = 0;
    this.options = {
      origin: options.origin,
      rpId: options.rpId,
      counts: options.counts ?? true,
      backedUp: options.backedUp ?? false,
    };
    // COSE_Key (RFC 9053): kty EC2, alg ES256, crv P-256, x, y.
    this.cose = cbor(
      new Map<Cbor, Cbor>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x as string, 'base64url')],
        [-3, Buffer.from(jwk.y as string, 'base64url')],
      ]),
    );
    this.spki = publicKey.export({ format: 'der', type: 'spki' });
  }

  get credentialId(): string {
    return b64url(this.id);
  }

  private flags(extra = 0): number {
    const backup = this.options.backedUp ? FLAG.BE | FLAG.BS : 0;
    return FLAG.UP | FLAG.UV | backup | extra;
  }

  private clientData(type: string, challenge: string, tamper: Tamper): Buffer {
    return Buffer.from(
      JSON.stringify({
        type: tamper.type ?? type,
        challenge: tamper.challenge ?? challenge,
        origin: tamper.origin ?? this.options.origin,
        crossOrigin: false,
      }),
    );
  }

  /** navigator.credentials.create()'s credential, as credential.toJSON() gives it. */
  attestation(options: CreationOptions, tamper: Tamper = {}) {
    const rpId = tamper.rpId ?? options.rp.id ?? this.options.rpId;
    const clientDataJSON = this.clientData('webauthn.create', options.challenge, tamper);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.id.length);
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([this.flags(FLAG.AT)]),
      u32(this.counter),
      Buffer.alloc(16), // AAGUID: none
      idLength,
      this.id,
      this.cose,
    ]);
    const attestationObject = cbor(
      new Map<Cbor, Cbor>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        authenticatorData: b64url(authData),
        transports: ['internal', 'hybrid'],
        publicKeyAlgorithm: -7,
        publicKey: b64url(this.spki),
      },
      clientExtensionResults: { credProps: { rk: true } },
      authenticatorAttachment: 'platform' as const,
    };
  }

  /** navigator.credentials.get()'s assertion, as credential.toJSON() gives it. */
  assertion(options: RequestOptions, tamper: Tamper = {}) {
    const rpId = tamper.rpId ?? options.rpId ?? this.options.rpId;
    if (tamper.counter !== undefined) this.counter = tamper.counter;
    else if (this.options.counts) this.counter += 1;
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, tamper);
    const authData = Buffer.concat([sha256(rpId), Buffer.from([this.flags()]), u32(this.counter)]);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.key);
    if (tamper.badSignature) signature.writeUInt8(signature.readUInt8(signature.length - 1) ^ 0xff, signature.length - 1);
    const userHandle = tamper.userHandle === undefined ? this.userHandle : tamper.userHandle;
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(userHandle === null ? {} : { userHandle }),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform' as const,
    };
  }
}

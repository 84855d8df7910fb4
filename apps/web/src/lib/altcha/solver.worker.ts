// One solver thread: altcha-lib's worker protocol (solveChallengeWorkers posts `work` and
// `abort`), with the WebCrypto key derivations, so the page stays responsive while it counts.
import { handler } from 'altcha-lib/workers/shared';
import { deriveKey } from './derive-key';

handler({ deriveKey });

// remoteRef.decodingStrategy (None | Base64 | Base64URL | Auto) as ESO applies it to every fetched
// value (after property extraction). ESO's behaviour, so it lives with the fetch that uses it.
// No message built here ever contains value bytes.

import { InvalidRefError } from '../../providers/core/errors';

export type DecodingStrategy = 'None' | 'Base64' | 'Base64URL' | 'Auto';

const STD = /^[A-Za-z0-9+/]*$/;
const URL_SAFE = /^[A-Za-z0-9_-]*$/;

/**
 * Go's base64.StdEncoding / URLEncoding DecodeString: padded, CR and LF ignored, anything else
 * outside the alphabet rejected (Node's Buffer decoder accepts nearly anything, so validate first).
 */
function strictBase64(bytes: Uint8Array, url: boolean): Uint8Array | undefined {
  let s = Buffer.from(bytes)
    .toString('latin1')
    .replace(/[\r\n]/g, '');
  if (s.length % 4 !== 0) return undefined;
  let pad = 0;
  while (pad < 3 && s.endsWith('=')) {
    s = s.slice(0, -1);
    pad++;
  }
  if (pad > 2 || !(url ? URL_SAFE : STD).test(s)) return undefined;
  return new Uint8Array(Buffer.from(s, url ? 'base64url' : 'base64'));
}

/**
 * remoteRef.decodingStrategy, as ESO applies it: None keeps the bytes; Base64 / Base64URL decode
 * (padded) or fail; Auto tries Base64, then Base64URL, else keeps the bytes.
 * @param key the remote key, named in error messages.
 */
export function decode(
  bytes: Uint8Array,
  strategy: DecodingStrategy | undefined,
  key = 'the remote secret',
): Uint8Array {
  switch (strategy ?? 'None') {
    case 'None':
      return bytes;
    case 'Base64':
    case 'Base64URL': {
      const out = strictBase64(bytes, strategy === 'Base64URL');
      if (!out) {
        const alphabet = strategy === 'Base64' ? 'standard (+/)' : 'URL-safe (-_)';
        throw new InvalidRefError(
          `value of ${key} is not valid padded ${alphabet} base64, as decodingStrategy ${strategy} requires ` +
            '(use Auto to accept either alphabet and raw values, or None)',
        );
      }
      return out;
    }
    case 'Auto':
      return strictBase64(bytes, false) ?? strictBase64(bytes, true) ?? bytes;
    default:
      throw new InvalidRefError(
        `decodingStrategy "${String(strategy)}" is not supported; use None, Base64, Base64URL or Auto`,
      );
  }
}

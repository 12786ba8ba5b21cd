// remoteRef.decodingStrategy (None | Base64 | Base64URL | Auto) as ESO applies it to every fetched
// value (after property extraction). ESO's behaviour, so it lives with the fetch that uses it.
// No message built here ever contains value bytes.

import { decodeBase64 } from '../../gocompat/base64';
import { InvalidRefError } from '../../providers/core/errors';

export type DecodingStrategy = 'None' | 'Base64' | 'Base64URL' | 'Auto';

/** Go's base64 DecodeString as ESO calls it; undefined where Go returns an error. */
function base64(bytes: Uint8Array, encoding: 'std' | 'url'): Uint8Array | undefined {
  const out = decodeBase64(bytes, encoding);
  return typeof out === 'number' ? undefined : out;
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
      const out = base64(bytes, strategy === 'Base64' ? 'std' : 'url');
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
      return base64(bytes, 'std') ?? base64(bytes, 'url') ?? bytes;
    default:
      throw new InvalidRefError(
        `decodingStrategy "${String(strategy)}" is not supported; use None, Base64, Base64URL or Auto`,
      );
  }
}

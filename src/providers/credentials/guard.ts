// Wraps a provider client so that each call first makes sure the store's credential is at hand.
// The SDKs call the credential themselves, but they wrap what it throws (gax reports an auth
// client's failure as UNAVAILABLE, for one), which would lose the message that says what to fix;
// asking first surfaces the identity's own typed error. The credential is cached, so this costs a
// map lookup per call. Closing needs no credential.
import { decorate } from '../core/decorate';
import type { SecretsClient } from '../core/types';

export function guarded(client: SecretsClient, ensure: () => Promise<unknown>): SecretsClient {
  return decorate(client, async (op, call) => {
    if (op !== 'close') await ensure();
    return call();
  });
}

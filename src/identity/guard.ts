// Wraps a provider client so that each call first makes sure the store's credential is at hand.
// The SDKs call the credential themselves, but they wrap what it throws (gax reports an auth
// client's failure as UNAVAILABLE, for one), which would lose the message that says what to fix;
// asking first surfaces the identity's own typed error. The credential is cached, so this costs a
// map lookup per call.

import type { SecretsClient } from '../providers/types';

export function guarded(client: SecretsClient, ensure: () => Promise<unknown>): SecretsClient {
  const out: SecretsClient = {
    getSecret: async (ref) => {
      await ensure();
      return client.getSecret(ref);
    },
    findSecrets: async (query) => {
      await ensure();
      return client.findSecrets(query);
    },
    close: () => client.close(),
  };
  const { getSecrets, currentVersion, validate } = client;
  if (validate) {
    out.validate = async () => {
      await ensure();
      return validate.call(client);
    };
  }
  if (getSecrets) {
    out.getSecrets = async (refs) => {
      await ensure();
      return getSecrets.call(client, refs);
    };
  }
  if (currentVersion) {
    out.currentVersion = async (ref) => {
      await ensure();
      return currentVersion.call(client, ref);
    };
  }
  return out;
}

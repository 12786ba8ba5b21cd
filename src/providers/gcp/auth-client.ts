// The google-auth AuthClient the Secret Manager SDK is given for a store with its own identity
// (GcpClientOptions.authClient). It holds no credential itself: every request asks the token
// source, which serves the shared cache (refreshed 5 minutes before expiry), so all clients of one
// store and generation share one token. Both SDK transports use it: gRPC calls getRequestHeaders,
// the REST fallback calls fetch → request. google-auth is loaded on first use, as the SDK is.

import type { AuthClient, gaxios } from 'google-auth-library';
import type { AccessToken } from './federation';

type GoogleAuthLib = typeof import('google-auth-library');
type GaxiosOptions = gaxios.GaxiosOptions;
type GaxiosPromise<T> = gaxios.GaxiosPromise<T>;

export type TokenSource = () => Promise<AccessToken>;

let clientClass: (new (source: TokenSource) => AuthClient) | undefined;

function define(): new (source: TokenSource) => AuthClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded with the GCP SDK, not before
  const lib = require('google-auth-library') as GoogleAuthLib;
  class StoreTokenClient extends lib.AuthClient {
    constructor(private readonly source: TokenSource) {
      super();
    }

    override async getAccessToken(): Promise<{ token: string }> {
      return { token: (await this.source()).token };
    }

    override async getRequestHeaders(): Promise<Headers> {
      const { token } = await this.source();
      return new Headers({ authorization: `Bearer ${token}` });
    }

    override async request<T>(opts: GaxiosOptions): GaxiosPromise<T> {
      const headers = lib.gaxios.Gaxios.mergeHeaders(opts.headers);
      this.addUserProjectAndAuthHeaders(headers, await this.getRequestHeaders());
      return this.transporter.request<T>({ ...opts, headers });
    }
  }
  return StoreTokenClient;
}

/** An AuthClient whose bearer token comes from `source`. */
export function tokenAuthClient(source: TokenSource): AuthClient {
  clientClass ??= define();
  return new clientClass(source);
}

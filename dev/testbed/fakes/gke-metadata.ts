// The GKE metadata server as a node runs it for Workload Identity: it listens where the node's pods
// reach it, identifies the calling pod by its address, and answers token requests for the Google
// service account in the pod's ServiceAccount annotation (iam.gke.io/gcp-service-account) by doing
// what GKE's does — a token for that ServiceAccount bound to the pod, with the pool's audience
// (TokenRequest with a boundObjectRef, as the kubelet does for projected volumes), exchanged at STS
// and turned into the Google service account's token by IAM Credentials. STS and IAM Credentials are
// the testbed's fakes, so the pool, the token's binding and the workloadIdentityUser binding are
// checked where Google checks them. Unlike metadataServer in gcp-identity.ts (one fixed identity,
// for the test process), this one answers only pods, each as itself.
import type { IncomingMessage } from 'node:http';
import { FakeServer, json, type Reply } from './http';
import { TESTBED_PROJECT, TESTBED_PROJECT_NUMBER } from './gcp-identity';

/** The cluster the pool's identity provider names (any stable value: the STS fake reads the pool). */
const CLUSTER_PROVIDER = `https://container.googleapis.com/v1/projects/${TESTBED_PROJECT}/locations/europe-west1/clusters/testbed`;

export interface GkeMetadataDeps {
  /** The pod at this address: its namespace, name, uid and ServiceAccount. */
  podByIp(
    ip: string,
  ): Promise<{ namespace: string; name: string; uid: string; serviceAccount: string } | undefined>;
  /** The ServiceAccount's annotations. */
  annotations(namespace: string, name: string): Promise<Record<string, string>>;
  /** A token for the ServiceAccount bound to the pod, for these audiences. */
  podToken(
    pod: { namespace: string; name: string; uid: string; serviceAccount: string },
    audience: string,
  ): Promise<string>;
  stsUrl: string;
  iamCredentialsUrl: string;
}

const flavor = { 'metadata-flavor': 'Google' };

export function gkeMetadataServer(deps: GkeMetadataDeps): FakeServer {
  const pool = `${TESTBED_PROJECT}.svc.id.goog`;
  const callerPod = async (req: IncomingMessage) => {
    const ip = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    return deps.podByIp(ip);
  };
  const gsaOf = async (pod: { namespace: string; serviceAccount: string }) =>
    (await deps.annotations(pod.namespace, pod.serviceAccount))['iam.gke.io/gcp-service-account'];

  return new FakeServer('gke-metadata', async (req, _body, url): Promise<Reply> => {
    if (url.pathname === '/' || url.pathname === '/computeMetadata/v1/') {
      return { status: 200, body: 'computeMetadata/\n', headers: flavor };
    }
    if (req.headers['metadata-flavor'] !== 'Google')
      return { status: 403, body: 'Missing Metadata-Flavor header' };
    const p = url.pathname.replace(/\/+$/, '');
    if (p === '/computeMetadata/v1/instance')
      return { status: 200, body: 'service-accounts/\n', headers: flavor };
    if (p === '/computeMetadata/v1/project/project-id')
      return { status: 200, body: TESTBED_PROJECT, headers: flavor };
    if (p === '/computeMetadata/v1/project/numeric-project-id') {
      return { status: 200, body: TESTBED_PROJECT_NUMBER, headers: flavor };
    }
    if (!p.startsWith('/computeMetadata/v1/instance/service-accounts/default')) {
      return { status: 404, body: 'not found', headers: flavor };
    }
    const pod = await callerPod(req);
    if (!pod)
      return {
        status: 404,
        body: 'no pod at this address',
        headers: flavor,
        detail: { error: 'unknown caller' },
      };
    const gsa = await gsaOf(pod);
    const who = { pod: `${pod.namespace}/${pod.name}`, ksa: `${pod.namespace}/${pod.serviceAccount}` };
    if (!gsa) {
      // GKE answers with the pool's federated identity then; nothing here needs that case.
      return {
        status: 404,
        body: 'the ServiceAccount has no iam.gke.io/gcp-service-account',
        headers: flavor,
        detail: who,
      };
    }
    if (p === '/computeMetadata/v1/instance/service-accounts/default/email') {
      return { status: 200, body: gsa, headers: flavor, detail: who };
    }
    if (p === '/computeMetadata/v1/instance/service-accounts/default') {
      return {
        status: 200,
        headers: flavor,
        body: JSON.stringify({ email: gsa, scopes: ['https://www.googleapis.com/auth/cloud-platform'] }),
      };
    }
    if (p !== '/computeMetadata/v1/instance/service-accounts/default/token') {
      return { status: 404, body: 'not found', headers: flavor };
    }
    const subjectToken = await deps.podToken(pod, pool);
    const sts = await fetch(`${deps.stsUrl}/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        audience: `identitynamespace:${pool}:${CLUSTER_PROVIDER}`,
        scope: 'https://www.googleapis.com/auth/cloud-platform',
        requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        subject_token: subjectToken,
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      }).toString(),
    });
    if (sts.status !== 200) return json(500, { error: `STS: HTTP ${sts.status}` }, { ...who, error: 'sts' });
    const federated = ((await sts.json()) as { access_token: string }).access_token;
    const iam = await fetch(
      `${deps.iamCredentialsUrl}/v1/projects/-/serviceAccounts/${encodeURIComponent(gsa)}:generateAccessToken`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${federated}`, 'content-type': 'application/json' },
        body: JSON.stringify({ scope: ['https://www.googleapis.com/auth/cloud-platform'] }),
      },
    );
    if (iam.status !== 200) {
      return json(403, { error: `IAM Credentials: HTTP ${iam.status}` }, { ...who, error: 'iamcredentials' });
    }
    const { accessToken, expireTime } = (await iam.json()) as { accessToken: string; expireTime: string };
    return {
      status: 200,
      headers: { ...flavor, 'content-type': 'application/json' },
      body: JSON.stringify({
        access_token: accessToken,
        expires_in: Math.max(1, Math.floor((Date.parse(expireTime) - Date.now()) / 1000)),
        token_type: 'Bearer',
      }),
      detail: { ...who, gsa },
    };
  });
}

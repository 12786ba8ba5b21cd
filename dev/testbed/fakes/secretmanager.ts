// A Secret Manager v1 emulator speaking the REST (HTTP/JSON) surface that
// @google-cloud/secret-manager uses in `fallback` mode. It exists because the Go emulator named in
// TESTBED.md is not served by this machine's Go module proxy. It is as strict as the real service:
// every call needs a bearer token issued by the testbed's identity fakes, and every method checks
// its IAM permission (./secretmanager-iam) before it looks at the resource, so a caller without the
// permission gets 403 whether or not the secret exists. Like the Go emulator, it ignores
// ListSecrets `filter` and sends no notifications.
import type { IncomingMessage } from 'node:http';
import { FakeServer, bearer, json, type Reply } from './http';
import type { GcpTokens } from './gcp-identity';
import { SecretManagerIam, denied, type Permission } from './secretmanager-iam';

type State = 'ENABLED' | 'DISABLED' | 'DESTROYED';
interface Version {
  n: number;
  data: Buffer;
  state: State;
  createTime: string;
}
interface StoredSecret {
  name: string;
  createTime: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  versions: Version[];
  etag: number;
}

const SECRET = /^\/v1\/(projects\/[^/]+(?:\/locations\/[^/]+)?\/secrets\/[^/:]+)$/;
const SECRETS = /^\/v1\/(projects\/[^/]+(?:\/locations\/[^/]+)?)\/secrets$/;
const VERSION =
  /^\/v1\/(projects\/[^/]+(?:\/locations\/[^/]+)?\/secrets\/[^/]+)\/versions\/([^/:]+)(?::(access|enable|disable|destroy))?$/;
const VERSIONS = /^\/v1\/(projects\/[^/]+(?:\/locations\/[^/]+)?\/secrets\/[^/]+)\/versions$/;
const ADD_VERSION = /^\/v1\/(projects\/[^/]+(?:\/locations\/[^/]+)?\/secrets\/[^/]+):addVersion$/;

function err(code: number, status: string, message: string): Reply {
  return json(code, { error: { code, message, status } }, { error: status });
}

function crc32c(buf: Buffer): string {
  let crc = 0xffffffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return String((crc ^ 0xffffffff) >>> 0);
}

export class SecretManagerEmulator {
  readonly server: FakeServer;
  private secrets = new Map<string, StoredSecret>();
  readonly iam = new SecretManagerIam();
  /**
   * Bearer token of the testbed's admin (roles/secretmanager.admin on every project), for the
   * test side's setup calls; the controller's identities get only what a test grants them.
   */
  readonly adminToken: string;
  /** Projects whose calls are answered 429 RESOURCE_EXHAUSTED (`/_testbed/throttle`). */
  private throttledProjects = new Set<string>();
  /** Calls by method and by `<project>:<method>`, for counting provider traffic server-side. */
  readonly calls = new Map<string, number>();
  /** Called on every counted call (the benchmark timestamps them); unset by default. */
  onCall?: (method: string, project: string) => void;

  constructor(private readonly tokens: GcpTokens) {
    this.adminToken = tokens.issue(SecretManagerIam.ADMIN, 365 * 24 * 3600).token;
    this.server = new FakeServer('secretmanager', (req, body, url) => this.handle(req, body, url));
  }

  private count(method: string, path: string): void {
    // Counted per method and per project, so that tests sharing the emulator count only their own.
    const project = /^\/v1\/projects\/([^/]+)/.exec(path)?.[1] ?? '';
    for (const k of [method, `${project}:${method}`]) this.calls.set(k, (this.calls.get(k) ?? 0) + 1);
    this.onCall?.(method, project);
  }

  private secretJson(s: StoredSecret) {
    return {
      name: s.name,
      createTime: s.createTime,
      labels: s.labels,
      annotations: s.annotations,
      replication: { automatic: {} },
      etag: `"${s.etag}"`,
    };
  }

  private versionJson(s: StoredSecret, v: Version) {
    return {
      name: `${s.name}/versions/${v.n}`,
      createTime: v.createTime,
      state: v.state,
      etag: `"${s.etag}"`,
    };
  }

  private resolveVersion(s: StoredSecret, id: string): Version | undefined {
    if (id === 'latest') return [...s.versions].reverse().find((v) => v.state === 'ENABLED');
    return s.versions.find((v) => String(v.n) === id);
  }

  /** A 403 as Secret Manager words it, unless `member` holds `permission` on `resource`. */
  private deny(
    member: string,
    permission: Permission,
    resource: string,
    shown = resource,
  ): Reply | undefined {
    return this.iam.allows(member, permission, resource)
      ? undefined
      : err(403, 'PERMISSION_DENIED', denied(permission, shown));
  }

  private admin(body: Buffer, url: URL): Reply {
    const b = body.length ? (JSON.parse(body.toString()) as Record<string, string>) : {};
    if (url.pathname === '/_testbed/grant' || url.pathname === '/_testbed/revoke') {
      // {resource: projects/p or projects/p/secrets/s, member, role: roles/secretmanager.*}
      const problem = this.iam.check(b.resource, b.member, b.role);
      if (problem) return err(400, 'INVALID_ARGUMENT', problem);
      if (url.pathname === '/_testbed/grant') this.iam.grant(b.resource!, b.member!, b.role!);
      else this.iam.revoke(b.resource!, b.member!, b.role!);
    } else if (url.pathname === '/_testbed/throttle') {
      // {project, on}: while on, every call for the project is counted as `<project>:Throttled`
      // and answered as Secret Manager answers an exhausted quota.
      if (String(b.on) === 'true') this.throttledProjects.add(b.project!);
      else this.throttledProjects.delete(b.project!);
    } else if (url.pathname === '/_testbed/wipe') {
      this.throttledProjects.clear();
      this.secrets.clear();
      this.iam.clear();
      this.calls.clear();
    } else if (url.pathname === '/_testbed/calls') return json(200, Object.fromEntries(this.calls));
    else return err(404, 'NOT_FOUND', 'unknown admin path');
    return json(200, {});
  }

  private handle(req: IncomingMessage, body: Buffer, url: URL): Reply {
    if (url.pathname.startsWith('/_testbed/')) return this.admin(body, url);
    const member = this.tokens.principal(bearer(req));
    if (!member) {
      return err(
        401,
        'UNAUTHENTICATED',
        'Request is missing required authentication credential or it is not valid.',
      );
    }
    const path = decodeURIComponent(url.pathname);
    const method = req.method ?? 'GET';
    const project = /^\/v1\/projects\/([^/]+)/.exec(path)?.[1];
    if (project !== undefined && this.throttledProjects.has(project)) {
      this.count('Throttled', path);
      return err(
        429,
        'RESOURCE_EXHAUSTED',
        `Quota exceeded for quota metric 'Access requests' of service 'secretmanager.googleapis.com' for consumer 'project_number:${project}'.`,
      );
    }
    const input = body.length ? (JSON.parse(body.toString()) as Record<string, unknown>) : {};
    let m: RegExpExecArray | null;

    if ((m = SECRETS.exec(path)) && method === 'POST') {
      this.count('CreateSecret', path);
      const no = this.deny(member, 'secrets.create', m[1]!);
      if (no) return no;
      const secretId = url.searchParams.get('secretId') ?? '';
      if (!/^[A-Za-z0-9_-]{1,255}$/.test(secretId)) return err(400, 'INVALID_ARGUMENT', 'invalid secret_id');
      const name = `${m[1]}/secrets/${secretId}`;
      if (this.secrets.has(name)) return err(409, 'ALREADY_EXISTS', `Secret [${name}] already exists.`);
      const spec = input as { labels?: Record<string, string>; annotations?: Record<string, string> };
      const s: StoredSecret = {
        name,
        createTime: new Date().toISOString(),
        labels: spec.labels ?? {},
        annotations: spec.annotations ?? {},
        versions: [],
        etag: 1,
      };
      this.secrets.set(name, s);
      return json(200, this.secretJson(s));
    }
    if ((m = SECRETS.exec(path)) && method === 'GET') {
      this.count('ListSecrets', path);
      const no = this.deny(member, 'secrets.list', m[1]!);
      if (no) return no;
      const all = [...this.secrets.values()].filter((s) => s.name.startsWith(`${m![1]}/secrets/`));
      const size = Math.min(Number(url.searchParams.get('pageSize') ?? 25000) || 25000, 25000);
      const start = Number(url.searchParams.get('pageToken') ?? 0) || 0;
      const page = all.slice(start, start + size);
      const next = start + size < all.length ? String(start + size) : undefined;
      return json(200, {
        secrets: page.map((s) => this.secretJson(s)),
        nextPageToken: next,
        totalSize: all.length,
      });
    }
    if ((m = ADD_VERSION.exec(path)) && method === 'POST') {
      this.count('AddSecretVersion', path);
      const no = this.deny(member, 'versions.add', m[1]!);
      if (no) return no;
      const s = this.secrets.get(m[1]!);
      if (!s) return err(404, 'NOT_FOUND', `Secret [${m[1]}] not found.`);
      const payload = (input.payload ?? {}) as { data?: string };
      const v: Version = {
        n: s.versions.length + 1,
        data: Buffer.from(payload.data ?? '', 'base64'),
        state: 'ENABLED',
        createTime: new Date().toISOString(),
      };
      s.versions.push(v);
      s.etag++;
      return json(200, this.versionJson(s, v));
    }
    if ((m = VERSIONS.exec(path)) && method === 'GET') {
      this.count('ListSecretVersions', path);
      const no = this.deny(member, 'versions.list', m[1]!);
      if (no) return no;
      const s = this.secrets.get(m[1]!);
      if (!s) return err(404, 'NOT_FOUND', `Secret [${m[1]}] not found.`);
      const versions = [...s.versions].reverse().map((v) => this.versionJson(s, v));
      return json(200, { versions, totalSize: versions.length });
    }
    if ((m = VERSION.exec(path))) {
      const [, secretName, id, verb] = m as unknown as [string, string, string, string | undefined];
      const op =
        verb === 'access'
          ? 'AccessSecretVersion'
          : verb
            ? `${verb[0]!.toUpperCase()}${verb.slice(1)}SecretVersion`
            : 'GetSecretVersion';
      this.count(op, path);
      // The regexp admits only these verbs, each one a permission of the same name.
      const permission = (verb ? `versions.${verb}` : 'versions.get') as Permission;
      const no = this.deny(member, permission, secretName, `${secretName}/versions/${id}`);
      if (no) return no;
      const s = this.secrets.get(secretName);
      const v = s && this.resolveVersion(s, id);
      if (!s || !v) return err(404, 'NOT_FOUND', `Secret Version [${secretName}/versions/${id}] not found.`);
      if (verb === 'access') {
        if (v.state !== 'ENABLED') {
          return err(
            400,
            'FAILED_PRECONDITION',
            `Secret Version [${secretName}/versions/${v.n}] is in ${v.state} state.`,
          );
        }
        return json(
          200,
          {
            name: `${secretName}/versions/${v.n}`,
            payload: { data: v.data.toString('base64'), dataCrc32c: crc32c(v.data) },
          },
          { version: v.n },
        );
      }
      if (verb && method === 'POST') {
        if (v.state === 'DESTROYED') return err(400, 'FAILED_PRECONDITION', 'version is destroyed');
        v.state = verb === 'enable' ? 'ENABLED' : verb === 'disable' ? 'DISABLED' : 'DESTROYED';
        if (v.state === 'DESTROYED') v.data = Buffer.alloc(0);
        s.etag++;
      }
      return json(200, this.versionJson(s, v));
    }
    if ((m = SECRET.exec(path))) {
      const s = this.secrets.get(m[1]!);
      if (method === 'DELETE') {
        this.count('DeleteSecret', path);
        const no = this.deny(member, 'secrets.delete', m[1]!);
        if (no) return no;
        if (!s) return err(404, 'NOT_FOUND', `Secret [${m[1]}] not found.`);
        this.secrets.delete(m[1]!);
        this.iam.forget(m[1]!); // a secret's own policy goes with it
        return json(200, {});
      }
      this.count('GetSecret', path);
      const no = this.deny(member, 'secrets.get', m[1]!);
      if (no) return no;
      if (!s) return err(404, 'NOT_FOUND', `Secret [${m[1]}] not found.`);
      return json(200, this.secretJson(s));
    }
    return err(404, 'NOT_FOUND', `unknown path ${path}`);
  }
}

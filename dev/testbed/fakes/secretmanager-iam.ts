// IAM for the Secret Manager emulator: the real predefined roles as bundles of permissions, granted
// on a project (applies to every secret in it, regional ones included) or on one secret. Nothing is
// allowed unless granted, as in a real project; the testbed's admin principal alone holds
// roles/secretmanager.admin everywhere (like an organization-level binding), for the test side's
// setup calls.

/** Secret Manager permissions, without the `secretmanager.` prefix. */
export type Permission =
  | 'secrets.create'
  | 'secrets.delete'
  | 'secrets.get'
  | 'secrets.list'
  | 'versions.access'
  | 'versions.add'
  | 'versions.destroy'
  | 'versions.disable'
  | 'versions.enable'
  | 'versions.get'
  | 'versions.list';

const VIEW: Permission[] = ['secrets.get', 'secrets.list', 'versions.get', 'versions.list'];
const MANAGE: Permission[] = ['versions.add', 'versions.enable', 'versions.disable', 'versions.destroy'];

/** The predefined roles (the Secret Manager permissions each one carries). */
export const ROLES: Readonly<Record<string, readonly Permission[]>> = {
  'roles/secretmanager.secretAccessor': ['versions.access'],
  'roles/secretmanager.viewer': VIEW,
  'roles/secretmanager.secretVersionAdder': ['versions.add'],
  'roles/secretmanager.secretVersionManager': ['versions.get', 'versions.list', ...MANAGE],
  'roles/secretmanager.admin': [...VIEW, ...MANAGE, 'versions.access', 'secrets.create', 'secrets.delete'],
};

const RESOURCE = /^projects\/[^/]+(?:\/locations\/[^/]+)?(?:\/secrets\/[^/]+)?$/;

/** The message Secret Manager gives for a missing permission (it does not say whether the resource exists). */
export function denied(permission: Permission, resource: string): string {
  return `Permission 'secretmanager.${permission}' denied for resource '${resource}' (or it may not exist).`;
}

export class SecretManagerIam {
  static readonly ADMIN = 'user:testbed-admin@secretsync.test';
  /** resource (projects/p or a secret's name) → member → roles */
  private readonly bindings = new Map<string, Map<string, Set<string>>>();

  /** Why a grant request is malformed, or undefined. */
  check(resource?: string, member?: string, role?: string): string | undefined {
    if (!resource || !RESOURCE.test(resource) || /\/locations\/[^/]+$/.test(resource))
      return `resource must be projects/<p> or a secret's name, got ${JSON.stringify(resource)}`;
    if (!member) return 'member is required (e.g. serviceAccount:app@p.iam.gserviceaccount.com)';
    if (!role || !(role in ROLES)) return `role must be one of ${Object.keys(ROLES).join(', ')}`;
    return undefined;
  }

  grant(resource: string, member: string, role: string): void {
    const members = this.bindings.get(resource) ?? new Map<string, Set<string>>();
    members.set(member, (members.get(member) ?? new Set()).add(role));
    this.bindings.set(resource, members);
  }

  revoke(resource: string, member: string, role: string): void {
    this.bindings.get(resource)?.get(member)?.delete(role);
  }

  /** Drops a deleted secret's own policy. */
  forget(resource: string): void {
    this.bindings.delete(resource);
  }

  clear(): void {
    this.bindings.clear();
  }

  /** Whether `member` holds `permission` on `resource` (a project, location or secret name). */
  allows(member: string, permission: Permission, resource: string): boolean {
    if (member === SecretManagerIam.ADMIN) return true;
    const project = resource.split('/').slice(0, 2).join('/');
    const secret = /\/secrets\/[^/]+/.test(resource) ? resource : undefined;
    for (const r of secret ? [project, secret] : [project]) {
      for (const role of this.bindings.get(r)?.get(member) ?? []) {
        if (ROLES[role]?.includes(permission)) return true;
      }
    }
    return false;
  }
}

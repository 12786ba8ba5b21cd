// Which Secrets and ConfigMaps — and which of their keys — a pod spec reads. This is what makes
// key-level rollouts possible: a change to a key no container reads restarts nothing. Pure.
import type { V1PodSpec, V1Volume, V1VolumeProjection } from '@kubernetes/client-node';
import type { ObjectKind } from './annotations';

/** '*' = every key (envFrom, a volume without items, or whole-object scope). */
export type KeySet = '*' | string[];

export interface ConsumedRef {
  kind: ObjectKind;
  name: string;
  /** Sorted key names, or '*'. */
  keys: KeySet;
  /** True only when every reference is optional (one required reference blocks the pods). */
  optional: boolean;
}

interface Acc {
  keys: Set<string> | '*';
  optional: boolean;
}

class Collector {
  private readonly refs = new Map<string, Acc>();

  add(
    kind: ObjectKind,
    name: string | undefined,
    keys: Iterable<string> | '*',
    optional: boolean | undefined,
  ) {
    if (!name) return;
    const id = `${kind}/${name}`;
    const opt = optional === true;
    let acc = this.refs.get(id);
    if (!acc) this.refs.set(id, (acc = { keys: new Set(), optional: opt }));
    else acc.optional &&= opt;
    if (keys === '*') acc.keys = '*';
    else if (acc.keys !== '*') for (const k of keys) acc.keys.add(k);
  }

  result(): ConsumedRef[] {
    return [...this.refs.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, acc]) => {
        const slash = id.indexOf('/');
        return {
          kind: id.slice(0, slash) as ObjectKind,
          name: id.slice(slash + 1),
          keys: acc.keys === '*' ? '*' : [...acc.keys].sort(),
          optional: acc.optional,
        };
      });
  }
}

const itemKeys = (items: { key: string }[] | undefined): string[] | '*' =>
  items && items.length > 0 ? items.map((i) => i.key) : '*';

function volume(c: Collector, v: V1Volume): void {
  if (v.secret) c.add('Secret', v.secret.secretName, itemKeys(v.secret.items), v.secret.optional);
  if (v.configMap) c.add('ConfigMap', v.configMap.name, itemKeys(v.configMap.items), v.configMap.optional);
  for (const s of v.projected?.sources ?? []) projection(c, s);
}

function projection(c: Collector, s: V1VolumeProjection): void {
  if (s.secret) c.add('Secret', s.secret.name, itemKeys(s.secret.items), s.secret.optional);
  if (s.configMap) c.add('ConfigMap', s.configMap.name, itemKeys(s.configMap.items), s.configMap.optional);
}

/**
 * Secrets and ConfigMaps the pod spec consumes: env `secretKeyRef`/`configMapKeyRef` (that key),
 * `envFrom` (every key), `secret`/`configMap` volumes (their `items`, or every key) and `projected`
 * sources, from containers and init containers. Ephemeral containers are excluded (they are
 * debugging aids added to running pods, not part of what a rollout restarts). One entry per object.
 */
export function podConsumers(spec: V1PodSpec | undefined): ConsumedRef[] {
  const c = new Collector();
  if (!spec) return c.result();
  for (const ctr of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const e of ctr.env ?? []) {
      const s = e.valueFrom?.secretKeyRef;
      if (s) c.add('Secret', s.name, [s.key], s.optional);
      const m = e.valueFrom?.configMapKeyRef;
      if (m) c.add('ConfigMap', m.name, [m.key], m.optional);
    }
    for (const f of ctr.envFrom ?? []) {
      if (f.secretRef) c.add('Secret', f.secretRef.name, '*', f.secretRef.optional);
      if (f.configMapRef) c.add('ConfigMap', f.configMapRef.name, '*', f.configMapRef.optional);
    }
  }
  for (const v of spec.volumes ?? []) volume(c, v);
  return c.result();
}

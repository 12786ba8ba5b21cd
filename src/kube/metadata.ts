// Metadata-only lists and watches (client-go's metadata client): the apiserver answers with
// PartialObjectMetadata (name, namespace, labels, annotations, resourceVersion, ...), never spec,
// status or a Secret's data, so a watcher of every object of a kind holds a few hundred bytes
// per object and no values.
import type { KubeConfig } from '@kubernetes/client-node';

/** Accept header of a metadata-only list. */
export const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
/** Accept header of a metadata-only GET, and of a watch (each event's object is one). */
export const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/**
 * The same KubeConfig, whose requests also carry this Accept header: for client-node's Watch,
 * which sets no header of its own after authenticating. Everything else is inherited unchanged
 * (a prototype, not a copy: no method can go missing).
 */
export function acceptingConfig(kc: KubeConfig, accept: string): KubeConfig {
  const derived = Object.create(kc) as KubeConfig;
  derived.applySecurityAuthentication = async (ctx) => {
    await kc.applySecurityAuthentication(ctx);
    ctx.setHeaderParam('Accept', accept);
  };
  return derived;
}
